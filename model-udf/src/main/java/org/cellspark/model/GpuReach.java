package org.cellspark.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import org.cellspark.error.UserException;

/**
 * Whether a task given a GPU can reach it through the PyTorch library its executor loaded. The
 * library bundled with Cellspark is libtorch's CPU build, and GPU nodes need its CUDA build put in
 * place; where that step was missed, the first tensor on the GPU failed deep in libtorch with a
 * message about CUDA that names neither the cause nor the fix, once per task attempt. Checked
 * before a model loads onto a GPU, from what libtorch itself reports ({@code
 * torch::cuda::is_available}, read once per JVM).
 */
public final class GpuReach {
  private GpuReach() {}

  /** Refuses a GPU device the loaded PyTorch library cannot use, saying what to install. */
  public static void check(Device device) {
    if (device.isGpu() && !Cuda.AVAILABLE) {
      throw UserException.of(
          unreachable(device.getDeviceId(), Cuda.VERSION, LibUtils.getLibtorchPath()));
    }
  }

  /** The message for a task given GPU {@code gpu} where libtorch sees no CUDA device. */
  static String unreachable(int gpu, String version, String library) {
    return String.format(
        "This task was given GPU %d (by spark.task.resource.gpu.amount on a cluster, or"
            + " spark.cellspark.embedded.gpus in embedded Spark), but the PyTorch library this"
            + " executor loaded sees no CUDA device: libtorch %s at %s is a CPU build, or"
            + " CUDA cannot reach the GPU (driver, CUDA_VISIBLE_DEVICES). GPU executors need"
            + " libtorch's CUDA build of version %s on the node, found through"
            + " PYTORCH_LIBRARY_PATH with PYTORCH_FLAVOR set to its flavor (e.g. cu128): see"
            + " Cellspark's run-on-emr.md or run-on-dataproc.md. Or run without GPUs",
        gpu, version, library, version);
  }

  /**
   * How many GPUs this JVM's libtorch can use: 0 with its CPU build or where CUDA sees no device;
   * else the CUDA runtime's device count, or 1 where the runtime cannot be asked (libtorch's CUDA
   * builds ship it under a name of their own). Asked once per JVM; the first call starts the
   * PyTorch engine, so libtorch's thread settings must be in place before it.
   */
  public static int gpus() {
    return Cuda.GPUS;
  }

  /** What libtorch reports, asked once per JVM (the first model loaded onto a GPU asks). */
  private static final class Cuda {
    static final boolean AVAILABLE;
    static final String VERSION;
    static final int GPUS;

    static {
      DjlSetup.offline();
      Engine engine = Engine.getEngine("PyTorch");
      AVAILABLE = engine.hasCapability(StandardCapabilities.CUDA);
      VERSION = engine.getVersion();
      GPUS = AVAILABLE ? Math.max(1, CudaUtils.getGpuCount()) : 0;
    }
  }
}
