package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * Gradients flow through Cellspark's TorchScript program from the JVM, as fine-tuning needs:
 * TrainableBert's forward (the program's training method, called through DJL's forward with
 * training on) gives the tiny V2 model's weights the gradients PyTorch autograd gives them
 * (make_gradient_reference.py, an independent nn.Module BERT with the same weights), for a loss
 * over a right-padded batch.
 */
class FusedBertGradientTest {
  private static final Path MODEL = Fixtures.vocab("models/tiny-v2");

  /** The watched weights' positions in the program's weight list: embeddings, then 16 per layer. */
  private static final Map<String, Integer> WATCHED =
      Map.of(
          "embeddings.word_embeddings.weight", 0,
          "encoder.layer.0.attention.self.query.weight", 5,
          "encoder.layer.1.output.LayerNorm.weight", 5 + 16 + 14);

  @Test
  void weightGradientsEqualPyTorchs() throws Exception {
    JsonObject ref =
        JsonParser.parseString(Files.readString(Fixtures.vocab("models/gradient_reference.json")))
            .getAsJsonObject();
    try (TrainableBert bert = TrainableBert.load(MODEL, Device.cpu());
        NDManager m = bert.manager().newSubManager()) {
      BertConfig config = bert.config();
      List<NDArray> weights =
          bert.weights().stream().map(TrainableBert.NamedWeight::value).toList();
      JsonArray cells = ref.getAsJsonArray("cells");
      int longest = 0;
      for (int c = 0; c < cells.size(); c++) {
        longest = Math.max(longest, cells.get(c).getAsJsonArray().size());
      }
      long[] ids = new long[cells.size() * longest];
      long[] mask = new long[ids.length];
      for (int c = 0; c < cells.size(); c++) {
        JsonArray cell = cells.get(c).getAsJsonArray();
        for (int i = 0; i < cell.size(); i++) {
          ids[c * longest + i] = cell.get(i).getAsLong();
          mask[c * longest + i] = 1;
        }
      }
      Shape shape = new Shape(cells.size(), longest);
      NDArray attention = m.create(mask, shape);
      double loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray last = bert.lastHiddenState(m.create(ids, shape), attention);
        NDArray real = attention.toType(DataType.FLOAT32, false).expandDims(-1);
        NDArray l = last.square().mul(real).sum().div(real.sum().mul(config.hiddenSize()));
        loss = l.getFloat();
        collector.backward(l);
      }
      assertThat(loss)
          .isCloseTo(ref.get("loss").getAsDouble(), org.assertj.core.data.Offset.offset(1e-5));
      JsonObject gradients = ref.getAsJsonObject("gradients");
      for (Map.Entry<String, Integer> e : WATCHED.entrySet()) {
        float[] got = weights.get(e.getValue()).getGradient().toFloatArray();
        JsonArray want = gradients.getAsJsonArray(e.getKey());
        assertThat(got).as(e.getKey()).hasSize(want.size());
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
          scale = Math.max(scale, Math.abs(want.get(i).getAsDouble()));
          worst = Math.max(worst, Math.abs(got[i] - want.get(i).getAsDouble()));
        }
        assertThat(scale).as(e.getKey() + " has a gradient").isPositive();
        assertThat(worst).as(e.getKey()).isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
      }
    }
  }
}
