package org.cellspark.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cellspark.error.UserException;

/**
 * A Hugging Face BERT checkpoint whose weights train: the checkpoint's tensors as fp32 arrays that
 * record gradients, run by the same TorchScript program as {@link FusedBertEncoder} (one forward
 * pass for training and inference), through its {@code train_hidden_state} method. DJL's {@code
 * runMethod} always runs a program without gradients; {@code PtSymbolBlock.forward} with training
 * on records them and reaches any method: an input named {@code module_method:NAME} selects it and
 * inputs named {@code name[]} become one list argument (the weights).
 *
 * <p>With LoRA adapters ({@link #addAdapters}) the program's {@code train_adapted_hidden_state}
 * runs instead, adding them to the query and value projections, and only they record gradients.
 *
 * <p>Call {@link #lastHiddenState} inside a {@code GradientCollector}; the weights' gradients are
 * then {@code weight.getGradient()}.
 */
public final class TrainableBert implements AutoCloseable {
  /** A weight with its Hugging Face name (without the {@code bert.} prefix). */
  public record NamedWeight(String name, NDArray value) {}

  private final BertConfig config;
  private final Model program;
  private final PtSymbolBlock block;
  private final NDManager manager;
  private final List<NamedWeight> weights;
  private List<NamedWeight> adapters = List.of();
  private LoraAdapters.Settings lora;
  private final Precision precision;
  private final boolean graphOptimizer =
      Boolean.parseBoolean(
          System.getProperty(
              "ai.djl.pytorch.graph_optimizer",
              Boolean.toString(FusedBertEncoder.GRAPH_OPTIMIZER_DEFAULT)));

  private TrainableBert(
      BertConfig config, Model program, NDManager manager, BertWeights w, Precision precision) {
    this.config = config;
    this.precision = precision;
    this.program = program;
    this.block = (PtSymbolBlock) program.getBlock();
    this.manager = manager;
    List<NDArray> arrays = new ArrayList<>(w.embeddings(config));
    for (int l = 0; l < config.numLayers(); l++) {
      arrays.addAll(w.layer(config, l));
    }
    List<String> names = w.names(config);
    List<NamedWeight> out = new ArrayList<>();
    for (int i = 0; i < arrays.size(); i++) {
      NDArray a = arrays.get(i);
      a.setRequiresGradient(true);
      out.add(new NamedWeight(names.get(i), a));
    }
    this.weights = List.copyOf(out);
  }

  /** The checkpoint at {@code location} (a Hugging Face folder or its weights file), fp32. */
  public static TrainableBert load(Path location, Device device) {
    return load(location, device, Precision.FP32);
  }

  /**
   * As above, computing in {@code precision}: fp32, or bf16 mixed precision as {@code
   * torch.autocast} trains (weights and their gradients fp32; linear layers and attention in bf16;
   * embeddings, residual sums and LayerNorms fp32). fp16 is refused: training in it needs loss
   * scaling, which Cellspark does not do.
   */
  public static TrainableBert load(Path location, Device device, Precision precision) {
    if (precision == Precision.FP16) {
      throw UserException.of(
          "--precision fp16 does not train: fp16 gradients underflow without loss scaling, which"
              + " Cellspark does not do. Use bf16 (same speed on GPUs that have it: A100, H100,"
              + " L4 and later) or fp32");
    }
    ModelLoader.ModelFiles files = ModelLoader.ModelFiles.at(location);
    if (files.torchScript()) {
      throw UserException.of(
          "Model %s is a TorchScript file; fine-tuning reads a Hugging Face checkpoint"
              + " (config.json + model.safetensors or pytorch_model.bin), whose weights it can"
              + " train",
          location);
    }
    GpuReach.check(device);
    BertConfig config = ModelLoader.readConfig(files.weights());
    Model program = FusedBertEncoder.loadProgram(device);
    NDManager manager = NDManager.newBaseManager(device, "PyTorch");
    try {
      WeightsFile file = WeightsFile.open(files.weights());
      return new TrainableBert(
          config,
          program,
          manager,
          new BertWeights(file, manager, files.config().toString(), Precision.FP32),
          precision);
    } catch (RuntimeException e) {
      manager.close();
      program.close();
      throw e;
    }
  }

  public BertConfig config() {
    return config;
  }

  public Precision precision() {
    return precision;
  }

  /**
   * The encoder's weights, in the program's order, recording gradients; then its LoRA adapters when
   * it has them ({@link #addAdapters}: then they alone record gradients).
   */
  public List<NamedWeight> weights() {
    if (adapters.isEmpty()) {
      return weights;
    }
    List<NamedWeight> all = new ArrayList<>(weights);
    all.addAll(adapters);
    return List.copyOf(all);
  }

  /** The checkpoint's own weights, without adapters. */
  public List<NamedWeight> checkpointWeights() {
    return weights;
  }

  /**
   * Puts LoRA adapters on every layer's query and value projections ({@link LoraAdapters}), their A
   * drawn from {@code seed}; from then on the forward pass adds them, and the checkpoint's own
   * weights stop recording gradients. Once per encoder.
   */
  public void addAdapters(LoraAdapters.Settings s, long seed) {
    if (lora != null) {
      throw new IllegalStateException("the encoder has adapters already");
    }
    s.checkFits(config);
    adapters = LoraAdapters.create(config, s, seed, manager);
    lora = s;
    for (NamedWeight w : weights) { // the backward pass computes no gradient for them
      w.value().setRequiresGradient(false);
    }
  }

  /** The adapters' settings; null without adapters. */
  public LoraAdapters.Settings adapterSettings() {
    return lora;
  }

