package org.cellspark.jobs.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.cellspark.error.Bug;

/**
 * The {@code _cellspark.json} every job writes beside its output: what ran (job, version, options),
 * on what (inputs with fingerprints), what came out (counts) and how long it took. Built as an
 * ordered map so the file reads top to bottom.
 */
public final class JobSummary {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static final String VERSION_RESOURCE = "/org/cellspark/cellspark-version.properties";

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

  /**
   * This build's version, as the POM gives it (the build writes it into a resource). Not the jar
   * manifest's Implementation-Version: the application jar's manifest is the shade step's, and
   * target/classes (tests, an IDE) has none.
   */
  public static String version() {
    try (InputStream in = JobSummary.class.getResourceAsStream(VERSION_RESOURCE)) {
      if (in == null) {
        return "dev";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "dev");
      return v.startsWith("${") ? "dev" : v; // copied by a build that does not filter resources
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + VERSION_RESOURCE + " from the classpath", e);
    }
  }
}
