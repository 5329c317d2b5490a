package org.cellspark.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Golden values for the atlas fixtures, computed by the fixture generator in Python (anndata's
 * reading of the cells; a plain Python restatement of the tokenizer), never by the code under test.
 */
public final class Expected {
  private static JsonNode root;

  private Expected() {}

  public static synchronized JsonNode root() {
    if (root == null) {
      try {
        root = new ObjectMapper().readTree(Fixtures.atlas("expected.json").toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return root;
  }

  /** Tokens by cell ID for one of "v2", "v1", "v2_computed_n_counts". */
  public static Map<String, List<Integer>> tokens(String variant) {
    Map<String, List<Integer>> out = new LinkedHashMap<>();
    root()
        .get(variant)
        .get("tokens")
        .properties()
        .forEach(
            e -> {
              List<Integer> ids = new ArrayList<>();
              e.getValue().forEach(n -> ids.add(n.asInt()));
              out.put(e.getKey(), ids);
            });
    return out;
  }

  public static List<String> dropped(String variant, String reason) {
    List<String> out = new ArrayList<>();
    root().get(variant).get(reason).forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The cells as anndata reads them: cell_id, genes (column indices), counts, obs. */
  public static JsonNode cells() {
    return root().get("cells");
  }
}
