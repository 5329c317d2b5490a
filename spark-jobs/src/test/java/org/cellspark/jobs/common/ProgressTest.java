package org.cellspark.jobs.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress: the style chosen from where a job runs, and what a bar and a line say. */
class ProgressTest {
  @Test
  void aBarForLocalRunsInATerminalLinesElsewhere() {
    assertThat(Progress.style("local[*]", true, null)).isEqualTo(Progress.Style.BAR);
    assertThat(Progress.style("local[2]", false, null))
        .as("no terminal: CI, Airflow")
        .isEqualTo(Progress.Style.LINES);
    assertThat(Progress.style("yarn", true, null)).isEqualTo(Progress.Style.LINES);
    assertThat(Progress.style("local-cluster[2,1,1024]", true, null)).isEqualTo(Progress.Style.BAR);
    assertThat(Progress.style("yarn", false, "bar")).isEqualTo(Progress.Style.BAR);
    assertThat(Progress.style("local[*]", true, "LINES")).isEqualTo(Progress.Style.LINES);
  }

  @Test
  void barsAndLinesSayDoneTotalRateAndEta() {
    // 1,000 of 4,000 cells in 10 s: 100 cells/s, 30 s to go, a quarter of the bar.
    assertThat(Progress.bar("embed", "cells", 1_000, 4_000, 10))
        .isEqualTo(
            "embed [########......................] 1,000 / 4,000 cells  100.0 cells/s  ETA 30 s "
                + " ");
    assertThat(Progress.line("perturb", "perturbations", 500, 370_500, 5))
        .isEqualTo("perturb: 500 / 370,500 perturbations (100.0 perturbations/s), ETA 1 h 01 min");
    assertThat(Progress.line("tokenize", "cells", 0, 10, 3)).endsWith("ETA unknown");
    assertThat(Progress.bar("tokenize", "cells", 12, 10, 1))
        .contains("[" + "#".repeat(Progress.BAR_WIDTH) + "]");
  }

  @Test
  void theBarIsRedrawnInPlaceAndClearedAtTheEnd() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong done = new AtomicLong();
    Progress p =
        new Progress(
            "embed",
            "cells",
            done::get,
            10,
            Progress.Style.BAR,
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
    done.set(5);
    p.tick();
    done.set(10);
    p.tick();
    p.close();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .startsWith("\rembed [")
        .contains("5 / 10 cells")
        .contains("10 / 10 cells")
        .doesNotContain("\n")
        .endsWith("\r");
  }
}
