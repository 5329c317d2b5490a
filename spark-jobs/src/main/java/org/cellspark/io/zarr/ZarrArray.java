package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.cellspark.error.UserException;

/**
 * One zarr v2 array ({@code .zarray}) read as AnnData keeps its parts: 1-D arrays (a sparse
 * matrix's data, indices and indptr; dataframe columns, numbers, booleans or strings) by ranges,
 * and 2-D numeric arrays (a dense X) by rows. Chunks are decompressed ({@link Compressors}) and
 * decoded as the dtype says (byte order included); strings are numpy object arrays with the
 * vlen-utf8 (or vlen-bytes) filter, as anndata writes them, or fixed-width {@code <U}/{@code |S}. A
 * chunk never written reads as the fill value. The last decoded chunk is kept: ranges are read in
 * order.
 */
final class ZarrArray {
  private final ZarrStore store;
  private final String path;
  private final long[] shape;
  private final int[] chunks;

  /** numpy's kind: f, i, u, b (numbers, booleans), O, U, S (strings). */
  private final char kind;

  private final int itemSize;
  private final ByteOrder order;
  private final JsonNode compressor;
  private final boolean fortran;
  private final String separator;
  private final JsonNode fill;

  private String cachedKey;
  private Chunk cached;

  private ZarrArray(ZarrStore store, String path, JsonNode meta) {
    this.store = store;
    this.path = path;
    if (meta.path("zarr_format").asInt() != 2) {
      throw UserException.of(
          "Input %s: array %s is zarr format %s; Cellspark reads zarr format 2, what anndata"
              + " writes by default. Write it again with anndata (adata.write_zarr) without"
              + " asking for zarr format 3.",
          store.name(), path, meta.path("zarr_format").asText("?"));
    }
    JsonNode s = meta.path("shape");
    shape = new long[s.size()];
    for (int d = 0; d < shape.length; d++) {
      shape[d] = s.get(d).asLong();
    }
    JsonNode c = meta.path("chunks");
    chunks = new int[c.size()];
    for (int d = 0; d < chunks.length; d++) {
      chunks[d] = c.get(d).asInt();
    }
    String dtype = meta.path("dtype").isTextual() ? meta.path("dtype").asText() : "";
    if (dtype.length() < 2 || "<>|=".indexOf(dtype.charAt(0)) < 0 || shape.length == 0) {
      throw unreadable("a dtype of " + meta.path("dtype") + " and shape " + s);
    }
    order = dtype.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    kind = dtype.charAt(1);
    itemSize = kind == 'O' ? 0 : Integer.parseInt(dtype.substring(2)) * (kind == 'U' ? 4 : 1);
    if ("fiubOUS".indexOf(kind) < 0
        || kind == 'f' && itemSize != 4 && itemSize != 8
        || (kind == 'i' || kind == 'u') && Integer.bitCount(itemSize) != 1) {
      throw unreadable("dtype " + dtype);
    }
    compressor = meta.path("compressor");
    Compressors.check(compressor, store.name(), path);
    JsonNode filters = meta.path("filters");
    String filter =
        filters.isArray() && filters.size() > 0 ? filters.get(0).path("id").asText() : null;
    if (kind == 'O'
        ? filters.size() != 1 || !(filter.equals("vlen-utf8") || filter.equals("vlen-bytes"))
        : filter != null) {
      throw unreadable("the filters " + filters);
    }
    fortran = "F".equals(meta.path("order").asText("C"));
    separator = meta.path("dimension_separator").asText(".");
    fill = meta.path("fill_value");
  }

  /** The array at {@code path} of the store; null when there is none. */
  static ZarrArray open(ZarrStore store, String path) {
    JsonNode meta = store.json(path + "/.zarray");
    return meta == null ? null : new ZarrArray(store, path, meta);
  }

  /** The array's attributes ({@code .zattrs}); empty when it has none. */
  JsonNode attributes() {
    JsonNode a = store.json(path + "/.zattrs");
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
        Chunk chunk = chunk(rc + separator + colChunk, (long) cr * cc);
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
      Chunk chunk = chunk(Long.toString(c), size);
      for (int k = 0; k < take; k++) {
        visit.at(chunk, offset + k, done + k);
      }
      done += take;
    }
  }

  private Chunk chunk(String key, long elements) {
    if (key.equals(cachedKey)) {
      return cached;
    }
    byte[] stored = store.bytes(path + "/" + key);
    Chunk c;
    if (stored == null) {
      c = new Chunk(null, null);
    } else {
      byte[] raw;
      try {
        raw = Compressors.decode(compressor, stored);
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
