package org.cellspark.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.testing.Fixtures;

/** The tiny models and PyTorch's reference outputs (make_model_fixtures.py). */
final class ModelFixtures {
  private static JsonObject reference;

  private ModelFixtures() {}

  static Path model(String name) {
    return Fixtures.vocab("models/" + name);
  }

  static synchronized JsonObject reference(String model) {
    if (reference == null) {
      try {
        reference =
            JsonParser.parseString(Files.readString(Fixtures.vocab("models/reference.json")))
                .getAsJsonObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return reference.getAsJsonObject(model);
  }

  static long[] ids(JsonObject cell) {
    JsonArray a = cell.getAsJsonArray("input_ids");
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsLong();
    }
    return out;
  }

  /** A (length x hidden) matrix from nested JSON arrays, flattened row-major. */
  static float[] matrix(JsonArray rows) {
    int n = rows.size();
    int h = rows.get(0).getAsJsonArray().size();
    float[] out = new float[n * h];
    for (int i = 0; i < n; i++) {
      JsonArray r = rows.get(i).getAsJsonArray();
      for (int j = 0; j < h; j++) {
        out[i * h + j] = r.get(j).getAsFloat();
      }
    }
    return out;
  }
}
