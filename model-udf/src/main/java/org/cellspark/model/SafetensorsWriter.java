package org.cellspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes fp32 arrays as a {@code .safetensors} file, the layout {@link WeightsFile} reads and
 * Hugging Face's {@code safetensors} library writes: an 8-byte little-endian header length, a JSON
 * header (each tensor's dtype, shape and byte range, and {@code __metadata__} with {@code "format":
 * "pt"}, which transformers looks for), padded with spaces to a multiple of 8 so the data starts
 * aligned, then the data in the header's order. Arrays are copied to the host one at a time, so
 * writing a model needs memory for its largest tensor only.
 *
 * <p>DJL's own encoder ({@code NDList.encode}) writes no metadata, which checkpoints need for the
 * numbers beside their tensors.
 */
public final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /**
   * @param metadata string pairs for {@code __metadata__} (besides {@code format})
   * @param tensors arrays by name, written in this map's order
   */
  public static void write(Path file, Map<String, String> metadata, Map<String, NDArray> tensors)
      throws IOException {
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "pt");
    metadata.forEach(meta::addProperty);
    header.add("__metadata__", meta);
    long offset = 0;
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      NDArray a = e.getValue();
      if (a.getDataType() != DataType.FLOAT32) {
        throw new IllegalArgumentException(e.getKey() + " is " + a.getDataType() + ", not fp32");
      }
      JsonObject t = new JsonObject();
      t.addProperty("dtype", "F32");
      JsonArray shape = new JsonArray();
      for (long d : a.getShape().getShape()) {
        shape.add(d);
      }
      t.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset += 4 * a.size();
      offsets.add(offset);
      t.add("data_offsets", offsets);
      header.add(e.getKey(), t);
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    try (FileChannel out =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeFully(out, head.flip());
      for (NDArray a : tensors.values()) {
        writeFully(out, a.toByteBuffer()); // libtorch's bytes: little-endian on x86-64 and ARM
      }
    }
  }

  private static void writeFully(FileChannel out, ByteBuffer data) throws IOException {
    while (data.hasRemaining()) {
      out.write(data);
    }
  }
}
