package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.apache.spark.resource.ResourceInformation;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import scala.Option;

class TaskDeviceTest {
  @Test
  void takesTheGpuSparkAssignedNotDeviceZero() {
    assertThat(TaskDevice.of(Option.apply(new ResourceInformation("gpu", new String[] {"3"}))))
        .isEqualTo(Device.gpu(3));
    assertThat(TaskDevice.of(Option.empty())).isEqualTo(Device.cpu());
    assertThat(TaskDevice.of(Option.apply(new ResourceInformation("gpu", new String[0]))))
        .isEqualTo(Device.cpu());
    assertThatThrownBy(
            () ->
                TaskDevice.of(
                    Option.apply(new ResourceInformation("gpu", new String[] {"GPU-9f3a"}))))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("GPU address 'GPU-9f3a', which is not a device number");
  }

  @Test
  void outsideATaskIsTheCpu() {
    assertThat(TaskDevice.current()).isEqualTo(Device.cpu());
  }
}
