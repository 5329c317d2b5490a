package org.cellspark.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.embed.EmbedJob;
import org.cellspark.jobs.embed.EmbedOptions;
import org.cellspark.jobs.tokenize.TokenizeJob;
import org.cellspark.jobs.tokenize.TokenizeOptions;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/from-geneformer.md's "Back to Python" lines, as the page has them, run with /usr/bin/python3
 * on an embed output of an h5ad fixture: the AnnData written holds each embedded cell's vector in
 * obsm["X_geneformer"], in the AnnData's cell order, and NaN rows for the cells the tokenizer left
 * out. Skipped, saying why, where that Python lacks anndata or a Parquet engine for pandas.
 */
@ExtendWith(SharedSpark.class)
class BackToAnnDataTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  @TempDir Path tmp;

  private static String snippet() throws IOException {
    String page = Files.readString(Fixtures.repositoryRoot().resolve("docs/from-geneformer.md"));
    Matcher m =
        Pattern.compile("## Back to Python.*?```python\\n(.*?)```", Pattern.DOTALL).matcher(page);
    assertThat(m.find()).as("a python block under 'Back to Python'").isTrue();
    return m.group(1);
  }

  private static Process python(String code, Path dir) throws IOException {
    return new ProcessBuilder(PYTHON.toString(), "-c", code)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .start();
  }

  private static String run(String code, Path dir) throws IOException, InterruptedException {
    Process p = python(code, dir);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private static String whyNot(Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(PYTHON)) {
      return "no /usr/bin/python3 on this machine";
    }
    Process p =
        python(
            "import importlib.util as u\n"
                + "missing = [m for m in ('anndata', 'pandas') if u.find_spec(m) is None]\n"
                + "if not any(u.find_spec(e) for e in ('pyarrow', 'fastparquet')):\n"
                + "    missing.append('pyarrow or fastparquet (pandas reads Parquet with them)')\n"
                + "print(', '.join(missing))",
            dir);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(60, TimeUnit.SECONDS);
    return out.isEmpty() ? null : "/usr/bin/python3 lacks " + out;
  }

  @Test
  void embeddingsGoIntoObsmInTheAnnDatasCellOrder(SparkSession spark) throws Exception {
    String missing = whyNot(tmp);
    assumeThat(missing).as(String.valueOf(missing)).isNull();

    Path atlas = Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), tmp.resolve("my_atlas.h5ad"));
    String tokens = tmp.resolve("my_tokens").toString();
    TokenizeJob.run(
        spark,
        TokenizeOptions.builder()
            .input(atlas.toString())
            .vocabulary(Fixtures.vocab("vocab-v2-small").toString())
            .output(tokens)
            .build());
    EmbedJob.run(
        spark,
        EmbedOptions.of(
            tokens, Fixtures.vocab("models/tiny-v2").toString(), tmp.resolve("my_emb").toString()));
    Map<String, double[]> expected = new HashMap<>();
    for (Row r : spark.read().parquet(tmp.resolve("my_emb/cells").toString()).collectAsList()) {
      expected.put(r.getAs("cell_id"), r.<Vector>getAs("embedding").toArray());
    }

    run(snippet(), tmp);
    String dump =
        run(
            "import anndata, json, numpy as np\n"
                + "a = anndata.read_h5ad('my_atlas_with_embeddings.h5ad')\n"
                + "x = a.obsm['X_geneformer']\n"
                + "print(json.dumps({'names': list(map(str, a.obs_names)),"
                + " 'rows': [None if np.isnan(r).all() else [float(v) for v in r] for r in x]}))",
            tmp);
    String json = dump.lines().reduce((a, b) -> b).orElseThrow();
    com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
    List<String> names =
        o.getAsJsonArray("names").asList().stream()
            .map(com.google.gson.JsonElement::getAsString)
            .toList();
    assertThat(names).hasSize(40);
    int embedded = 0;
    for (int i = 0; i < names.size(); i++) {
      com.google.gson.JsonElement row = o.getAsJsonArray("rows").get(i);
      double[] want = expected.get(names.get(i));
      if (want == null) {
        assertThat(row.isJsonNull()).as("cell %s was not embedded", names.get(i)).isTrue();
        continue;
      }
      embedded++;
      com.google.gson.JsonArray got = row.getAsJsonArray();
      assertThat(got.size()).isEqualTo(want.length);
      for (int k = 0; k < want.length; k++) {
        assertThat(got.get(k).getAsDouble()).isCloseTo(want[k], within(1e-6));
      }
    }
    assertThat(embedded).isEqualTo(expected.size());
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }
}
