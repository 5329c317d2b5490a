package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The cluster recipes in conf/ are well formed: every spark-defaults file holds only comments and
 * "spark.key value" lines whose classes exist; every shell script parses (bash -n); the GPU
 * discovery script prints what Spark expects (on this machine, which has no GPU: no addresses).
 */
class ConfFilesTest {
  private static final Path CONF = Fixtures.repositoryRoot().resolve("conf");

  private static List<Path> files(String suffix) throws IOException {
    try (Stream<Path> all = Files.walk(CONF)) {
      return all.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  @Test
  void sparkDefaultsHoldSparkSettingsOnly() throws Exception {
    List<Path> defaults = files(".conf");
    assertThat(defaults).extracting(p -> CONF.relativize(p).toString()).contains("local/spark-defaults.conf",
        "emr/spark-defaults.conf", "emr/spark-defaults-gpu.conf", "dataproc/spark-defaults.conf", "dataproc/spark-defaults-gpu.conf");
    for (Path f : defaults) {
      for (String line : Files.readAllLines(f)) {
        String l = line.trim();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        String[] kv = l.split("\\s+", 2);
        assertThat(kv).as("%s: '%s' is 'key value'", f, l).hasSize(2);
        assertThat(kv[0]).as(f.toString()).startsWith("spark.");
        if (kv[0].equals("spark.sql.extensions")) {
          Class.forName(kv[1]); // the extension class exists
        }
      }
    }
  }

  @Test
  void scriptsParseAndGpuDiscoverySpeaksSparksFormat() throws Exception {
    for (Path script : files(".sh")) {
      Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
      assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("bash -n %s: %s", script,
          new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isTrue();
    }
    Process gpu = new ProcessBuilder("bash", CONF.resolve("gpu/getGpusResources.sh").toString()).start();
    String out = new String(gpu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gpu.waitFor(30, TimeUnit.SECONDS) && gpu.exitValue() == 0).isTrue();
    JsonNode json = new ObjectMapper().readTree(out);
    assertThat(json.get("name").asText()).isEqualTo("gpu");
    assertThat(json.get("addresses").isArray()).isTrue();
  }
}
