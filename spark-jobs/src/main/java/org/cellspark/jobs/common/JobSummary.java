package org.cellspark.jobs.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cellspark.error.Bug;

/**
 * The {@code _cellspark.json} every job writes beside its output: what ran (job, version, options),
 * on what (inputs with fingerprints), what came out (counts) and how long it took. Built as an
 * ordered map so the file reads top to bottom.
 */
public final class JobSummary {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Map<String, Object> root = new LinkedHashMap<>();

  public JobSummary(String job) {
    root.put("job", job);
    root.put("cellspark_version", version());
    root.put("spark_version", org.apache.spark.package$.MODULE$.SPARK_VERSION());
  }

  public JobSummary put(String key, Object value) {
    root.put(key, value);
    return this;
  }

  public Map<String, Object> asMap() {
    return root;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new Bug("job summary is not serialisable", e);
    }
  }

  public static String version() {
    String v = JobSummary.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
