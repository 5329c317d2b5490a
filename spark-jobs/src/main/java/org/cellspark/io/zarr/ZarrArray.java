package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.error.UserException;

/**
 * One zarr array read as AnnData keeps its parts: 1-D arrays (a sparse matrix's data, indices and
 * indptr; dataframe columns, numbers, booleans or strings) by ranges, and 2-D numeric arrays (a
 * dense X) by rows. Chunks are decompressed ({@link Compressors}) and decoded as the dtype says
 * (byte order included); strings are numpy object arrays with the vlen-utf8 (or vlen-bytes) filter,
 * as anndata writes them, or fixed-width {@code <U}/{@code |S}. A chunk never written reads as the
 * fill value. The last decoded chunk is kept: ranges are read in order.
 *
 * <p>Format 2 ({@code .zarray}: a numpy dtype, one compressor, filters) and format 3 ({@code
 * zarr.json}: a data type name, chunk keys {@code c/0/1}, a codec pipeline: {@code transpose}, then
 * {@code bytes} with its endianness or {@code vlen-utf8} for strings, then compressors and an
 * optional {@code crc32c} checksum) come down to the same description. Format 3's sharding is
 * refused, naming it.
 */
final class ZarrArray {
  private final ZarrStore store;
  private final String path;
  private final long[] shape;

  /** The chunk shape reads go by: format 3's inner chunks when the array is sharded. */
  private int[] chunks;

  /**
   * Format 3's sharding: the shard shape (the chunk grid's), or null when not sharded. A shard is
   * one stored object holding its inner chunks, each encoded alone, and an index of their places.
   */
  private int[] shards;

  /**
   * Where a shard's index is ("end", zarr's default, or "start"), and whether it ends in a crc32c.
   */
  private boolean indexAtStart;

  private boolean indexChecksummed;

  private String cachedShardKey;
  private long cachedShardLength;
  private ByteBuffer cachedIndex;

  /** numpy's kind: f, i, u, b (numbers, booleans), O, U, S (strings). */
  private char kind;

  private int itemSize;
  private ByteOrder order;

  /** Compressors in the order they were applied (format 2: at most one), numcodecs-style. */
  private final List<JsonNode> compressors = new ArrayList<>();

  /** Format 3's crc32c codec: each chunk ends with a 4-byte checksum. */
  private boolean checksummed;

  private boolean fortran;
  private final String separator;

  /** What a chunk's key starts with: "" (format 2) or "c" + separator (format 3's default). */
  private final String keyPrefix;

  private final JsonNode fill;

  private String cachedKey;
  private Chunk cached;

  private ZarrArray(ZarrStore store, String path, JsonNode meta) {
    this.store = store;
    this.path = path;
    int format = meta.path("zarr_format").asInt();
    if (format != 2 && format != 3) {
      throw unreadable("zarr format " + meta.path("zarr_format").asText("?"));
    }
    JsonNode s = meta.path("shape");
    shape = new long[s.size()];
    for (int d = 0; d < shape.length; d++) {
      shape[d] = s.get(d).asLong();
    }
    JsonNode c =
        format == 2
            ? meta.path("chunks")
            : meta.path("chunk_grid").path("configuration").path("chunk_shape");
    chunks = ints(c);
    if (shape.length == 0 || chunks.length != shape.length) {
      throw unreadable("a shape of " + s + " and chunks of " + c);
    }
    if (format == 2) {
      describeV2(meta);
      separator = meta.path("dimension_separator").asText(".");
      keyPrefix = "";
    } else {
      describeV3(meta);
      JsonNode keys = meta.path("chunk_key_encoding");
      boolean v2Keys = "v2".equals(keys.path("name").asText());
      separator = keys.path("configuration").path("separator").asText(v2Keys ? "." : "/");
      keyPrefix = v2Keys ? "" : "c" + separator;
    }
    for (JsonNode compressor : compressors) {
      Compressors.check(compressor, store.name(), path);
    }
    fill = meta.path("fill_value");
  }

