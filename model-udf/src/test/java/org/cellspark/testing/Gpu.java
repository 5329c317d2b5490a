package org.cellspark.testing;

import ai.djl.Device;
import org.cellspark.model.GpuReach;
import org.junit.jupiter.api.Assumptions;

/**
 * GPU tests (tagged {@code gpu}) run the CPU tests' checks on CUDA. Where libtorch sees no GPU they
 * are skipped, and the report says so (Surefire counts them as skipped, with this reason): they
 * never pass without running.
 */
public final class Gpu {
  public static final String TAG = "gpu";

  private Gpu() {}

  /** The first CUDA device; the calling test is skipped, saying why, when there is none. */
  public static Device device() {
    Assumptions.assumeTrue(
        GpuReach.gpus() > 0,
        "no CUDA GPU visible to libtorch here, so this GPU test did not run. It runs on a machine"
            + " with one: mvn test -Dgroups=gpu, or bench/gpu/device.sh on the device machine");
    return Device.gpu();
  }
}
