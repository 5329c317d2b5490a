package org.cellspark.model;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import org.cellspark.error.UserException;

/**
 * The number format a model computes in. fp32 everywhere by default; fp16 halves the memory and
 * uses a GPU's tensor cores. Embeddings always come back as fp32.
 *
 * <p>bf16 is refused: with DJL 0.36's PyTorch engine, creating or casting to a bfloat16 NDArray
 * aborts the JVM ("terminate called without an active exception", reproduced on CPU with libtorch
 * 2.7.1), which would take the executor down with it.
 */
public enum Precision {
  FP32(DataType.FLOAT32),
  FP16(DataType.FLOAT16);

  private final DataType dataType;

  Precision(DataType dataType) {
    this.dataType = dataType;
  }

  public DataType dataType() {
    return dataType;
  }

  public static Precision parse(String s) {
    if (s.trim().equalsIgnoreCase("bf16")) {
      throw UserException.of(
          "--precision bf16 is not available: DJL 0.36's PyTorch engine aborts the JVM on bfloat16"
              + " tensors; use --precision fp16 (GPU) or fp32");
    }
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw UserException.of("--precision '%s' is not one of fp32, fp16", s);
    }
  }
}
