package org.cellspark.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.util.List;
import org.cellspark.error.UserException;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.Precision;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Gpu;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * fp16 is for GPUs, but the path (weights cast on load, mask in the weights' type, fp32 pooling)
 * runs on the CPU too, so it is tested here: the embeddings stay close to fp32's.
 */
class PrecisionTest {
  private static final List<int[]> CELLS =
      List.of(new int[] {2, 5, 4, 6, 9, 8, 3}, new int[] {2, 10, 11, 12, 13, 14, 15, 16, 17, 3});
  private static final EmbeddingSettings MEAN =
      new EmbeddingSettings(-1, Pooling.MEAN, 100, 0, 2, 3);

  @ParameterizedTest
  @EnumSource(
      value = Precision.class,
      names = {"FP16", "BF16"})
  void halfPrecisionEmbeddingsStayCloseToFp32(Precision precision) {
    closeToFp32(precision, Device.cpu());
  }

  /** The same on a GPU, where fp16 and bf16 run on tensor cores. */
  @Test
  @Tag(Gpu.TAG)
  void halfPrecisionEmbeddingsOnAGpuStayCloseToFp32() {
    Device gpu = Gpu.device();
    closeToFp32(Precision.FP16, gpu);
    closeToFp32(Precision.BF16, gpu);
  }

  private static void closeToFp32(Precision precision, Device device) {
    float[][] full;
    float[][] half;
    try (Encoder e = ModelLoader.load(Fixtures.vocab("models/tiny-v2"), device);
        CellEmbedder embedder = new CellEmbedder(e, device, MEAN)) {
      full = embedder.embed(CELLS);
    }
    try (Encoder e = ModelLoader.load(Fixtures.vocab("models/tiny-v2"), device, precision);
        CellEmbedder embedder = new CellEmbedder(e, device, MEAN)) {
      half = embedder.embed(CELLS);
    }
    for (int c = 0; c < CELLS.size(); c++) {
      assertThat(Vectors.cosine(full[c], half[c]))
          .as("%s on %s, cell %d", precision, device, c)
          .isGreaterThan(0.995);
    }
  }

  @Test
  void torchScriptModelsRunInTheirExportedPrecision() {
    assertThatThrownBy(
            () ->
                ModelLoader.load(
                    Fixtures.vocab("models/tiny-v2/model.pt"), Device.cpu(), Precision.FP16))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--precision fp16 applies to Hugging Face checkpoints");
    assertThatThrownBy(() -> Precision.parse("int8"))
        .hasMessageContaining("not one of fp32, fp16, bf16");
    // bf16 lives only inside the fused program: the native engine would make bf16 NDArrays.
    assertThatThrownBy(
            () ->
                ModelLoader.load(
                    Fixtures.vocab("models/tiny-v2"),
                    Device.cpu(),
                    Precision.BF16,
                    ModelLoader.Engine.NATIVE))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("fused engine only");
  }
}
