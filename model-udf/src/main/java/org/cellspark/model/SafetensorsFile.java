package org.cellspark.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cellspark.error.UserException;

/**
 * A {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw data. Weights are converted to float32 on read
 * (F32, F16 and BF16 are accepted). The header is checked against the file before anything is read:
 * ranges inside the data, sizes that match shapes, no overlaps.
 */
public final class SafetensorsFile {
  /** One tensor's entry in the header. */
  public record Tensor(String name, String dtype, long[] shape, long begin, long end) {
    public long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private final Path path;
  private final Map<String, Tensor> tensors;
  private final Map<String, String> metadata;
  private final long dataStart;

  private SafetensorsFile(
      Path path, Map<String, Tensor> tensors, Map<String, String> metadata, long dataStart) {
    this.path = path;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
    this.dataStart = dataStart;
  }

  public static SafetensorsFile open(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw UserException.of("%s is too short to be a safetensors file (%d bytes)", path, size);
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long headerLength = len.flip().getLong();
      if (headerLength <= 0 || headerLength > Math.min(size - 8, 100L << 20)) {
        throw UserException.of(
            "%s: the safetensors header claims %d bytes in a %d-byte file; the file is not"
                + " safetensors or is corrupt",
            path, headerLength, size);
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      readFully(ch, header, 8);
      JsonObject json;
      try {
        JsonElement e = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8));
        json = e.getAsJsonObject();
      } catch (JsonParseException | IllegalStateException e) { // not JSON; JSON but not an object
        throw UserException.because(
            e, "%s: the safetensors header is not a JSON object (%s)", path, e.getMessage());
      }
      long dataStart = 8 + headerLength;
      Map<String, Tensor> tensors = parse(path, json, size - dataStart);
      return new SafetensorsFile(path, tensors, metadata(path, json), dataStart);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", path, e.getMessage());
    }
  }

  private static JsonElement member(Path path, String tensor, JsonObject entry, String name) {
    JsonElement v = entry.get(name);
    if (v == null || v.isJsonNull()) {
      throw UserException.of(
          "%s: the header entry of '%s' is malformed (no %s)", path, tensor, name);
    }
    return v;
  }

  /** {@code __metadata__}: a map of strings, by the format's definition. */
  private static Map<String, String> metadata(Path path, JsonObject json) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonElement meta = json.get("__metadata__");
    if (meta == null || meta.isJsonNull()) {
      return out;
    }
    if (!meta.isJsonObject()) {
      throw UserException.of("%s: the safetensors __metadata__ is not a JSON object", path);
    }
    for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject().entrySet()) {
      if (!e.getValue().isJsonPrimitive()) {
        throw UserException.of(
            "%s: the safetensors __metadata__ entry '%s' is not a string", path, e.getKey());
      }
      out.put(e.getKey(), e.getValue().getAsString());
    }
    return out;
  }

  private static Map<String, Tensor> parse(Path path, JsonObject json, long dataSize) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    List<Tensor> byStart = new ArrayList<>();
    for (Map.Entry<String, JsonElement> e : json.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      try {
        JsonObject t = e.getValue().getAsJsonObject();
        String dtype = member(path, e.getKey(), t, "dtype").getAsString();
        var shapeArray = member(path, e.getKey(), t, "shape").getAsJsonArray();
        long[] shape = new long[shapeArray.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeArray.get(i).getAsLong();
        }
        var offsets = member(path, e.getKey(), t, "data_offsets").getAsJsonArray();
        Tensor tensor =
            new Tensor(
                e.getKey(), dtype, shape, offsets.get(0).getAsLong(), offsets.get(1).getAsLong());
        int width = width(dtype);
        if (tensor.begin() < 0 || tensor.end() < tensor.begin() || tensor.end() > dataSize) {
          throw UserException.of(
              "%s: tensor '%s' claims bytes %d-%d but the data holds %d bytes; the file is"
                  + " truncated or its header is wrong",
              path, tensor.name(), tensor.begin(), tensor.end(), dataSize);
        }
        if (width > 0 && tensor.end() - tensor.begin() != tensor.elements() * width) {
          throw UserException.of(
              "%s: tensor '%s' (%s, shape %s) should take %d bytes but its header gives %d",
              path,
              tensor.name(),
              dtype,
              Arrays.toString(shape),
              tensor.elements() * width,
              tensor.end() - tensor.begin());
        }
        out.put(tensor.name(), tensor);
        byStart.add(tensor);
      } catch (IllegalStateException
          | UnsupportedOperationException
          | NumberFormatException
          | IndexOutOfBoundsException
          | ClassCastException bad) { // how Gson says a value has another type or shape than asked

        throw UserException.because(
            bad,
            "%s: the header entry of '%s' is malformed (%s)",
            path,
            e.getKey(),
            bad.getMessage());
      }
    }
    byStart.sort((a, b) -> Long.compare(a.begin(), b.begin()));
    for (int i = 1; i < byStart.size(); i++) {
      if (byStart.get(i).begin() < byStart.get(i - 1).end()) {
        throw UserException.of(
            "%s: tensors '%s' and '%s' overlap in the file; the header is wrong",
            path, byStart.get(i - 1).name(), byStart.get(i).name());
      }
    }
    return out;
  }

  /** Bytes per element, or 0 for dtypes we do not read. */
  private static int width(String dtype) {
    return switch (dtype) {
      case "F32", "I32", "U32" -> 4;
      case "F16", "BF16", "I16", "U16" -> 2;
      case "F64", "I64", "U64" -> 8;
      case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
      default -> 0;
    };
  }

  public Path path() {
    return path;
  }

  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** The header's {@code __metadata__} (empty when it has none). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tensor's values as a float32 array, in row-major order. */
  public float[] floatArray(String name) {
    FloatBuffer b = floats(name);
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  /** The tensor's values as float32, in row-major order. */
  public FloatBuffer floats(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor " + name + " in " + path);
    }
    if (t.elements() > Integer.MAX_VALUE) {
      throw UserException.of("%s: tensor '%s' is too large", path, name);
    }
    int n = (int) t.elements();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer raw =
          ByteBuffer.allocate((int) (t.end() - t.begin())).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, raw, dataStart + t.begin());
      raw.flip();
      FloatBuffer out =
          ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
      switch (t.dtype()) {
        case "F32" -> out.put(raw.asFloatBuffer());
        case "F16" -> {
          for (int i = 0; i < n; i++) {
            out.put(halfToFloat(raw.getShort()));
          }
        }
        case "BF16" -> {
          for (int i = 0; i < n; i++) {
            out.put(Float.intBitsToFloat((raw.getShort() & 0xFFFF) << 16));
          }
        }
        default ->
            throw UserException.of(
                "%s: tensor '%s' is %s; model weights must be F32, F16 or BF16",
                path, name, t.dtype());
      }
      return out.flip();
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", path, e.getMessage());
    }
  }

  /** IEEE 754 binary16 to float32 (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short half) {
    int h = half & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0x1F) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      // subnormal: value = mantissa * 2^-24
      float v = mantissa * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
    long p = position;
    while (into.hasRemaining()) {
      int n = ch.read(into, p);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      p += n;
    }
  }
}
