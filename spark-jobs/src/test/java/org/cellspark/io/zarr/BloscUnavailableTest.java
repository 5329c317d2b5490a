package org.cellspark.io.zarr;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;

/**
 * Where c-blosc's bundled library cannot load (Linux on ARM, say), a blosc store is refused with
 * the reason and the way out, not failed with a linkage error. Simulated in a JVM of its own that
 * reports a platform whose library does not load here: the bundled library for Windows, handed to
 * Linux's loader, fails as an x86-64 one does on ARM.
 */
class BloscUnavailableTest {
  /** Checks a blosc compressor and prints what happened (run in the child JVM). */
  public static void main(String[] args) throws Exception {
    try {
      Compressors.check(
          new ObjectMapper().readTree("{\"id\": \"blosc\", \"cname\": \"lz4\"}"),
          "atlas.zarr",
          "X/data");
      System.out.println("LOADED");
    } catch (UserException e) {
      System.out.println("REFUSED " + e.getMessage());
    }
  }

  @Test
  void aBloscStoreIsRefusedWithTheWayOutWhereTheLibraryCannotLoad() throws Exception {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "-Dos.name=Windows 10",
                "-cp",
                System.getProperty("java.class.path"),
                BloscUnavailableTest.class.getName())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(out)
        .contains("REFUSED zarr's blosc compressor needs the c-blosc library")
        .contains("Windows 10")
        .contains("Zstd or Zlib")
        .doesNotContain("LOADED");
  }

  @Test
  void hereTheLibraryLoads() throws Exception {
    main(new String[0]); // prints LOADED; a refusal here would fail the zarr tests anyway
    assertThat(
            Compressors.decode(
                new ObjectMapper().readTree("{\"id\": \"blosc\"}"),
                com.scalableminds.bloscjava.Blosc.compress(new byte[] {5, 6, 7, 8}, 1)))
        .containsExactly(5, 6, 7, 8);
  }
}
