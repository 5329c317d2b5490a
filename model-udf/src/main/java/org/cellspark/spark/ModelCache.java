package org.cellspark.spark;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.Precision;
import org.cellspark.model.PrecisionOnDevice;

/**
 * One loaded model per executor JVM and device, shared by the task threads (each makes its own
 * {@link org.cellspark.infer.CellEmbedder}). Keyed by the model's absolute path and the device: on
 * executors a model shipped with {@code --files} is found relative to the working directory, so
 * paths are made absolute before use. Never a {@code @transient} field of a serialised object,
 * which would load the model once per task.
 */
public final class ModelCache {
  private record Key(String path, String device, Precision precision) {}

  private static final Map<Key, Encoder> MODELS = new ConcurrentHashMap<>();

  static {
    TorchThreads.configure();
  }

  private ModelCache() {}

  public static Encoder get(String path, Device device) {
    return get(path, device, Precision.FP32);
  }

  /**
   * The model at {@code path} on {@code device} in {@code precision}, loaded once per JVM; a
   * precision the device cannot run well is refused first ({@link PrecisionOnDevice}).
   */
  public static Encoder get(String path, Device device, Precision precision) {
    PrecisionOnDevice.check(precision, device);
    Path absolute = ShippedFiles.resolve(path);
    return MODELS.computeIfAbsent(
        new Key(absolute.toString(), device.toString(), precision),
        k -> ModelLoader.load(absolute, device, precision));
  }

  /** Closes and forgets every model loaded in this JVM (tests; long-lived notebooks). */
  public static synchronized void closeAll() {
    MODELS.values().forEach(Encoder::close);
    MODELS.clear();
  }

  /** Models loaded in this JVM (for tests and diagnostics). */
  public static int size() {
    return MODELS.size();
  }
}
