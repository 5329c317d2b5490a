package org.cellspark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * The feed-forward activations a BERT config.json names ({@code hidden_act}), as Hugging Face
 * computes them: in every encoder layer, and in the masked-language-model head's transform.
 */
public final class Activations {
  private Activations() {}

  /** {@code x} through the activation {@code hiddenAct} (one of {@link BertConfig#ACTIVATIONS}). */
  public static NDArray apply(String hiddenAct, NDArray x) {
    return switch (hiddenAct) {
      case "relu" -> Activation.relu(x);
      case "gelu" -> Activation.gelu(x); // exact (erf) GELU, as Hugging Face's "gelu"
      default -> { // "gelu_new" / "gelu_pytorch_tanh": the tanh approximation
        NDArray inner = x.pow(3).mul(0.044715f).add(x).mul((float) Math.sqrt(2 / Math.PI));
        yield x.mul(0.5f).mul(inner.tanh().add(1f));
      }
    };
  }
}
