package org.cellspark.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a Geneformer checkpoint for inference, in either form users have:
 *
 * <ul>
 *   <li>a Hugging Face folder with {@code config.json} and {@code model.safetensors} (or the
 *       safetensors file itself, beside its config.json): run natively with DJL operations;
 *   <li>a TorchScript file ({@code *.pt}) beside its {@code config.json}: run by libtorch.
 * </ul>
 *
 * libtorch comes from the classpath, offline: DJL must not phone home or download anything, so the
 * offline switches are set before any DJL class initialises.
 */
public final class ModelLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

  static {
    DjlSetup.offline();
  }

  private ModelLoader() {}

  /** Loads the encoder at {@code location} onto {@code device}, in fp32. */
  public static Encoder load(Path location, Device device) {
    return load(location, device, Precision.FP32);
  }

  /**
   * How a Hugging Face checkpoint (safetensors) runs: {@link #FUSED}, Cellspark's TorchScript
   * program with fused attention (the default), or {@link #NATIVE}, the same forward written with
   * DJL's NDArray operations (kept as the reference the program is tested against, and for
   * benchmarks).
   */
  public enum Engine {
    FUSED,
    NATIVE
  }

  /**
   * Loads the encoder at {@code location} onto {@code device} computing in {@code precision} (jobs
   * allow fp16/bf16 on GPUs only; here any device works, so the path is testable on CPU).
   * TorchScript models run in the precision they were exported in.
   */
  public static Encoder load(Path location, Device device, Precision precision) {
    return load(location, device, precision, Engine.FUSED);
  }

  /** As {@link #load(Path, Device, Precision)}, choosing how a safetensors checkpoint runs. */
  public static Encoder load(Path location, Device device, Precision precision, Engine engine) {
    ModelFiles files = ModelFiles.at(location);
    GpuReach.check(device);
    return files.torchScript()
        ? torchScript(files.weights(), files.config(), device, precision)
        : checkpoint(files.weights(), files.config(), device, precision, engine);
  }

  /**
   * Where a model's weights and config are: a folder with model.safetensors (or model.pt), or the
   * weights file itself with config.json beside it.
   *
   * @param torchScript whether the weights are a TorchScript file (else safetensors)
   */
  record ModelFiles(Path weights, Path config, boolean torchScript) {
    static ModelFiles at(Path location) {
      Path path = location.toAbsolutePath().normalize();
      if (Files.isDirectory(path)) {
        Path safetensors = path.resolve("model.safetensors");
        if (Files.isRegularFile(safetensors)) {
          return new ModelFiles(safetensors, path.resolve("config.json"), false);
        }
        Path torchscript = path.resolve("model.pt");
        if (Files.isRegularFile(torchscript)) {
          return new ModelFiles(torchscript, path.resolve("config.json"), true);
        }
        throw UserException.of(
            "Model folder %s has neither model.safetensors nor model.pt. Use a Hugging Face model"
                + " folder (config.json + model.safetensors) or a TorchScript file; checkpoints"
                + " saved as pytorch_model.bin must be re-saved as safetensors"
                + " (model.save_pretrained(dir))",
            path);
      }
      if (!Files.isRegularFile(path)) {
        throw UserException.of("Model %s does not exist", path);
      }
      String name = path.getFileName().toString();
      Path config = path.resolveSibling("config.json");
      if (name.endsWith(".safetensors")) {
        return new ModelFiles(path, config, false);
      }
      if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript")) {
        return new ModelFiles(path, config, true);
      }
      throw UserException.of(
          "Model %s is neither a folder, a .safetensors file nor a TorchScript .pt file", path);
    }
  }

  /**
   * The model at {@code location} checked without loading it into an engine: its config, and for a
   * safetensors checkpoint every encoder weight (present, the config's shape, finite values). A
   * TorchScript file's weights are inside its program: they are checked when it loads.
   *
   * @return the config and the weights' report (null for TorchScript)
   */
  public static Inspection inspect(Path location) {
    ModelFiles files = ModelFiles.at(location);
    BertConfig config = config(files.config(), files.weights());
    if (files.torchScript()) {
      return new Inspection(files.weights(), files.config(), config, null);
    }
    SafetensorsFile file = SafetensorsFile.open(files.weights());
    WeightsReport weights =
        new BertWeights(file, null, files.config().toString(), Precision.FP32).verify(config);
    return new Inspection(files.weights(), files.config(), config, weights);
  }

  /** A model checked by {@link #inspect}; {@code weights} is null for a TorchScript file. */
  public record Inspection(
      Path weightsFile, Path configFile, BertConfig config, WeightsReport weights) {}

  private static void warnUnexpected(Path safetensors, List<String> unexpected) {
    if (!unexpected.isEmpty()) {
      LOG.warn(
          "{}: {} tensors are not part of a BERT encoder and are ignored (first: {})",
          safetensors,
          unexpected.size(),
          unexpected.get(0));
    }
  }

  /** The config of the model at {@code location} (folder or file), without loading weights. */
  public static BertConfig readConfig(Path location) {
    Path path = location.toAbsolutePath().normalize();
    Path config =
        Files.isDirectory(path) ? path.resolve("config.json") : path.resolveSibling("config.json");
    return config(config, path);
  }

  private static BertConfig config(Path config, Path model) {
    if (!Files.isRegularFile(config)) {
      throw UserException.of(
          "Model %s needs its config.json beside it (%s not found): it gives the vocabulary size,"
              + " layers and input size",
          model, config);
    }
    return BertConfig.read(config);
  }

  private static Encoder torchScript(Path file, Path config, Device device, Precision precision) {
    if (precision != Precision.FP32) {
      throw UserException.of(
          "--precision %s applies to Hugging Face (safetensors) models; a TorchScript model runs in"
              + " the precision it was exported in (export it with model.half() for fp16)",
          precision.name().toLowerCase(Locale.ROOT));
    }
    return new TorchScriptEncoder(config(config, file), file, device);
  }

  private static Encoder checkpoint(
      Path safetensors, Path configFile, Device device, Precision precision, Engine engine) {
    BertConfig config = config(configFile, safetensors);
    SafetensorsFile file = SafetensorsFile.open(safetensors);
    warnUnexpected(
        safetensors, new BertWeights(file, null, configFile.toString(), precision).unexpected());
    if (engine == Engine.FUSED) {
      return new FusedBertEncoder(config, file, configFile.toString(), precision, device);
    }
    if (precision == Precision.BF16) {
      throw UserException.of(
          "--precision bf16 runs in Cellspark's fused engine only: DJL 0.36's PyTorch engine aborts"
              + " the JVM on bfloat16 tensors, which the native engine would create");
    }
    NDManager manager = NDManager.newBaseManager(device, "PyTorch");
    try {
      BertWeights weights = new BertWeights(file, manager, configFile.toString(), precision);
      return new NativeBertEncoder(config, manager, weights);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }
}
