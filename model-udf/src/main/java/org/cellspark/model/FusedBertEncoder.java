package org.cellspark.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
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
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.Bug;

/**
 * A Hugging Face BERT checkpoint run by Cellspark's own TorchScript program ({@code
 * cellspark_bert.pt} in this package, written by {@code model-udf/tools/make_cellspark_bert.py}):
 * the same forward pass as {@link NativeBertEncoder}, op for op, but compiled by libtorch as one
 * graph with fused scaled-dot-product attention (flash or memory-efficient kernels on CUDA, a fused
 * kernel on CPU), which DJL's NDArray operations cannot express. The weights come from the
 * checkpoint's weights file (safetensors or pytorch_model.bin), checked as for the native encoder,
 * and are handed to the program as one list once; fp16 and bf16 casts happen inside the program, so
 * a bf16 tensor never becomes a DJL NDArray (DJL 0.36 aborts the JVM on one). Hidden states come
 * back as fp32.
 */
public final class FusedBertEncoder implements Encoder {
  private static final String PROGRAM = "cellspark_bert.pt";

  private final BertConfig config;
  private final Model program;
  private final PtSymbolBlock block;

  /** The weights as the program runs them (cast to the precision), held for the encoder's life. */
  private final IValue weights;

  private final long activation;

  /**
   * Whether libtorch's graph executor optimises the program (profiling each new input shape, then
   * specialising): DJL's own setting {@code ai.djl.pytorch.graph_optimizer}, read when the encoder
   * loads; off by default here (see {@link #GRAPH_OPTIMIZER_DEFAULT}).
   */
  private final boolean graphOptimizer;

  /** Measured with bench/embed on CPU (fused program, optimiser on vs off, same run). */
  static final boolean GRAPH_OPTIMIZER_DEFAULT = false;

  /**
   * @param file the checkpoint's weights, checked against {@code config} as they are read
   * @param configName how messages name the config (its path)
   */
  FusedBertEncoder(
      BertConfig config, WeightsFile file, String configName, Precision precision, Device device) {
    this.config = config;
    this.activation = activationCode(config);
    this.graphOptimizer =
        Boolean.parseBoolean(
            System.getProperty(
                "ai.djl.pytorch.graph_optimizer", Boolean.toString(GRAPH_OPTIMIZER_DEFAULT)));
    this.program = loadProgram(device);
    this.block = (PtSymbolBlock) program.getBlock();
    // The checkpoint's tensors in fp32, in the program's order; the program casts them once.
    // The list keeps its own references to the tensors, so the staging arrays can go.
    try (NDManager staging = NDManager.newBaseManager(device, "PyTorch");
        IValue fp32 =
            IValue.listFrom(
                weights(config, new BertWeights(file, staging, configName, Precision.FP32))
                    .toArray(new PtNDArray[0]));
        IValue dtype = IValue.from(programCode(precision))) {
      this.weights = IValueUtils.runMethod(block, "prepare", fp32, dtype);
    } catch (RuntimeException e) {
      program.close();
      throw e;
    }
  }

  /** The program's code for the config's activation. */
  static long activationCode(BertConfig config) {
    return switch (config.hiddenAct()) {
      case "relu" -> 0;
      case "gelu" -> 1; // exact (erf) GELU, as Hugging Face's "gelu"
      default -> 2; // "gelu_new" / "gelu_pytorch_tanh": the tanh approximation
    };
  }

  /** Loads Cellspark's TorchScript program onto a device. */
  static Model loadProgram(Device device) {
    Model program = Model.newInstance("cellspark_bert", device, "PyTorch");
    try (InputStream in = FusedBertEncoder.class.getResourceAsStream(PROGRAM)) {
      if (in == null) {
        throw new Bug(PROGRAM + " is missing from the jar");
      }
      program.load(in);
      return program;
    } catch (IOException | MalformedModelException e) {
      program.close();
      throw new Bug("cannot load Cellspark's TorchScript program " + PROGRAM, e);
    }
  }

  /** The program's code for a precision (its {@code prepare} method's dtype argument). */
  private static long programCode(Precision precision) {
    return switch (precision) {
      case FP32 -> 0;
      case FP16 -> 1;
      case BF16 -> 2;
    };
  }

  /**
   * The weight list in the order make_cellspark_bert.py's program reads it: embeddings, then each
   * layer's.
   */
  private static List<PtNDArray> weights(BertConfig config, BertWeights w) {
    List<NDArray> out = new ArrayList<>(w.embeddings(config));
    for (int l = 0; l < config.numLayers(); l++) {
      out.addAll(w.layer(config, l));
    }
    return out.stream().map(a -> (PtNDArray) a).toList();
  }

  @Override
  public BertConfig config() {
    return config;
  }

  @Override
  public String kind() {
    return "fused";
  }

  @Override
  public boolean fusedAttention() {
    return true;
  }

  @Override
  public NDArray hiddenState(NDArray inputIds, NDArray attentionMask, int layer) {
    if (layer < 0 || layer > config.numLayers()) {
      throw new IllegalArgumentException("layer " + layer + " of " + config.numLayers());
    }
    checkLength(inputIds);
    try (IValue ids = IValue.from((PtNDArray) inputIds);
        IValue mask = IValue.from((PtNDArray) attentionMask);
        IValue heads = IValue.from((long) config.numHeads());
        IValue upTo = IValue.from((long) layer);
        IValue eps = IValue.from(config.layerNormEps());
        IValue act = IValue.from(activation);
        IValue out = run("hidden_state", ids, mask, weights, heads, upTo, eps, act)) {
      return out.toTensor((PtNDManager) inputIds.getManager());
    }
  }

  @Override
  public NDList hiddenStates(NDArray inputIds, NDArray attentionMask) {
    checkLength(inputIds);
    try (IValue ids = IValue.from((PtNDArray) inputIds);
        IValue mask = IValue.from((PtNDArray) attentionMask);
        IValue heads = IValue.from((long) config.numHeads());
        IValue eps = IValue.from(config.layerNormEps());
        IValue act = IValue.from(activation);
        IValue out = run("hidden_states", ids, mask, weights, heads, eps, act)) {
      return out.toNDList((PtNDManager) inputIds.getManager());
    }
  }

  /**
   * Runs a method of the program; the optimiser switch is per thread in libtorch, so it is set on
   * each call.
   */
  private IValue run(String method, IValue... args) {
    JniUtils.setGraphExecutorOptimize(graphOptimizer);
    return IValueUtils.runMethod(block, method, args);
  }

  private void checkLength(NDArray ids) {
    long length = ids.getShape().get(1);
    if (length > config.maxPositions()) {
      throw new IllegalArgumentException(
          "sequence of "
              + length
              + " tokens exceeds max_position_embeddings "
              + config.maxPositions());
    }
  }

  @Override
  public void close() {
    weights.close();
    program.close();
  }
}
