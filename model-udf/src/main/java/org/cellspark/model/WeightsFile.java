package org.cellspark.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import org.cellspark.error.UserException;

/**
 * A file of named tensors, as model weights ship: a {@code .safetensors} file, or a PyTorch
 * checkpoint ({@code pytorch_model.bin}, what {@code torch.save} writes and transformers wrote
 * before safetensors became its default), told apart by their first bytes; or such files in shards
 * under an index ({@code *.index.json}, {@link ShardedCheckpoint}). Either way each tensor is a
 * byte range of a file, read on demand and converted to float32 (F32, F16 and BF16 are accepted),
 * so a model's weights never sit in memory twice.
 */
public final class WeightsFile {
  /**
   * One tensor: its dtype in safetensors' spelling ({@code F32}, {@code F16}, {@code BF16}, {@code
   * I64}, ...), its shape, and where its row-major bytes lie in the file ({@code [begin, end)}).
   */
  public record Tensor(String name, String dtype, long[] shape, long begin, long end) {
    public long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }
  }

  private static final Set<String> FLOATS = Set.of("F32", "F16", "BF16");

  private static final byte[] ZIP = {'P', 'K', 3, 4};

  /**
   * How PyTorch's format before 1.6 begins: pickle protocol 2, then its magic number as a 10-byte
   * long (0x1950a86a20f9469cfc6c). No safetensors file begins so: its first 8 bytes are the header
   * length.
   */
  private static final byte[] LEGACY_TORCH = {
    (byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46
  };

  private final Path path;
  private final String format;
  private final Map<String, Tensor> tensors;
  private final Map<String, String> metadata;

  /** For a sharded checkpoint, the shard file that holds each tensor; empty for a single file. */
  private final Map<String, Path> shardOf;

  WeightsFile(Path path, String format, Map<String, Tensor> tensors, Map<String, String> metadata) {
    this(path, format, tensors, metadata, Map.of());
  }

  WeightsFile(
      Path path,
      String format,
      Map<String, Tensor> tensors,
      Map<String, String> metadata,
      Map<String, Path> shardOf) {
    this.path = path;
    this.format = format;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
    this.shardOf = Map.copyOf(shardOf);
  }

  /**
   * The tensors of the file at {@code path}: the shards a checkpoint's index names when it is one
   * ({@code model.safetensors.index.json}, {@code pytorch_model.bin.index.json}), a PyTorch
   * checkpoint when it is a zip archive (what {@code torch.save} has written since PyTorch 1.6),
   * else safetensors.
   */
  public static WeightsFile open(Path path) {
    if (ShardedCheckpoint.isIndex(path)) {
      return ShardedCheckpoint.read(path);
    }
    byte[] magic = new byte[8];
    int n;
    try (InputStream in = Files.newInputStream(path)) {
      n = in.readNBytes(magic, 0, 8);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", path, e.getMessage());
    }
    if (n >= 4 && Arrays.equals(magic, 0, 4, ZIP, 0, 4)) {
      return TorchCheckpoint.read(path);
    }
    if (n == 8 && Arrays.equals(magic, LEGACY_TORCH)) {
      throw UserException.of(
          "%s is a PyTorch checkpoint in the format PyTorch used before version 1.6 (a bare"
              + " pickle), which Cellspark does not read. Load it and save it again with any"
              + " recent PyTorch (torch.save(torch.load(f, weights_only=True), f)), or save the"
              + " model with save_pretrained(dir) for model.safetensors",
          path);
    }
    return SafetensorsHeader.read(path);
  }

  /** Bytes per element, or 0 for dtypes we do not read. */
  static int width(String dtype) {
    return switch (dtype) {
      case "F32", "I32", "U32" -> 4;
      case "F16", "BF16", "I16", "U16" -> 2;
      case "F64", "I64", "U64" -> 8;
      case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
      default -> 0;
    };
  }

  /** The file (for a sharded checkpoint, its index). */
  public Path path() {
    return path;
  }

  /** The file that holds the tensor {@code name}: the file itself, or the shard the index names. */
  Path fileOf(String name) {
    return shardOf.getOrDefault(name, path);
  }

  /**
   * {@code safetensors} or {@code PyTorch checkpoint} (with the number of shards for a sharded
   * one), for messages and reports.
   */
  public String format() {
    return format;
  }

  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** A safetensors header's {@code __metadata__} (empty when it has none, and for PyTorch). */
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
    Path file = fileOf(name);
    if (t.elements() > Integer.MAX_VALUE) {
      throw UserException.of("%s: tensor '%s' is too large", file, name);
    }
    int n = (int) t.elements();
    if (!FLOATS.contains(t.dtype())) {
      throw UserException.of(
          "%s: tensor '%s' is %s; model weights must be F32, F16 or BF16", file, name, t.dtype());
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer out = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
      if (t.dtype().equals("F32") && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
        readFully(ch, out, t.begin()); // the file's bytes are already the values: one copy
        return out.flip().asFloatBuffer();
      }
      ByteBuffer raw =
          ByteBuffer.allocate((int) (t.end() - t.begin())).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, raw, t.begin());
      raw.flip();
      FloatBuffer values = out.asFloatBuffer();
      switch (t.dtype()) {
        case "F32" -> values.put(raw.asFloatBuffer());
        case "F16" -> {
          for (int i = 0; i < n; i++) {
            values.put(halfToFloat(raw.getShort()));
          }
        }
        default -> { // BF16: the upper half of a float32
          for (int i = 0; i < n; i++) {
            values.put(Float.intBitsToFloat((raw.getShort() & 0xFFFF) << 16));
          }
        }
      }
      return values.flip();
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", file, e.getMessage());
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

  static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
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
