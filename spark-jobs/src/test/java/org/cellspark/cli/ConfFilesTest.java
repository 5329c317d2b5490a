package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The cluster recipes in conf/ are well formed: every spark-defaults file holds only comments and
 * "spark.key value" lines whose classes exist; every shell script parses (bash -n); the GPU
 * discovery script prints what Spark expects (on this machine, which has no GPU: no addresses); the
 * YARN GPU scheduling settings for EMR (configuration classifications, JSON) and Dataproc (cluster
 * properties) name what YARN needs to schedule yarn.io/gpu, and EMR's spark-defaults classification
 * is the spark-defaults file, setting for setting.
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
    assertThat(defaults)
        .extracting(p -> CONF.relativize(p).toString())
        .contains(
            "local/spark-defaults.conf",
            "emr/spark-defaults.conf",
            "emr/spark-defaults-gpu.conf",
            "dataproc/spark-defaults.conf",
            "dataproc/spark-defaults-gpu.conf");
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
      Process p =
          new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
      assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
          .as(
              "bash -n %s: %s",
              script, new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
          .isTrue();
    }
    Process gpu =
        new ProcessBuilder("bash", CONF.resolve("gpu/getGpusResources.sh").toString()).start();
    String out = new String(gpu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gpu.waitFor(30, TimeUnit.SECONDS) && gpu.exitValue() == 0).isTrue();
    JsonNode json = new ObjectMapper().readTree(out);
    assertThat(json.get("name").asText()).isEqualTo("gpu");
    assertThat(json.get("addresses").isArray()).isTrue();
  }

  /** What YARN needs before it hands GPUs to containers (Hadoop's "Using GPU On YARN"). */
  private static final Map<String, String> YARN_GPU =
      Map.of(
          "yarn.resource-types", "yarn.io/gpu",
          "yarn.nodemanager.resource-plugins", "yarn.io/gpu",
          "yarn.scheduler.capacity.resource-calculator",
              "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator");

  private static Map<String, String> sparkDefaults(Path file) throws IOException {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      String l = line.trim();
      if (!l.isEmpty() && !l.startsWith("#")) {
        String[] kv = l.split("\\s+", 2);
        out.put(kv[0], kv[1]);
      }
    }
    return out;
  }

  @Test
  void emrClassificationsScheduleGpusOnYarn() throws Exception {
    JsonNode cfg =
        new ObjectMapper().readTree(CONF.resolve("emr/configurations-gpu.json").toFile());
    Map<String, JsonNode> byName = new java.util.HashMap<>();
    cfg.forEach(c -> byName.put(c.get("Classification").asText(), c));
    assertThat(byName)
        .containsKeys("spark-defaults", "yarn-site", "capacity-scheduler", "container-executor");
    Map<String, String> yarn = new java.util.HashMap<>();
    for (String c : List.of("yarn-site", "capacity-scheduler")) {
      byName
          .get(c)
          .get("Properties")
          .properties()
          .forEach(e -> yarn.put(e.getKey(), e.getValue().asText()));
    }
    assertThat(yarn)
        .containsAllEntriesOf(YARN_GPU)
        .containsEntry(
            "yarn.nodemanager.container-executor.class",
            "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor");
    assertThat(
            byName
                .get("capacity-scheduler")
                .at("/Properties/yarn.scheduler.capacity.resource-calculator")
                .asText())
        .endsWith("DominantResourceCalculator");
    Map<String, JsonNode> executor = new java.util.HashMap<>();
    byName
        .get("container-executor")
        .get("Configurations")
        .forEach(c -> executor.put(c.get("Classification").asText(), c));
    assertThat(executor.get("gpu").at("/Properties/module.enabled").asText()).isEqualTo("true");
    // The cgroup hierarchy YARN is pointed at is the one the bootstrap action mounts.
    String root = executor.get("cgroups").at("/Properties/root").asText();
    assertThat(yarn.get("yarn.nodemanager.linux-container-executor.cgroups.mount-path"))
        .isEqualTo(root);
    assertThat(Files.readString(CONF.resolve("emr/bootstrap-gpu.sh")))
        .contains("mount -t cgroup -o devices")
        .contains(root);
    // Spark's settings are the spark-defaults file's, every one.
    Map<String, String> spark = new java.util.LinkedHashMap<>();
    byName
        .get("spark-defaults")
        .get("Properties")
        .properties()
        .forEach(e -> spark.put(e.getKey(), e.getValue().asText()));
    assertThat(spark).isEqualTo(sparkDefaults(CONF.resolve("emr/spark-defaults-gpu.conf")));
  }

  @Test
  void dataprocPropertiesScheduleGpusOnYarn() throws Exception {
    Map<String, String> yarn = new java.util.HashMap<>();
    for (String line : Files.readAllLines(CONF.resolve("dataproc/gpu-cluster.properties"))) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("^(yarn|capacity-scheduler):([^=]+)=(.+)$").matcher(line);
      assertThat(m.matches())
          .as("'%s' is file-prefix:key=value with a prefix Dataproc knows", line)
          .isTrue();
      yarn.put(m.group(2), m.group(3));
    }
    assertThat(yarn).containsAllEntriesOf(YARN_GPU);
  }
}
