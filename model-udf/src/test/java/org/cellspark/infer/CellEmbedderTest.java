package org.cellspark.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cellspark.testing.Vectors.maxAbsDiff;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pooled embeddings against PyTorch's (reference.json), whatever the batching and input order. */
class CellEmbedderTest {
  private static Encoder v2;
  private static Encoder v1;
  private static JsonObject reference;

  // The small V2 fixture vocabulary: <pad> 0, <cls> 2, <eos> 3.
  private static final int PAD = 0;
  private static final int CLS = 2;
  private static final int EOS = 3;

  @BeforeAll
  static void load() throws IOException {
    v2 = ModelLoader.load(Fixtures.vocab("models/tiny-v2"), Device.cpu());
    v1 = ModelLoader.load(Fixtures.vocab("models/tiny-v1"), Device.cpu());
    reference =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/reference.json")))
            .getAsJsonObject();
  }

  @AfterAll
  static void close() {
    v2.close();
    v1.close();
  }

  private static List<int[]> cells(String model) {
    List<int[]> out = new ArrayList<>();
    for (JsonElement c : reference.getAsJsonObject(model).getAsJsonArray("cells")) {
      JsonArray a = c.getAsJsonObject().getAsJsonArray("input_ids");
      int[] ids = new int[a.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = a.get(i).getAsInt();
      }
      out.add(ids);
    }
    return out;
  }

