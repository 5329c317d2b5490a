package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;

/**
 * A task given a GPU on an executor whose libtorch cannot reach one: what a GPU node without the
 * CUDA build of libtorch does. Here that is the real case: the library the tests load is the CPU
 * build (on a machine with a CUDA build the test is skipped, saying so).
 */
class GpuReachTest {
  @Test
  void loadingOntoAGpuWithTheCpuBuildSaysWhatToInstall() {
    assumeFalse(
        Engine.getEngine("PyTorch").hasCapability(StandardCapabilities.CUDA),
        "this machine's libtorch reaches a CUDA device");
    String version = Engine.getEngine("PyTorch").getVersion();
    assertThatThrownBy(() -> ModelLoader.load(ModelFixtures.model("tiny-v1"), Device.gpu(0)))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith(
            "This task was given GPU 0 (by spark.task.resource.gpu.amount on a cluster")
        .hasMessageContaining("libtorch " + version + " at " + LibUtils.getLibtorchPath())
        .hasMessageContaining("is a CPU build")
        .hasMessageContaining("PYTORCH_LIBRARY_PATH");
    assertThatThrownBy(
            () -> ModelLoader.load(ModelFixtures.model("tiny-v1"), Device.gpu(0), Precision.FP16))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("This task was given GPU 0");
    assertThatThrownBy(() -> TrainableBert.load(ModelFixtures.model("tiny-v2"), Device.gpu(3)))
        .isInstanceOf(UserException.class)
        .hasMessageStartingWith("This task was given GPU 3");
  }

  @Test
  void theMessageNamesTheGpuTheLibraryAndTheVersionToInstall() {
    String m = GpuReach.unreachable(1, "2.7.1", "/opt/libtorch/lib");
    assertThat(m)
        .startsWith("This task was given GPU 1")
        .contains("libtorch 2.7.1 at /opt/libtorch/lib is a CPU build")
        .contains("libtorch's CUDA build of version 2.7.1 on the node");
  }
}
