package org.cellspark.perturb;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.Gpu;
import org.cellspark.testing.Vectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Perturbations against PyTorch (perturb_reference.json, make_perturb_fixtures.py): delete,
 * overexpress, inhibit, activate and an anchor pair, on V2-style cells (CLS and mean pooling) and
 * V1-style cells (mean pooling), with shifts toward two states and per-gene cosines.
 */
class PerturbationGoldenTest {
  @Test
  void everyCaseMatchesPyTorch() throws IOException {
    check(Device.cpu());
  }

  /** The same cases on a GPU (the comparisons on the device are what GPU screens run). */
  @Test
  @Tag(Gpu.TAG)
  void everyCaseMatchesPyTorchOnAGpu() throws IOException {
    check(Gpu.device());
  }

  private static void check(Device device) throws IOException {
    JsonObject ref =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/perturb_reference.json")))
            .getAsJsonObject();
    int checked = 0;
    for (String model : List.of("tiny-v2", "tiny-v1")) {
      boolean v2 = model.equals("tiny-v2");
      int cls = v2 ? 2 : -1;
      int eos = v2 ? 3 : -1;
      JsonArray s = ref.getAsJsonArray(model + "_states");
      float[][] states = {
        Vectors.floats(s.get(0).getAsJsonArray()), Vectors.floats(s.get(1).getAsJsonArray())
      };
      try (Encoder encoder = ModelLoader.load(Fixtures.vocab("models/" + model), device);
          CellEmbedder embedder =
              new CellEmbedder(
                  encoder, device, new EmbeddingSettings(-1, Pooling.MEAN, 1000, 0, cls, eos))) {
        for (JsonElement e : ref.getAsJsonArray("cases")) {
          JsonObject c = e.getAsJsonObject();
          if (!c.get("model").getAsString().equals(model)) {
            continue;
          }
          int[] cell = ints(c.getAsJsonArray("input_ids"));
          int[] positions = ints(c.getAsJsonArray("positions"));
          PerturbationType type = PerturbationType.parse(c.get("kind").getAsString());
          Pooling pooling = Pooling.parse(c.get("pooling").getAsString());
          PerturbationBuilder builder = new PerturbationBuilder(type, 1, 64, cls, eos);
          Perturbation p =
              positions.length == 1
                  ? builder.single(cell, positions[0])
                  : builder.withAnchor(cell, positions[0], positions[1]);
          String what =
              String.format(
                  "%s cell %d %s %s %s",
                  model,
                  c.get("cell").getAsInt(),
                  type,
                  java.util.Arrays.toString(positions),
                  pooling);
          assertThat(p.perturbed())
              .as(what)
              .containsExactly(ints(c.getAsJsonArray("perturbed_tokens")));

          ShiftMetrics metrics =
              new ShiftMetrics(encoder.config().hiddenSize(), pooling, states, cls, eos);
          float[][] vectors = embedder.tokenVectors(List.of(p.original(), p.perturbed()));
          ShiftMetrics.Result host = metrics.compare(p, vectors[0], vectors[1], true);
          // The same comparison where the hidden states are (what screens do).
          ShiftMetrics.Result[] onDevice = new ShiftMetrics.Result[1];
          try (ComparisonsOnDevice d =
              new ComparisonsOnDevice(metrics, encoder.config().hiddenSize(), device)) {
            embedder.forEachBatch(
                List.of(p.original()),
                (cells, hidden) -> d.keep(List.of(p.original()), cells, hidden));
            embedder.forEachBatch(
                List.of(p.perturbed()),
                (cells, hidden) -> onDevice[0] = d.compare(List.of(p), cells, hidden, true)[0]);
          }
          assertThat(onDevice[0].cosineSimilarity())
              .as(what + " on the device")
              .isCloseTo(host.cosineSimilarity(), org.assertj.core.data.Offset.offset(1e-6));
          for (ShiftMetrics.Result r : List.of(host, onDevice[0])) {
            assertThat(r.cosineSimilarity())
                .as(what)
                .isCloseTo(
                    c.get("cosine_similarity").getAsDouble(),
                    org.assertj.core.data.Offset.offset(1e-4));
            JsonArray shifts = c.getAsJsonArray("shifts");
            for (int k = 0; k < shifts.size(); k++) {
              assertThat(r.shifts()[k])
                  .as(what + " shift " + k)
                  .isCloseTo(
                      shifts.get(k).getAsDouble(), org.assertj.core.data.Offset.offset(1e-4));
            }
            assertThat(r.affected()).as(what).containsExactly(ints(c.getAsJsonArray("affected")));
            JsonArray geneCos = c.getAsJsonArray("gene_cos");
            for (int k = 0; k < geneCos.size(); k++) {
              assertThat(r.geneCosines()[k])
                  .as(what + " gene " + k)
                  .isCloseTo(
                      geneCos.get(k).getAsDouble(), org.assertj.core.data.Offset.offset(1e-4));
            }
          }
          checked++;
        }
      }
    }
    assertThat(checked).isEqualTo(48);
  }

  private static int[] ints(JsonArray a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsInt();
    }
    return out;
  }
}