  private void describeV2(JsonNode meta) {
    String dtype = meta.path("dtype").isTextual() ? meta.path("dtype").asText() : "";
    if (dtype.length() < 2 || "<>|=".indexOf(dtype.charAt(0)) < 0) {
      throw unreadable("a dtype of " + meta.path("dtype"));
    }
    order = dtype.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    kind = dtype.charAt(1);
    itemSize = kind == 'O' ? 0 : Integer.parseInt(dtype.substring(2)) * (kind == 'U' ? 4 : 1);
    if ("fiubOUS".indexOf(kind) < 0
        || kind == 'f' && itemSize != 4 && itemSize != 8
        || (kind == 'i' || kind == 'u') && Integer.bitCount(itemSize) != 1) {
      throw unreadable("dtype " + dtype);
    }
    if (!meta.path("compressor").isNull() && !meta.path("compressor").isMissingNode()) {
      compressors.add(meta.path("compressor"));
    }
    JsonNode filters = meta.path("filters");
    String filter =
        filters.isArray() && filters.size() > 0 ? filters.get(0).path("id").asText() : null;
    if (kind == 'O'
        ? filters.size() != 1 || !(filter.equals("vlen-utf8") || filter.equals("vlen-bytes"))
        : filter != null) {
      throw unreadable("the filters " + filters);
    }
    fortran = "F".equals(meta.path("order").asText("C"));
  }

  /** Format 3's data type names, as numpy's kind and item size. */
  private static final Map<String, String> V3_TYPES =
      Map.ofEntries(
          Map.entry("bool", "b1"),
          Map.entry("int8", "i1"),
          Map.entry("int16", "i2"),
          Map.entry("int32", "i4"),
          Map.entry("int64", "i8"),
          Map.entry("uint8", "u1"),
          Map.entry("uint16", "u2"),
          Map.entry("uint32", "u4"),
          Map.entry("uint64", "u8"),
          Map.entry("float32", "f4"),
          Map.entry("float64", "f8"),
          Map.entry("string", "O0"));

  private void describeV3(JsonNode meta) {
    String type = meta.path("data_type").asText("");
    String numpy = V3_TYPES.get(type);
    if (numpy == null) {
      throw unreadable("the data type " + meta.path("data_type"));
    }
    kind = numpy.charAt(0);
    itemSize = Integer.parseInt(numpy.substring(1));
    order = ByteOrder.LITTLE_ENDIAN;
    if (!describeCodecs(meta.path("codecs"))) {
      throw unreadable("the codecs " + meta.path("codecs"));
    }
  }

  /**
   * Reads a format 3 codec pipeline into this description; whether it serialises the array (has its
   * bytes or vlen codec). Sharding describes the inner chunks' own pipeline.
   */
  private boolean describeCodecs(JsonNode codecs) {
    boolean serialised = false;
    for (JsonNode codec : codecs) {
      String name = codec.path("name").asText();
      JsonNode conf = codec.path("configuration");
      switch (name) {
        case "transpose" -> {
          // AnnData's arrays are C order; the one transpose a 2-D array takes is Fortran order.
          JsonNode o = conf.path("order");
          fortran = shape.length == 2 && o.size() == 2 && o.get(0).asInt() == 1;
          if (!fortran && !(o.size() == shape.length && o.get(0).asInt() == 0)) {
            throw unreadable("the transpose codec " + codec);
          }
        }
        case "bytes" -> {
          serialised = kind != 'O';
          order =
              "big".equals(conf.path("endian").asText("little"))
                  ? ByteOrder.BIG_ENDIAN
                  : ByteOrder.LITTLE_ENDIAN;
        }
        case "vlen-utf8", "vlen-bytes" -> serialised = kind == 'O';
        case "crc32c" -> checksummed = true;
        case "sharding_indexed" -> {
          if (shards != null || codecs.size() != 1) {
            throw unreadable("sharding combined with other codecs: " + codecs);
          }
          shards = chunks;
          JsonNode inner = conf.path("chunk_shape");
          chunks = ints(inner);
          if (chunks.length != shards.length) {
            throw unreadable("inner chunks of " + inner + " in shards of " + shards.length + "-D");
          }
          for (int d = 0; d < chunks.length; d++) {
            if (chunks[d] <= 0 || shards[d] % chunks[d] != 0) {
              throw unreadable("inner chunks of " + inner + " that do not tile its shards");
            }
          }
          indexAtStart = "start".equals(conf.path("index_location").asText("end"));
          for (JsonNode c : conf.path("index_codecs")) {
            String n = c.path("name").asText();
            if ("crc32c".equals(n)) {
              indexChecksummed = true;
            } else if (!"bytes".equals(n)
                || "big".equals(c.path("configuration").path("endian").asText("little"))) {
              throw unreadable("a shard index encoded with " + conf.path("index_codecs"));
            }
          }
          serialised = describeCodecs(conf.path("codecs"));
        }
        default -> {
          // A compressor: numcodecs' form ({"id": ..., configuration...}), which Compressors reads.
          com.fasterxml.jackson.databind.node.ObjectNode asV2 =
              JsonNodeFactory.instance.objectNode().put("id", name);
          conf.properties().forEach(f -> asV2.set(f.getKey(), f.getValue()));
          compressors.add(asV2);
        }
      }
    }
    return serialised;
  }

