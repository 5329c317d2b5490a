package org.cellspark.model;

import ai.djl.ndarray.types.DataType;
import org.cellspark.error.Bug;
import org.cellspark.error.Choices;

/**
 * The number format a model computes in. fp32 everywhere by default; fp16 and bf16 halve the memory
 * and use a GPU's tensor cores (bf16 keeps fp32's range). Embeddings always come back as fp32.
 *
 * <p>bf16 exists only inside Cellspark's TorchScript program ({@link FusedBertEncoder}): with DJL
 * 0.36's PyTorch engine, creating or casting to a bfloat16 NDArray aborts the JVM ("terminate
 * called without an active exception", reproduced on CPU with libtorch 2.7.1), so the native
 * encoder refuses it and its {@link #dataType()} is never asked for.
 */
public enum Precision {
  FP32(DataType.FLOAT32),
  FP16(DataType.FLOAT16),
  BF16(null);

  private final DataType dataType;

  Precision(DataType dataType) {
    this.dataType = dataType;
  }

  /** The NDArray type of the weights (fp32 and fp16 only: a bf16 NDArray would abort the JVM). */
  public DataType dataType() {
    if (dataType == null) {
      throw new Bug("bf16 weights never become DJL NDArrays");
    }
    return dataType;
  }

  public static Precision parse(String s) {
    return Choices.parse("--precision", s, values());
  }
}
