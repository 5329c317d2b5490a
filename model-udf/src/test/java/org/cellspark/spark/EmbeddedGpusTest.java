package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.cellspark.error.UserException;
import org.cellspark.model.GpuReach;
import org.junit.jupiter.api.Test;

/**
 * Which device embedded Spark's tasks get (the cluster case, a task's GPU resource: TaskDevice).
 */
class EmbeddedGpusTest {
  @Test
  void theSettingIsAutoNoneOrGpuNumbers() {
    assertThat(EmbeddedGpus.parse("auto")).isEqualTo(EmbeddedGpus.AUTO);
    assertThat(EmbeddedGpus.parse(" AUTO ")).isEqualTo(EmbeddedGpus.AUTO);
    assertThat(EmbeddedGpus.parse("none")).isEmpty();
    assertThat(EmbeddedGpus.parse("0")).containsExactly(0);
    assertThat(EmbeddedGpus.parse(" 2, 0 ")).containsExactly(2, 0);
    assertThat(CellsparkSettings.EMBEDDED_GPUS.value(null)).isEqualTo("auto");
    assertThat(CellsparkSettings.EMBEDDED_GPUS.value("1,3")).isEqualTo("1,3");
    for (String bad : List.of("gpu0", "0,0", "-1", "0,,1", "all")) {
      assertThatThrownBy(() -> CellsparkSettings.EMBEDDED_GPUS.value(bad))
          .as(bad)
          .isInstanceOf(UserException.class)
          .hasMessageContaining("Spark setting spark.cellspark.embedded.gpus='" + bad + "'");
    }
    assertThatThrownBy(() -> CellsparkSettings.EMBEDDED_TASKS_PER_GPU.value("0"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("spark.cellspark.embedded.tasksPerGpu");
  }

  @Test
  void autoTakesEveryDetectedGpuAndAListIsTakenAsItIs() {
    assertThat(EmbeddedGpus.chosen(EmbeddedGpus.AUTO, () -> 2)).containsExactly(0, 1);
    assertThat(EmbeddedGpus.chosen(EmbeddedGpus.AUTO, () -> 0)).isEmpty();
    assertThat(
            EmbeddedGpus.chosen(
                List.of(3),
                () -> {
                  throw new AssertionError("a list asks nothing of libtorch");
                }))
        .containsExactly(3);
  }

  @Test
  void onlyALocalMasterIsEmbedded() {
    assertThat(EmbeddedGpus.embedded(new SparkConf(false).set("spark.master", "local[*]")))
        .isTrue();
    assertThat(EmbeddedGpus.embedded(new SparkConf(false).set("spark.master", "local"))).isTrue();
    assertThat(
            EmbeddedGpus.embedded(
                new SparkConf(false).set("spark.master", "local-cluster[2,1,1024]")))
        .isFalse();
    assertThat(EmbeddedGpus.embedded(new SparkConf(false).set("spark.master", "yarn"))).isFalse();
  }

  @Test
  void tasksAreSpreadOverTheListedGpusByPartition() {
    SparkConf conf = new SparkConf(false).set("spark.cellspark.embedded.gpus", "1,3");
    assertThat(EmbeddedGpus.forTask(conf, key -> null, 0)).isEqualTo(Device.gpu(1));
    assertThat(EmbeddedGpus.forTask(conf, key -> null, 5)).isEqualTo(Device.gpu(3));
    // The session's value, where a SQL query runs the task, wins over the application's.
    Map<String, String> none = Map.of("spark.cellspark.embedded.gpus", "none");
    assertThat(EmbeddedGpus.forTask(conf, none::get, 5)).isEqualTo(Device.cpu());
    Map<String, String> zero = Map.of("spark.cellspark.embedded.gpus", "0");
    assertThat(EmbeddedGpus.forTask(new SparkConf(false), zero::get, 5)).isEqualTo(Device.gpu(0));
  }

  @Test
  void autoOnThisMachineIsWhatLibtorchReaches() {
    // The CPU build of libtorch (CI, laptops): the CPU, as before embedded GPUs existed.
    Device expected = GpuReach.gpus() > 0 ? Device.gpu(0) : Device.cpu();
    assertThat(EmbeddedGpus.forTask(new SparkConf(false), key -> null, 0)).isEqualTo(expected);
  }

  @Test
  void sparksGpuSchedulingIsRefusedInEmbeddedSparkOnly() {
    assertThatThrownBy(() -> EmbeddedGpus.refuseTaskGpus("local[*]", "1"))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith(
            "spark.task.resource.gpu.amount=1 asks Spark to schedule tasks by GPU")
        .hasMessageContaining("master local[*]")
        .hasMessageContaining("spark.cellspark.embedded.gpus");
    assertThatThrownBy(() -> EmbeddedGpus.refuseTaskGpus("local", "0.5"))
        .isInstanceOf(UserException.class);
    assertThatCode(() -> EmbeddedGpus.refuseTaskGpus("local[2]", null)).doesNotThrowAnyException();
    assertThatCode(() -> EmbeddedGpus.refuseTaskGpus("yarn", "0.25")).doesNotThrowAnyException();
    assertThatCode(() -> EmbeddedGpus.refuseTaskGpus("local-cluster[2,1,1024]", "1"))
        .doesNotThrowAnyException();
  }
}