  /** A JSON array of whole numbers (a chunk shape). */
  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int d = 0; d < out.length; d++) {
      out[d] = array.get(d).asInt();
    }
    return out;
  }

  /** The array at {@code path} of the store; null when there is none. */
  static ZarrArray open(ZarrStore store, String path) {
    JsonNode meta = store.arrayMetadata(path);
    return meta == null ? null : new ZarrArray(store, path, meta);
  }

  /** The array's attributes; empty when it has none. */
  JsonNode attributes() {
    JsonNode a = store.attributes(path);
    return a == null ? JsonNodeFactory.instance.objectNode() : a;
  }

  String path() {
    return path;
  }

  int dimensions() {
    return shape.length;
  }

  long length(int dimension) {
    return shape[dimension];
  }

  boolean isString() {
    return kind == 'O' || kind == 'U' || kind == 'S';
  }

  boolean isBoolean() {
    return kind == 'b';
  }

  boolean isInteger() {
    return kind == 'i' || kind == 'u';
  }

  /** Elements {@code [from, from + n)} of a 1-D numeric or boolean array, as doubles. */
  double[] doubles(long from, int n) {
    double[] out = new double[n];
    forRange(from, n, (chunk, at, k) -> out[k] = chunk.number(at));
    return out;
  }

  /** As {@link #doubles}, as longs (integers, booleans as 0 and 1; floats truncated). */
  long[] longs(long from, int n) {
    long[] out = new long[n];
    forRange(from, n, (chunk, at, k) -> out[k] = chunk.integer(at));
    return out;
  }

  /** Elements {@code [from, from + n)} of a 1-D string array. */
  String[] strings(long from, int n) {
    if (!isString()) {
      throw unreadable("numbers where strings were expected");
    }
    String[] out = new String[n];
    forRange(from, n, (chunk, at, k) -> out[k] = chunk.string(at));
    return out;
  }

  /** The rows per chunk of a 2-D array (the first dimension's chunk length). */
  int rowsPerChunk() {
    return chunks[0];
  }

  /** Receives a 2-D array's non-zero values. */
  interface NonZero {
    void at(int row, int col, double value);
  }

  /**
   * The non-zero values of rows {@code [from, from + n)} of a 2-D numeric array, each chunk decoded
   * once, column chunks in order: a row's values arrive in ascending column order. Only one decoded
   * chunk is held at a time, never the rows as a whole (a block of an atlas's dense rows would be
   * hundreds of MB).
   */
  void nonZeros(long from, int n, NonZero visit) {
    int cols = Math.toIntExact(shape[1]);
    int cr = chunks[0];
    int cc = chunks[1];
    for (long rc = from / cr; rc * cr < from + n; rc++) {
      for (int colChunk = 0; (long) colChunk * cc < cols; colChunk++) {
        Chunk chunk = chunk(new long[] {rc, colChunk}, (long) cr * cc);
        long firstRow = Math.max(from, rc * cr);
        long endRow = Math.min(from + n, (rc + 1) * cr);
        int firstCol = colChunk * cc;
        int endCol = Math.min(cols, firstCol + cc);
        for (long r = firstRow; r < endRow; r++) {
          int i = (int) (r - rc * cr);
          int row = (int) (r - from);
          for (int j = firstCol; j < endCol; j++) {
            int jj = j - firstCol;
            double v = chunk.number(fortran ? i + jj * cr : i * cc + jj);
            if (v != 0) {
              visit.at(row, j, v);
            }
          }
        }
      }
    }
  }

  private interface Visit {
    void at(Chunk chunk, int indexInChunk, int indexInOutput);
  }

  private void forRange(long from, int n, Visit visit) {
    if (shape.length != 1) {
      throw unreadable(shape.length + " dimensions where 1 was expected");
    }
    if (from < 0 || from + n > shape[0]) {
      throw UserException.of(
          "Input %s: array %s has %,d elements; elements %,d to %,d were asked for. The store is"
              + " inconsistent (an index past its data); write it again with anndata.",
          store.name(), path, shape[0], from, from + n);
    }
    int size = chunks[0];
    int done = 0;
    while (done < n) {
      long i = from + done;
      long c = i / size;
      int offset = (int) (i - c * size);
      int take = Math.min(n - done, size - offset);
      Chunk chunk = chunk(new long[] {c}, size);
      for (int k = 0; k < take; k++) {
        visit.at(chunk, offset + k, done + k);
      }
      done += take;
    }
  }

  /** The stored object's key of the chunk at grid coordinates {@code at}. */
  private String key(long[] at) {
    StringBuilder k = new StringBuilder(keyPrefix);
    for (int d = 0; d < at.length; d++) {
      k.append(d == 0 ? "" : separator).append(at[d]);
    }
    return k.toString();
  }

  /**
   * The chunk at {@code at} (coordinates in chunks: inner chunks when sharded), decoded; how
   * messages name it is its key, or its shard's key and its place in the shard.
   */
  private Chunk chunk(long[] at, long elements) {
    String key;
    byte[] stored;
    if (shards == null) {
      key = key(at);
      if (key.equals(cachedKey)) {
        return cached;
      }
      stored = store.bytes(path + "/" + key);
    } else {
      long[] shard = new long[at.length];
      int inner = 0;
      for (int d = 0; d < at.length; d++) {
        int perShard = shards[d] / chunks[d];
        shard[d] = at[d] / perShard;
        inner = inner * perShard + (int) (at[d] % perShard);
      }
      String shardKey = key(shard);
      key = shardKey + " (inner chunk " + inner + ")";
      if (key.equals(cachedKey)) {
        return cached;
      }
      stored = innerChunk(shardKey, inner);
    }
    Chunk c;
    if (stored == null) {
      c = new Chunk(null, null);
    } else {
      byte[] raw;
      try {
        raw = decode(stored);
      } catch (UserException e) {
        throw e;
      } catch (RuntimeException e) {
        throw UserException.because(
            e,
            "Input %s: chunk %s of array %s could not be decompressed (%s); the store is damaged"
                + " or incompletely copied. Copy it again.",
            store.name(),
            key,
            path,
            e.getMessage());
      }
      if (kind == 'O') {
        c = new Chunk(null, vlenStrings(raw, key));
      } else {
        if (raw.length != elements * itemSize) {
          throw UserException.of(
              "Input %s: chunk %s of %s holds %,d bytes where %,d were expected; the store is"
                  + " damaged or incompletely copied. Copy it again.",
              store.name(), key, path, raw.length, elements * itemSize);
        }
        c = new Chunk(ByteBuffer.wrap(raw).order(order), null);
      }
    }
    cachedKey = key;
    cached = c;
    return c;
  }

  /**
   * Inner chunk {@code inner} (C order within its shard) of the shard stored at {@code shardKey}:
   * its bytes as stored, or null when the shard or the chunk was never written. Only the shard's
   * index (kept for the last shard: reads go in order) and the chunk are read, by range.
   */
  private byte[] innerChunk(String shardKey, int inner) {
    String key = path + "/" + shardKey;
    if (!shardKey.equals(cachedShardKey)) {
      long shardLength = store.length(key);
      ByteBuffer index = null;
      if (shardLength >= 0) {
        int chunksPerShard = 1;
        for (int d = 0; d < shards.length; d++) {
          chunksPerShard *= shards[d] / chunks[d];
        }
        int indexBytes = 16 * chunksPerShard + (indexChecksummed ? 4 : 0);
        if (shardLength < indexBytes) {
          throw damagedShard(shardKey, "it is shorter than its index");
        }
        byte[] stored = store.range(key, indexAtStart ? 0 : shardLength - indexBytes, indexBytes);
        if (indexChecksummed && !crc32cHolds(stored, indexBytes - 4)) {
          throw damagedShard(shardKey, "its index's crc32c checksum does not match");
        }
        index = ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN);
      }
      cachedShardKey = shardKey;
      cachedShardLength = shardLength;
      cachedIndex = index;
    }
    if (cachedIndex == null) {
      return null;
    }
    long offset = cachedIndex.getLong(16 * inner);
    long length = cachedIndex.getLong(16 * inner + 8);
    if (offset == -1L && length == -1L) {
      return null; // an inner chunk never written: the fill value
    }
    if (offset < 0
        || length < 0
        || length > Integer.MAX_VALUE
        || offset + length > cachedShardLength) {
      throw damagedShard(shardKey, "its index places inner chunk " + inner + " outside it");
    }
    return store.range(key, offset, (int) length);
  }

  private UserException damagedShard(String shardKey, String why) {
    return UserException.of(
        "Input %s: shard %s of array %s cannot be read (%s); the store is damaged or incompletely"
            + " copied. Copy it again.",
        store.name(), shardKey, path, why);
  }

  /** A chunk's stored bytes, its checksum dropped and its compressors undone, last first. */
  private byte[] decode(byte[] stored) {
    byte[] raw = stored;
    if (checksummed) {
      if (raw.length < 4) {
        throw new IllegalArgumentException("a chunk shorter than its crc32c checksum");
      }
      if (!crc32cHolds(raw, raw.length - 4)) {
        throw new IllegalArgumentException("its crc32c checksum does not match its bytes");
      }
      raw = java.util.Arrays.copyOf(raw, raw.length - 4);
    }
    for (int k = compressors.size() - 1; k >= 0; k--) {
      raw = Compressors.decode(compressors.get(k), raw);
    }
    return raw;
  }

  /**
   * Whether {@code bytes[length, length + 4)} is the CRC-32C of {@code bytes[0, length)},
   * little-endian, as zarr's crc32c codec appends it.
   */
  private static boolean crc32cHolds(byte[] bytes, int length) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes, 0, length);
    long stored =
        ByteBuffer.wrap(bytes, length, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
    return crc.getValue() == stored;
  }

  /** numcodecs' VLenUTF8 / VLenBytes: the item count, then each item's length and bytes. */
  private String[] vlenStrings(byte[] raw, String key) {
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int n = b.getInt();
    String[] out = new String[n];
    for (int k = 0; k < n; k++) {
      int length = b.getInt();
      if (length < 0 || length > b.remaining()) {
        throw UserException.of(
            "Input %s: chunk %s of %s is not a list of strings; the store is damaged. Copy it"
                + " again.",
            store.name(), key, path);
      }
      out[k] = new String(raw, b.position(), length, StandardCharsets.UTF_8);
      b.position(b.position() + length);
    }
    return out;
  }

  /** A decoded chunk: numbers in {@code data}, strings in {@code strings}, or neither (fill). */
  private final class Chunk {
    private final ByteBuffer data;
    private final String[] strings;

    Chunk(ByteBuffer data, String[] strings) {
      this.data = data;
      this.strings = strings;
    }

    double number(int k) {
      if (data == null) {
        return fill.isNumber()
            ? fill.asDouble()
            : fill.asBoolean() ? 1 : fill.isTextual() ? Double.NaN : 0;
      }
      int at = k * itemSize;
      return switch (kind) {
        case 'f' -> itemSize == 4 ? data.getFloat(at) : data.getDouble(at);
        case 'b' -> data.get(at) != 0 ? 1 : 0;
        default -> integer(k);
      };
    }

    long integer(int k) {
      if (data == null || kind == 'f') {
        return (long) number(k);
      }
      int at = k * itemSize;
      return switch (itemSize) {
        case 1 -> kind == 'u' ? data.get(at) & 0xFFL : data.get(at);
        case 2 -> kind == 'u' ? data.getShort(at) & 0xFFFFL : data.getShort(at);
        case 4 -> kind == 'u' ? data.getInt(at) & 0xFFFFFFFFL : data.getInt(at);
        default -> data.getLong(at);
      };
    }

    String string(int k) {
      if (strings != null) {
        return k < strings.length ? strings[k] : null;
      }
      if (data == null) {
        return fill.isTextual() ? fill.asText() : null;
      }
      byte[] b = new byte[itemSize];
      data.get(k * itemSize, b);
      Charset charset =
          kind == 'U'
              ? Charset.forName(order == ByteOrder.BIG_ENDIAN ? "UTF-32BE" : "UTF-32LE")
              : StandardCharsets.UTF_8;
      String s = new String(b, charset); // numpy pads with NULs
      int end = s.indexOf('\0');
      return end < 0 ? s : s.substring(0, end);
    }
  }

  private UserException unreadable(String what) {
    return UserException.of(
        "Input %s: array %s has %s, which Cellspark does not read. Write the AnnData again with"
            + " anndata (adata.write_zarr).",
        store.name(), path, what);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s %s", path, java.util.Arrays.toString(shape));
  }
}
