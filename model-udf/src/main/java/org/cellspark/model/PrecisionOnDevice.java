package org.cellspark.model;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cellspark.error.UserException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which precisions a model may run in on the device a task has. A GPU takes fp32, fp16 and bf16. A
 * CPU takes fp32 and bf16: CPUs with bf16 instructions (AVX512-BF16 or AMX: Intel Xeon from Cooper
 * Lake and Sapphire Rapids, AMD EPYC from Zen 4) multiply in bf16 faster than in fp32 (measured on
 * a Zen 4 core: V1-10M shape at 2,048 tokens 1.31x fp32's cells/s, V2-104M shape at 4,096 tokens
 * 1.57x, pooled embeddings within cosine 0.99997 of fp32's); on other CPUs libtorch emulates bf16,
 * slower than fp32, which is said once per JVM. fp16 is refused on a CPU: libtorch has no fast CPU
 * path for it (the same Zen 4 core: 0.90 cells/s against fp32's 2.65, V1-10M shape, 2,048 tokens).
 */
public final class PrecisionOnDevice {
  private static final Logger LOG = LoggerFactory.getLogger(PrecisionOnDevice.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  private static final Path CPUINFO = Paths.get("/proc/cpuinfo");

  private PrecisionOnDevice() {}

  /** Refuses a precision the device cannot run well; warns once if bf16 will be emulated. */
  public static void check(Precision precision, Device device) {
    if (device.isGpu() || precision == Precision.FP32) {
      return;
    }
    if (precision == Precision.FP16) {
      throw UserException.of(
          "--precision fp16 needs GPU executors (spark.task.resource.gpu.amount); this task runs on"
              + " the CPU, where fp16 is about three times slower than fp32. On CPUs use fp32, or"
              + " bf16 where the CPU has bf16 instructions (AVX512-BF16 or AMX)");
    }
    if (CpuFlags.BF16 || !WARNED.compareAndSet(false, true)) {
      return;
    }
    LOG.warn(
        "--precision bf16 on a CPU without bf16 instructions (no avx512_bf16 or amx_bf16 in {}):"
            + " libtorch emulates bf16, which is slower than fp32 here; use fp32 on these"
            + " executors",
        CPUINFO);
  }

  /** The CPU's flags, read once per JVM when a bf16 model first runs on it (not on every task). */
  private static final class CpuFlags {
    /** Assumed present where unknown (not Linux): no warning on a guess. */
    static final boolean BF16 = cpuHasBf16(CPUINFO).orElse(true);
  }

  /**
   * Whether the CPU lists bf16 instructions in a Linux cpuinfo file; empty where there is no such
   * file (another OS) or it cannot be read.
   */
  static Optional<Boolean> cpuHasBf16(Path cpuinfo) {
    try {
      for (String line : Files.readAllLines(cpuinfo)) {
        if (line.toLowerCase(Locale.ROOT).startsWith("flags")) {
          return Optional.of(line.contains(" avx512_bf16") || line.contains(" amx_bf16"));
        }
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
