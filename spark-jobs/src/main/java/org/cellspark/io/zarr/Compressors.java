package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdInputStream;
import com.scalableminds.bloscjava.Blosc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import net.jpountz.lz4.LZ4Factory;
import org.cellspark.error.UserException;

/**
 * The compressors zarr v2 arrays name in {@code .zarray} (numcodecs' ids), and format 3 arrays in
 * their codecs: blosc (format 2's default, whatever inner compressor and shuffle it used), zlib,
 * gzip, zstd (format 3's default) and lz4; none.
 */
final class Compressors {
  private Compressors() {}

  /** Checks on the driver that {@code compressor} is one this reader decodes. */
  static void check(JsonNode compressor, String store, String array) {
    String id = id(compressor);
    if (id != null && !READ.contains(id)) {
      throw UserException.of(
          "Input %s: array %s is compressed with '%s', which Cellspark does not read (it reads"
              + " %s). Write the AnnData again with zarr's default compressor (blosc in zarr format"
              + " 2, zstd in format 3).",
          store, array, id, String.join(", ", READ));
    }
    if ("blosc".equals(id)) {
      blosc(); // fails here, on the driver, where the native library cannot load
    }
  }

  private static final java.util.List<String> READ =
      java.util.List.of("blosc", "zlib", "gzip", "zstd", "lz4");

  /**
   * One chunk's stored bytes decompressed; a chunk that does not decompress throws an unchecked
   * exception (the caller names the store, array and chunk).
   */
  static byte[] decode(JsonNode compressor, byte[] stored) {
    String id = id(compressor);
    if (id == null) {
      return stored;
    }
    try {
      return switch (id) {
        case "blosc" -> blosc().decompress(checkedBlosc(stored));
        case "zlib" -> readAll(new InflaterInputStream(new ByteArrayInputStream(stored)));
        case "gzip" -> readAll(new GZIPInputStream(new ByteArrayInputStream(stored)));
        case "zstd" -> readAll(new ZstdInputStream(new ByteArrayInputStream(stored)));
        case "lz4" -> lz4(stored);
        default -> throw new IllegalStateException("unchecked compressor " + id);
      };
    } catch (IOException e) {
      throw new UncheckedIOException("a " + id + " chunk could not be decompressed", e);
    }
  }

  /**
   * A blosc chunk whose header agrees with its length: c-blosc trusts the header, so a truncated
   * chunk is refused here rather than read past its end in native code.
   */
  private static byte[] checkedBlosc(byte[] stored) {
    if (stored.length < 16) {
      throw new IllegalArgumentException(
          "a blosc chunk of " + stored.length + " bytes is shorter than its header");
    }
    ByteBuffer header = ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN);
    int compressed = header.getInt(12);
    if (compressed != stored.length) {
      throw new IllegalArgumentException(
          "the blosc header gives " + compressed + " bytes, the chunk holds " + stored.length);
    }
    return stored;
  }

  private static String id(JsonNode compressor) {
    return compressor == null || compressor.isNull() ? null : compressor.path("id").asText();
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  /** numcodecs' LZ4: the decompressed size (4 bytes, little-endian), then one LZ4 block. */
  private static byte[] lz4(byte[] stored) {
    int size = ByteBuffer.wrap(stored, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    byte[] out = new byte[size];
    LZ4Factory.fastestInstance()
        .safeDecompressor()
        .decompress(stored, 4, stored.length - 4, out, 0);
    return out;
  }

  /** Blosc's native library, loaded once; a clear refusal where it cannot load. */
  private static BloscCodec blosc() {
    BloscCodec b = blosc;
    if (b == null) {
      try {
        Blosc.decompress(Blosc.compress(new byte[] {1, 2, 3, 4}, 1));
        b = blosc = Blosc::decompress;
      } catch (LinkageError e) {
        throw UserException.because(
            e,
            "zarr's blosc compressor needs the c-blosc library Cellspark bundles for Linux x86-64,"
                + " macOS and Windows; it cannot load on this machine (%s, %s: %s). Write the"
                + " store with another compressor (in Python: zarr's Zstd or Zlib) or as .h5ad.",
            System.getProperty("os.name"),
            System.getProperty("os.arch"),
            e.getMessage());
      }
    }
    return b;
  }

  private static volatile BloscCodec blosc;

  private interface BloscCodec {
    byte[] decompress(byte[] stored);
  }
}
