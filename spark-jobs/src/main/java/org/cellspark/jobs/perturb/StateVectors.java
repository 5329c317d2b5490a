package org.cellspark.jobs.perturb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.infer.Pooling;
import org.cellspark.io.ParquetTables;
import org.cellspark.jobs.common.StagedOutput;

/** The state embeddings a screen shifts toward, read from {@code embed --summary}'s output. */
final class StateVectors {
  private StateVectors() {}

  /**
   * One vector per state, in {@code states}' order (start, goal, alternatives). When the folder is
   * an embed job's output, its summary must show the same model, layer and pooling as the screen: a
   * shift toward a state embedded otherwise compares vectors from different spaces.
   */
  static float[][] read(
      SparkSession spark,
      String folder,
      List<String> states,
      int hidden,
      int layer,
      Pooling pooling,
      String modelFingerprint) {
    String table = folder;
    try {
      Path p = new Path(folder, "state_embeddings");
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(p)) {
        table = p.toString();
        Path summary = new Path(folder, StagedOutput.SUMMARY_FILE);
        if (fs.exists(summary)) {
          try (InputStream in = fs.open(summary)) {
            check(folder, new ObjectMapper().readTree(in), layer, pooling, modelFingerprint);
          }
        }
      }
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read --state-embeddings %s: %s", folder, e.getMessage());
    }
    Dataset<Row> rows =
        ParquetTables.read(
            spark,
            table,
            (e, why) ->
                UserException.because(
                    e,
                    "--state-embeddings %s is not a Parquet table (%s); pass the output of"
                        + " cellspark embed --summary",
                    folder,
                    why));
    Map<String, float[]> byLabel = new HashMap<>();
    for (Row r : rows.select("label", "embedding").collectAsList()) {
      Object e = r.get(1);
      double[] v =
          e instanceof Vector vec
              ? vec.toArray()
              : r.<Number>getList(1).stream().mapToDouble(Number::doubleValue).toArray();
      float[] f = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        f[i] = (float) v[i];
      }
      byLabel.put(String.valueOf(r.get(0)), f);
    }
    float[][] out = new float[states.size()][];
    for (int s = 0; s < out.length; s++) {
      float[] v = byLabel.get(states.get(s));
      if (v == null) {
        throw UserException.of(
            "--state-embeddings %s has no embedding for state '%s' (it has: %s); run cellspark"
                + " embed --summary with --by the state column",
            folder, states.get(s), String.join(", ", byLabel.keySet()));
      }
      if (v.length != hidden) {
        throw UserException.of(
            "--state-embeddings %s: state '%s' has %d dimensions but the model's hidden size is %d;"
                + " use the same model for both",
            folder, states.get(s), v.length, hidden);
      }
      out[s] = v;
    }
    return out;
  }

  private static void check(
      String folder, JsonNode summary, int layer, Pooling pooling, String modelFingerprint) {
    List<String> problems = new ArrayList<>();
    JsonNode l = summary.at("/options/layer");
    if (l.isInt() && l.asInt() != layer) {
      problems.add("layer " + l.asInt() + " (this screen: " + layer + ")");
    }
    JsonNode p = summary.at("/options/pooling");
    String ours = pooling.name().toLowerCase(Locale.ROOT);
    if (p.isTextual() && !p.asText().equals(ours)) {
      problems.add(p.asText() + " pooling (this screen: " + ours + ")");
    }
    JsonNode f = summary.at("/model/fingerprint");
    if (f.isTextual()
        && f.asText().startsWith("sha256:")
        && modelFingerprint.startsWith("sha256:")
        && !f.asText().equals(modelFingerprint)) {
      problems.add("another model (" + summary.at("/model/path").asText() + ")");
    }
    if (!problems.isEmpty()) {
      throw UserException.of(
          "--state-embeddings %s were made with %s; embed the states with the screen's --model,"
              + " --layer and --pooling (cellspark embed --summary mean --by <state column>)",
          folder, String.join(", ", problems));
    }
  }
}