  private static float[] expected(String model, int cell, String pooling, String layer) {
    JsonArray a =
        reference
            .getAsJsonObject(model)
            .getAsJsonArray("cells")
            .get(cell)
            .getAsJsonObject()
            .getAsJsonObject(pooling)
            .getAsJsonArray(layer);
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsFloat();
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "tiny-v2, mean, -1",
    "tiny-v2, mean, 0",
    "tiny-v2, cls, -1",
    "tiny-v2, cls, 0",
    "tiny-v1, mean, -1",
    "tiny-v1, mean, 0",
  })
  void poolsAsPyTorchDoes(String model, String pooling, int layer) {
    Encoder e = model.equals("tiny-v2") ? v2 : v1;
    int cls = model.equals("tiny-v2") ? CLS : -1;
    int eos = model.equals("tiny-v2") ? EOS : -1;
    List<int[]> cells = cells(model);
    for (long budget : new long[] {1, 40, 1_000_000}) { // one cell per batch .. all in one
      try (CellEmbedder embedder =
          new CellEmbedder(
              e,
              Device.cpu(),
              new EmbeddingSettings(layer, Pooling.parse(pooling), budget, PAD, cls, eos))) {
        float[][] out = embedder.embed(cells);
        for (int c = 0; c < cells.size(); c++) {
          assertThat(maxAbsDiff(out[c], expected(model, c, pooling, String.valueOf(layer))))
              .as("%s %s layer %d, cell %d, budget %d", model, pooling, layer, c, budget)
              .isLessThanOrEqualTo(1e-4);
        }
      }
    }
  }

  /** Shuffled input with empty cells in between: every result lands on its own cell. */
  @Test
  void resultsComeBackInInputOrderAndEmptyCellsStayEmpty() {
    List<int[]> cells = cells("tiny-v2");
    List<Integer> order = new ArrayList<>();
    List<int[]> mixed = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int c = 0; c < cells.size(); c++) {
        order.add(c);
      }
    }
    Collections.shuffle(order, new java.util.Random(5));
    for (int i = 0; i < order.size(); i++) {
      mixed.add(cells.get(order.get(i)));
      if (i % 4 == 1) {
        mixed.add(new int[0]);
        order.add(i + 1, -1);
        i++;
      }
    }
    try (CellEmbedder embedder =
        new CellEmbedder(
            v2, Device.cpu(), new EmbeddingSettings(-1, Pooling.MEAN, 64, PAD, CLS, EOS))) {
      float[][] out = embedder.embed(mixed);
      assertThat(out.length).isEqualTo(mixed.size());
      for (int i = 0; i < mixed.size(); i++) {
        if (order.get(i) < 0) {
          assertThat(out[i]).as("empty cell %d", i).isNull();
        } else {
          assertThat(maxAbsDiff(out[i], expected("tiny-v2", order.get(i), "mean", "-1")))
              .as("position %d (cell %d)", i, order.get(i))
              .isLessThanOrEqualTo(1e-4);
        }
      }
      assertThat(embedder.paddingFraction()).isBetween(0.0, 1.0);
    }
  }

  @Test
  void tokenVectorsAreTheChosenLayersHiddenStates() {
    List<int[]> cells = cells("tiny-v1");
    try (CellEmbedder embedder =
        new CellEmbedder(
            v1, Device.cpu(), new EmbeddingSettings(0, Pooling.MEAN, 100, PAD, -1, -1))) {
      float[][] vectors = embedder.tokenVectors(cells);
      for (int c = 0; c < cells.size(); c++) {
        JsonArray last =
            reference
                .getAsJsonObject("tiny-v1")
                .getAsJsonArray("cells")
                .get(c)
                .getAsJsonObject()
                .getAsJsonArray("hidden_states")
                .get(2)
                .getAsJsonArray();
        float[] flat = new float[last.size() * 32];
        for (int i = 0; i < last.size(); i++) {
          for (int j = 0; j < 32; j++) {
            flat[i * 32 + j] = last.get(i).getAsJsonArray().get(j).getAsFloat();
          }
        }
        assertThat(maxAbsDiff(vectors[c], flat)).isLessThanOrEqualTo(1e-4);
      }
    }
  }

  @Test
  void cellsTheModelCannotTakeAreNamedByPosition() {
    try (CellEmbedder embedder =
        new CellEmbedder(
            v2, Device.cpu(), new EmbeddingSettings(-1, Pooling.MEAN, 100, PAD, CLS, EOS))) {
      assertThatThrownBy(() -> embedder.embed(List.of(new int[] {2, 5, 3}, new int[] {2, 34, 3})))
          .isInstanceOf(InvalidCellException.class)
          .hasMessageContaining("token id 34 is outside the model's vocabulary (vocab_size 34)")
          .extracting(t -> ((InvalidCellException) t).position())
          .isEqualTo(1);
      assertThatThrownBy(() -> embedder.embed(List.of(new int[65])))
          .isInstanceOf(InvalidCellException.class)
          .hasMessageContaining("65 tokens but the model takes at most 64");
    }
    try (CellEmbedder cls =
        new CellEmbedder(
            v2, Device.cpu(), new EmbeddingSettings(-1, Pooling.CLS, 100, PAD, CLS, EOS))) {
      assertThatThrownBy(() -> cls.embed(List.of(new int[] {5, 6, 7})))
          .isInstanceOf(InvalidCellException.class)
          .hasMessageContaining("--pooling cls needs cells that start with <cls>");
    }
  }

  @Test
  void autoBudgetOnTheCpuBatchesAsSixteenThousandTokensDo() {
    // 300 cells of 64 tokens (19,200): two batches under 16,384 tokens, one under 65,536.
    List<int[]> cells = new ArrayList<>();
    for (int c = 0; c < 300; c++) {
      int[] ids = new int[64];
      ids[0] = CLS;
      for (int i = 1; i < 63; i++) {
        ids[i] = 4 + (c + i) % 30;
      }
      ids[63] = EOS;
      cells.add(ids);
    }
    assertThat(v2.fusedAttention()).isTrue();
    for (long budget : new long[] {BatchBudget.AUTO, 16_384, 65_536}) {
      try (CellEmbedder e =
          new CellEmbedder(
              v2, Device.cpu(), new EmbeddingSettings(-1, Pooling.MEAN, budget, PAD, CLS, EOS))) {
        List<Integer> sizes = new ArrayList<>();
        e.forEachBatch(cells, (batch, hidden) -> sizes.add(batch.length));
        if (budget == 65_536) {
          assertThat(sizes).containsExactly(300);
        } else {
          assertThat(e.batchTokens()).isEqualTo(16_384);
          assertThat(sizes).containsExactly(256, 44);
        }
      }
    }
  }
}
