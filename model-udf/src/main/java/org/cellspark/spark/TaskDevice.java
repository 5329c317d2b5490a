package org.cellspark.spark;

import ai.djl.Device;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.cellspark.error.UserException;
import scala.Option;

/**
 * The device a task runs its model on: the GPU Spark assigned to the task ({@code
 * spark.task.resource.gpu.amount} with a discovery script), never a hard-coded GPU 0; in embedded
 * Spark, which assigns none, a GPU of {@link EmbeddedGpus} where the machine has one; else the CPU.
 */
public final class TaskDevice {
  private TaskDevice() {}

  public static Device current() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return Device.cpu();
    }
    Option<ResourceInformation> gpu = task.resources().get("gpu");
    if (gpu.isDefined()) {
      return of(gpu);
    }
    SparkEnv env = SparkEnv.get();
    if (env == null || !EmbeddedGpus.embedded(env.conf())) {
      return Device.cpu();
    }
    return EmbeddedGpus.forTask(env.conf(), task::getLocalProperty, task.partitionId());
  }

  /** The device for a task's {@code gpu} resource (absent: the CPU). */
  static Device of(Option<ResourceInformation> gpu) {
    if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
      return Device.cpu();
    }
    String address = gpu.get().addresses()[0];
    try {
      return Device.gpu(Integer.parseInt(address.trim()));
    } catch (NumberFormatException e) {
      throw UserException.because(
          e,
          "Spark gave this task the GPU address '%s', which is not a device number; the GPU"
              + " discovery script must print CUDA device indices",
          address);
    }
  }

  /** Where a task ran, for a summary: "executor ID, DEVICE". */
  public static String where(Device device) {
    return "executor " + SparkEnv.get().executorId() + ", " + device;
  }
}
