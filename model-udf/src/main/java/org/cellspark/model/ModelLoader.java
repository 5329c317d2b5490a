package org.cellspark.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipFile;
import org.cellspark.error.GitLfsPointer;
import org.cellspark.error.UserException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a Geneformer checkpoint for inference, in either form users have:
 *
 * <ul>
 *   <li>a Hugging Face folder with {@code config.json} and {@code model.safetensors}, or {@code
 *       pytorch_model.bin} as transformers saved before safetensors (or the weights file itself,
 *       beside its config.json): the weights bound to Cellspark's own program;
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
   * How a Hugging Face checkpoint (safetensors or pytorch_model.bin) runs: {@link #FUSED},
   * Cellspark's TorchScript program with fused attention (the default), or {@link #NATIVE}, the
   * same forward written with DJL's NDArray operations (kept as the reference the program is tested
   * against, and for benchmarks).
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

  /** As {@link #load(Path, Device, Precision)}, choosing how a Hugging Face checkpoint runs. */
  public static Encoder load(Path location, Device device, Precision precision, Engine engine) {
    ModelFiles files = ModelFiles.at(location);
    GpuReach.check(device);
    return files.torchScript()
        ? torchScript(files.weights(), files.config(), device, precision)
        : checkpoint(files.weights(), files.config(), device, precision, engine);
  }

  /**
   * Where a model's weights and config are: a folder with model.safetensors, a sharded one's index
   * (model.safetensors.index.json), pytorch_model.bin, its index (pytorch_model.bin.index.json) or
   * model.pt (in that order of preference, transformers' own: safetensors first, a whole file
   * before shards), or the weights file (or index) itself with config.json beside it.
   *
   * @param torchScript whether the weights are a TorchScript program (else a file of tensors:
   *     safetensors or a PyTorch checkpoint, which {@link WeightsFile} tells apart)
   */
  record ModelFiles(Path weights, Path config, boolean torchScript) {
    /** A folder's checkpoint files, in transformers' order of preference. */
    static final List<String> CHECKPOINT_NAMES =
        List.of(
            "model.safetensors",
            "model.safetensors.index.json",
            "pytorch_model.bin",
            "pytorch_model.bin.index.json");

    static ModelFiles at(Path location) {
      ModelFiles files = locate(location);
      GitLfsPointer.refuse(files.weights());
      return files;
    }

    private static ModelFiles locate(Path location) {
      Path path = location.toAbsolutePath().normalize();
      if (Files.isDirectory(path)) {
        for (String name : CHECKPOINT_NAMES) {
          Path weights = path.resolve(name);
          if (Files.isRegularFile(weights)) {
            return new ModelFiles(weights, path.resolve("config.json"), false);
          }
        }
        Path torchscript = path.resolve("model.pt");
        if (Files.isRegularFile(torchscript)) {
          return new ModelFiles(
              torchscript, path.resolve("config.json"), isTorchScript(torchscript));
        }
        refuseLoraAdapter(path);
        List<String> below = modelsBelow(path);
        throw UserException.of(
            "Model folder %s has none of model.safetensors, pytorch_model.bin (or their shards'"
                + " *.index.json) and model.pt.%s Use a Hugging Face model folder (config.json +"
                + " model.safetensors or pytorch_model.bin) or a TorchScript file",
            path,
            below.isEmpty()
                ? ""
                : " Folders below it hold models: pass one of them ("
                    + String.join(", ", below)
                    + ").");
      }
      if (!Files.isRegularFile(path)) {
        throw missing(path);
      }
      String name = path.getFileName().toString();
      Path config = path.resolveSibling("config.json");
      if (name.endsWith(".safetensors")
          || name.endsWith(".bin")
          || ShardedCheckpoint.isIndex(path)) {
        return new ModelFiles(path, config, false);
      }
      if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript")) {
        return new ModelFiles(path, config, isTorchScript(path));
      }
      throw UserException.of(
          "Model %s is neither a folder, a .safetensors file, a PyTorch checkpoint (.bin), a"
              + " sharded checkpoint's .index.json nor a TorchScript .pt file",
          path);
    }

    /**
     * Model folders up to three levels below {@code folder} (a repository clone's subfolders, a
     * Hugging Face cache's {@code snapshots/<revision>/<model>}), relative to it: the first five
     * found, in name order.
     */
    private static List<String> modelsBelow(Path folder) {
      try (java.util.stream.Stream<Path> walk = Files.walk(folder, 4)) {
        return walk.filter(f -> f.getFileName().toString().equals("config.json"))
            .map(Path::getParent)
            .filter(d -> !d.equals(folder))
            .filter(d -> CHECKPOINT_NAMES.stream().anyMatch(n -> Files.isRegularFile(d.resolve(n))))
            .map(d -> folder.relativize(d).toString())
            .limit(5) // the walk is lazy: it stops at the fifth
            .sorted()
            .toList();
      } catch (IOException | java.io.UncheckedIOException e) {
        return List.of(); // an unreadable subfolder: the refusal says what it can without
      }
    }

    /**
     * Whether a {@code .pt} file is a TorchScript program rather than a state dict that {@code
     * torch.save} wrote under that name: both are zip archives, and only a program holds {@code
     * code/}. A file that is not a zip archive is left to TorchScript's loader to judge.
     */
    private static boolean isTorchScript(Path file) {
      try (ZipFile zip = new ZipFile(file.toFile())) {
        return zip.stream().anyMatch(e -> e.getName().contains("/code/"));
      } catch (IOException notZip) {
        return true;
      }
    }
  }

  /**
   * The model at {@code location} checked without loading it into an engine: its config, and for a
   * Hugging Face checkpoint every encoder weight (present, the config's shape, finite values). A
   * TorchScript file's weights are inside its program: they are checked when it loads.
   *
   * @return the config and the weights' report (null for TorchScript)
   */
  public static Inspection inspect(Path location) {
    ModelFiles files = ModelFiles.at(location);
    BertConfig config = config(files.config(), files.weights());
    if (files.torchScript()) {
      return new Inspection(files.weights(), files.config(), config, null, null);
    }
    WeightsFile file = WeightsFile.open(files.weights());
    WeightsReport weights =
        new BertWeights(file, null, files.config().toString(), Precision.FP32).verify(config);
    return new Inspection(files.weights(), files.config(), config, weights, file);
  }

  /**
   * The tensors of the Hugging Face checkpoint at {@code location} (a folder's model.safetensors or
   * pytorch_model.bin, or the file itself), for the heads a job reads beside the encoder.
   *
   * @param role what the job needs the weights for, to name in the refusal of a TorchScript file
   */
  public static WeightsFile weights(Path location, String role) {
    ModelFiles files = ModelFiles.at(location);
    if (files.torchScript()) {
      throw UserException.of(
          "Model %s is a TorchScript program; %s needs a Hugging Face checkpoint (config.json +"
              + " model.safetensors or pytorch_model.bin)",
          location, role);
    }
    return WeightsFile.open(files.weights());
  }

  /**
   * A model checked by {@link #inspect}.
   *
   * @param weights the encoder weights' report; null for a TorchScript file
   * @param tensors every tensor of the checkpoint, for the heads beside the encoder; null for a
   *     TorchScript file
   */
  public record Inspection(
      Path weightsFile,
      Path configFile,
      BertConfig config,
      WeightsReport weights,
      WeightsFile tensors) {}

  private static void warnUnexpected(Path weights, List<String> unexpected) {
    if (!unexpected.isEmpty()) {
      LOG.warn(
          "{}: {} tensors are not part of a BERT encoder and are ignored (first: {})",
          weights,
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

  /**
   * Refuses a folder of peft's adapter files (what upstream's Classifier saves with quantize=True):
   * without its base model it is no model, and the message says how to make one.
   */
  private static void refuseLoraAdapter(Path folder) {
    if (Files.isRegularFile(folder.resolve("adapter_config.json"))) {
      throw UserException.of(
          "Model folder %s is a LoRA adapter (peft's adapter_config.json), as upstream's"
              + " Classifier saves with quantize=True, not a whole model. Fold it into its base"
              + " model in Python (PeftModel.from_pretrained(base, folder).merge_and_unload()"
              + ".save_pretrained(DIR)) and pass DIR; or fine-tune with cellspark finetune --lora,"
              + " which saves a whole model",
          folder);
    }
  }

  /**
   * A model that is not there. Users coming from transformers often pass a Hugging Face Hub name
   * (ctheodoris/Geneformer), which from_pretrained downloads; Cellspark fetches nothing.
   */
  private static UserException missing(Path model) {
    return UserException.of(
        "Model %s does not exist. --model takes a model folder (or its weights file) on this"
            + " machine, a bucket or HDFS; a Hugging Face Hub name such as ctheodoris/Geneformer"
            + " is not downloaded: fetch the repository first (git clone with Git LFS, or"
            + " huggingface-cli download) and pass the model's folder, e.g."
            + " Geneformer/Geneformer-V2-104M",
        model);
  }

  private static BertConfig config(Path config, Path model) {
    if (!Files.exists(model)) {
      throw missing(model);
    }
    if (!Files.isRegularFile(config) && Files.isDirectory(model)) {
      refuseLoraAdapter(model);
    }
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
          "--precision %s applies to Hugging Face checkpoints; a TorchScript model runs in"
              + " the precision it was exported in (export it with model.half() for fp16)",
          precision.name().toLowerCase(Locale.ROOT));
    }
    return new TorchScriptEncoder(config(config, file), file, device);
  }

  private static Encoder checkpoint(
      Path weights, Path configFile, Device device, Precision precision, Engine engine) {
    BertConfig config = config(configFile, weights);
    WeightsFile file = WeightsFile.open(weights);
    warnUnexpected(
        weights, new BertWeights(file, null, configFile.toString(), precision).unexpected());
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
      BertWeights encoder = new BertWeights(file, manager, configFile.toString(), precision);
      return new NativeBertEncoder(config, manager, encoder);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }
}
