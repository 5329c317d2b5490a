package org.cellspark.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cellspark.error.UserException;

/**
 * A {@code .safetensors} file's table of contents: an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the raw data. The header is checked
 * against the file before anything is read: ranges inside the data, sizes that match shapes, no
 * overlaps.
 */
final class SafetensorsHeader {
  private SafetensorsHeader() {}

  static WeightsFile read(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw UserException.of("%s is too short to be a safetensors file (%d bytes)", path, size);
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      WeightsFile.readFully(ch, len, 0);
      long headerLength = len.flip().getLong();
      if (headerLength <= 0 || headerLength > Math.min(size - 8, 100L << 20)) {
        throw UserException.of(
            "%s: the safetensors header claims %d bytes in a %d-byte file; the file is not"
                + " safetensors or is corrupt",
            path, headerLength, size);
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      WeightsFile.readFully(ch, header, 8);
      JsonObject json;
      try {
        JsonElement e = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8));
        json = e.getAsJsonObject();
      } catch (JsonParseException | IllegalStateException e) { // not JSON; JSON but not an object
        throw UserException.because(
            e, "%s: the safetensors header is not a JSON object (%s)", path, e.getMessage());
      }
      long dataStart = 8 + headerLength;
      Map<String, WeightsFile.Tensor> tensors = parse(path, json, dataStart, size - dataStart);
      return new WeightsFile(path, "safetensors", tensors, metadata(path, json));
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

  /** The tensors, their byte ranges made absolute (from the start of the file). */
  private static Map<String, WeightsFile.Tensor> parse(
      Path path, JsonObject json, long dataStart, long dataSize) {
    Map<String, WeightsFile.Tensor> out = new LinkedHashMap<>();
    List<WeightsFile.Tensor> byStart = new ArrayList<>();
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
        long begin = offsets.get(0).getAsLong();
        long end = offsets.get(1).getAsLong();
        if (begin < 0 || end < begin || end > dataSize) {
          throw UserException.of(
              "%s: tensor '%s' claims bytes %d-%d but the data holds %d bytes; the file is"
                  + " truncated or its header is wrong",
              path, e.getKey(), begin, end, dataSize);
        }
        WeightsFile.Tensor tensor =
            new WeightsFile.Tensor(e.getKey(), dtype, shape, dataStart + begin, dataStart + end);
        int width = WeightsFile.width(dtype);
        if (width > 0 && end - begin != tensor.elements() * width) {
          throw UserException.of(
              "%s: tensor '%s' (%s, shape %s) should take %d bytes but its header gives %d",
              path,
              tensor.name(),
              dtype,
              Arrays.toString(shape),
              tensor.elements() * width,
              end - begin);
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
    // Safetensors forbids shared storage (a PyTorch checkpoint's tied weights share theirs).
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
}