  /**
   * {@code all} (this encoder's weights and a head's) as a checkpoint saves them: the adapters
   * folded into the projections they adapt and left out; {@code all} itself without adapters.
   */
  public List<NamedWeight> forSaving(List<NamedWeight> all) {
    return adapters.isEmpty() ? all : LoraAdapters.merged(all, adapters, lora);
  }

  /** The manager the weights live in (and that new arrays for them should use). */
  public NDManager manager() {
    return manager;
  }

  /**
   * The last layer's hidden states (batch, length, hidden), with gradients recorded back to the
   * weights; no dropout.
   *
   * @param ids token ids, int64 (batch, length)
   * @param mask 1 for tokens, 0 for padding, int64 (batch, length)
   */
  public NDArray lastHiddenState(NDArray ids, NDArray mask) {
    return lastHiddenState(ids, mask, 0, 0);
  }

  /**
   * As above, with dropout where Hugging Face's BertModel has it in training: {@code hidden} after
   * the embeddings and on each dense output before its residual sum, {@code attention} on the
   * attention probabilities. The masks are drawn from libtorch's default generator (seed it with
   * {@code JniUtils.setSeed} for a run that repeats).
   */
  public NDArray lastHiddenState(NDArray ids, NDArray mask, double hidden, double attention) {
    return lastHiddenState(ids, mask, hidden, attention, 0);
  }

  /**
   * As above, with dropout at rate {@code adapterDropout} on the LoRA adapters' input (peft's
   * {@code lora_dropout}) when the encoder has adapters.
   */
  public NDArray lastHiddenState(
      NDArray ids, NDArray mask, double hidden, double attention, double adapterDropout) {
    if (ids.getShape().get(1) > config.maxPositions()) {
      throw new IllegalArgumentException(
          "sequence of "
              + ids.getShape().get(1)
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }
    NDList inputs = new NDList(ids, mask);
    for (NamedWeight w : weights) {
      w.value().setName("weights[]");
      inputs.add(w.value());
    }
    for (NamedWeight a : adapters) { // a list argument of its own
      a.value().setName("adapters[]");
      inputs.add(a.value());
    }
    double[] settings = {
      config.numHeads(),
      config.numLayers(),
      FusedBertEncoder.activationCode(config),
      config.layerNormEps(),
      hidden,
      attention,
      precision == Precision.BF16 ? 2 : 0
    };
    if (lora != null) {
      settings = Arrays.copyOf(settings, settings.length + 2);
      settings[settings.length - 2] = lora.scale();
      settings[settings.length - 1] = adapterDropout;
    }
    inputs.add(ids.getManager().create(settings));
    NDArray method = ids.getManager().create("");
    method.setName(
        "module_method:" + (lora == null ? "train_hidden_state" : "train_adapted_hidden_state"));
    inputs.add(method);
    // As for inference (FusedBertEncoder): libtorch's profiling graph executor off, per thread.
    JniUtils.setGraphExecutorOptimize(graphOptimizer);
    return block
        .forward(new ParameterStore(ids.getManager(), false), inputs, true)
        .singletonOrThrow();
  }

  /**
   * One optimizer step's numbers: torch.optim.AdamW's hyperparameters, the step count (from 1) and
   * this step's learning rate, and clip_grad_norm_'s largest norm (0 or less: no clipping).
   */
  public record AdamStep(
      long step,
      double learningRate,
      double beta1,
      double beta2,
      double weightDecay,
      double eps,
      double maxNorm) {}

  /**
   * Clips the gradients of these weights by their global norm and takes one AdamW step, in the
   * program's {@code clip_and_step}: {@code torch._foreach_norm} and {@code _foreach_mul_} as
   * {@code clip_grad_norm_} runs them, then {@code torch._fused_adamw_}, the kernel of {@code
   * torch.optim.AdamW(fused=True)}, so a step costs a few kernels for all weights together rather
   * than a dozen per weight (what keeps a GPU busy with small models); then the gradients are
   * zeroed. Every weight given must have a gradient. The weights and moments are updated in place.
   *
   * @param decayed {weight, exp_avg, exp_avg_sq} of each weight that decays
   * @param others the same for the weights that do not (biases, LayerNorm weights)
   * @return the gradients' global norm before clipping: a scalar on the weights' device, in {@code
   *     out}
   */
  public NDArray clipAndStep(
      List<NDArray[]> decayed, List<NDArray[]> others, AdamStep s, NDManager out) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (IValue dw = list(decayed, 0);
        IValue dm = list(decayed, 1);
        IValue dv = list(decayed, 2);
        IValue ow = list(others, 0);
        IValue om = list(others, 1);
        IValue ov = list(others, 2);
        NDManager scope = out.newSubManager();
        IValue step = IValue.from((PtNDArray) scope.create((float) s.step()));
        IValue lr = IValue.from(s.learningRate());
        IValue beta1 = IValue.from(s.beta1());
        IValue beta2 = IValue.from(s.beta2());
        IValue decay = IValue.from(s.weightDecay());
        IValue eps = IValue.from(s.eps());
        IValue maxNorm = IValue.from(s.maxNorm());
        IValue norm =
            IValueUtils.runMethod(
                block,
                "clip_and_step",
                dw,
                dm,
                dv,
                ow,
                om,
                ov,
                step,
                lr,
                beta1,
                beta2,
                decay,
                eps,
                maxNorm)) {
      return norm.toTensor((PtNDManager) out);
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  private static IValue list(List<NDArray[]> tensors, int which) {
    PtNDArray[] out = new PtNDArray[tensors.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (PtNDArray) tensors.get(i)[which];
    }
    return IValue.listFrom(out);
  }

  @Override
  public void close() {
    manager.close();
    program.close();
  }
}
