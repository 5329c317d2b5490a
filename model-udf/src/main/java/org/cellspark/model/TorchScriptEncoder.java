package org.cellspark.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import org.cellspark.error.UserException;

/**
 * A TorchScript file a user made from a Hugging Face BERT (torch.jit.trace of a module taking
 * {@code (input_ids, attention_mask)} and returning every hidden state). Hugging Face folders need
 * no such file: {@link FusedBertEncoder} runs them with Cellspark's own program. Loaded with {@code
 * Model.load} on the file's absolute path: DJL's Criteria would scan the model folder for jars
 * (executors keep jars there) and a relative SparkFiles path would confuse it.
 */
public final class TorchScriptEncoder implements Encoder {
  private final BertConfig config;
  private final Model model;

  TorchScriptEncoder(BertConfig config, Path file, Device device) {
    this.config = config;
    Path absolute = file.toAbsolutePath().normalize();
    this.model = Model.newInstance(absolute.getFileName().toString(), device, "PyTorch");
    try {
      model.load(absolute);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw UserException.because(
          e,
          "Cannot load the TorchScript model %s: %s. It must be a TorchScript file (torch.jit.trace"
              + " or torch.jit.script, saved with torch.jit.save); a Hugging Face folder"
              + " (config.json + model.safetensors or pytorch_model.bin) runs as it is, with no"
              + " export.",
          absolute,
          e.getMessage());
    }
  }

  @Override
  public BertConfig config() {
    return config;
  }

  @Override
  public String kind() {
    return "torchscript";
  }

  @Override
  public NDArray hiddenState(NDArray inputIds, NDArray attentionMask, int layer) {
    return hiddenStates(inputIds, attentionMask).get(layer);
  }

  @Override
  public NDList hiddenStates(NDArray inputIds, NDArray attentionMask) {
    NDList out =
        model
            .getBlock()
            .forward(
                new ParameterStore(inputIds.getManager(), false),
                new NDList(inputIds, attentionMask.toType(DataType.INT64, false)),
                false);
    if (out.size() != config.numLayers() + 1) {
      throw UserException.of(
          "The TorchScript model %s returned %d tensors; it must return every hidden state (%d for"
              + " the %d layers in its config.json), or pass the Hugging Face folder instead.",
          model.getName(), out.size(), config.numLayers() + 1, config.numLayers());
    }
    return out;
  }

  @Override
  public void close() {
    model.close();
  }
}
