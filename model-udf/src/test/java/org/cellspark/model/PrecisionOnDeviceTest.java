package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrecisionOnDeviceTest {
  @TempDir Path tmp;

  @Test
  void aCpuTakesFp32AndBf16ButNotFp16() {
    assertThatCode(() -> PrecisionOnDevice.check(Precision.FP32, Device.cpu()))
        .doesNotThrowAnyException();
    assertThatCode(() -> PrecisionOnDevice.check(Precision.BF16, Device.cpu()))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> PrecisionOnDevice.check(Precision.FP16, Device.cpu()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--precision fp16 needs GPU executors")
        .hasMessageContaining("bf16 where the CPU has bf16 instructions");
  }

  @Test
  void aGpuTakesEveryPrecision() {
    for (Precision p : Precision.values()) {
      assertThatCode(() -> PrecisionOnDevice.check(p, Device.gpu(0))).doesNotThrowAnyException();
    }
  }

  @Test
  void bf16InstructionsAreReadFromTheCpuFlags() throws IOException {
    Path zen4 = tmp.resolve("zen4");
    Files.writeString(
        zen4,
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16"
            + " avx512_vnni\n");
    Path skylake = tmp.resolve("skylake");
    Files.writeString(skylake, "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n");
    Path sapphire = tmp.resolve("sapphire");
    Files.writeString(sapphire, "flags\t\t: fpu avx512f amx_bf16 amx_tile\n");
    assertThat(PrecisionOnDevice.cpuHasBf16(zen4)).contains(true);
    assertThat(PrecisionOnDevice.cpuHasBf16(sapphire)).contains(true);
    assertThat(PrecisionOnDevice.cpuHasBf16(skylake)).contains(false);
    assertThat(PrecisionOnDevice.cpuHasBf16(tmp.resolve("no-such-file"))).isEmpty();
  }
}
