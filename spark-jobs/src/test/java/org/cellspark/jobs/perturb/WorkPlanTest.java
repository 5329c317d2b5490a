package org.cellspark.jobs.perturb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WorkPlanTest {
  @Test
  void longCellsAreCutIntoUnitsOfBoundedCost() {
    List<WorkPlan.CellWork> big = new ArrayList<>();
    for (int c = 0; c < 10; c++) {
      big.add(new WorkPlan.CellWork("a" + c, 2048, 2046));
    }
    big.add(new WorkPlan.CellWork("b", 100, 98));
    big.add(new WorkPlan.CellWork("c", 3000, 0));
    List<WorkUnit> units = WorkPlan.units(big, 256);
    // 2,048 tokens at h = 256: 64 perturbations a unit → 32 units a cell (the last with 62); 100
    // tokens: one unit.
    assertThat(units).hasSize(321);
    assertThat(units.subList(0, 32)).allSatisfy(u -> assertThat(u.cellId()).isEqualTo("a0"));
    assertThat(units.get(0).to() - units.get(0).from()).isEqualTo(64);
    assertThat(units.get(31)).extracting(WorkUnit::from, WorkUnit::to).containsExactly(1984, 2046);
    assertThat(units.get(320))
        .extracting(WorkUnit::cellId, WorkUnit::from, WorkUnit::to)
        .containsExactly("b", 0, 98);
    assertThat(units)
        .extracting(WorkUnit::id)
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 321).boxed().toList());
    assertThat(units).allSatisfy(u -> assertThat(u.cost()).isLessThanOrEqualTo(WorkPlan.UNIT_COST));
  }

  @Test
  void smallScreensAreStillCutFineEnoughToSpread() {
    // One 800-gene cell: a 64th of it is 12.5 perturbations, so units of 12 (67 units), not one
    // unit.
    List<WorkUnit> one = WorkPlan.units(List.of(new WorkPlan.CellWork("x", 800, 800)), 128);
    assertThat(one).hasSize(67);
    assertThat(one.get(0).to()).isEqualTo(12);
    // ... but never below 8 perturbations a unit: each unit runs its cell's original too.
    assertThat(WorkPlan.units(List.of(new WorkPlan.CellWork("y", 40, 40)), 128)).hasSize(5);
    // Short cells: at most 1,024 perturbations a unit.
    List<WorkPlan.CellWork> many = new ArrayList<>();
    for (int c = 0; c < 100; c++) {
      many.add(new WorkPlan.CellWork("s" + c, 10, 5000));
    }
    assertThat(WorkPlan.units(many, 256)).hasSize(500);
  }

  @Test
  void lptKeepsTasksWithinAThirdOfTheIdeal() {
    Random random = new Random(7);
    List<WorkPlan.CellWork> cells = new ArrayList<>();
    for (int c = 0; c < 40; c++) {
      int length = 100 + random.nextInt(701);
      cells.add(new WorkPlan.CellWork("cell" + c, length, length));
    }
    List<WorkUnit> units = WorkPlan.units(cells, 128);
    for (int tasks : new int[] {2, 4, 7}) {
      int[] task = WorkPlan.assign(units, tasks);
      double[] load = new double[tasks];
      for (int i = 0; i < units.size(); i++) {
        load[task[i]] += units.get(i).cost();
      }
      double ideal = Arrays.stream(load).sum() / tasks;
      double biggest = units.stream().mapToDouble(WorkUnit::cost).max().orElseThrow();
      // Graham's bound for LPT, with the largest unit as the floor of any schedule.
      assertThat(Arrays.stream(load).max().orElseThrow())
          .as("%d tasks", tasks)
          .isLessThanOrEqualTo(Math.max(4.0 / 3 * ideal, ideal + biggest));
      assertThat(Arrays.stream(load).min().orElseThrow()).isGreaterThan(0);
    }
  }

  @Test
  void checkpointFilesRoundTripAndTruncatedFilesAreRefused() throws IOException {
    UnitResult unit =
        new UnitResult(
            12,
            List.of(
                new UnitResult.Row(
                    "cellA",
                    new int[] {5},
                    0.97,
                    new double[] {0.1, -0.2},
                    new int[] {6, 7},
                    new float[] {0.9f, 0.8f}),
                new UnitResult.Row(
                    "cellA",
                    new int[] {6, 9},
                    Double.NaN,
                    new double[0],
                    new int[0],
                    new float[0])));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    unit.write(new DataOutputStream(bytes));
    UnitResult back =
        UnitResult.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), "u");
    assertThat(back.unit()).isEqualTo(12);
    assertThat(back.rows()).hasSize(2);
    assertThat(back.rows().get(0).shifts()).containsExactly(0.1, -0.2);
    assertThat(back.rows().get(0).geneCosines()).containsExactly(0.9f, 0.8f);
    assertThat(back.rows().get(1).perturbed()).containsExactly(6, 9);
    assertThat(back.rows().get(1).cosineSimilarity()).isNaN();
    byte[] cut = Arrays.copyOf(bytes.toByteArray(), bytes.size() - 4);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> UnitResult.read(new DataInputStream(new ByteArrayInputStream(cut)), "u"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void stragglerRatioIsMaxOverMedian() {
    assertThat(PerturbJob.stragglerRatio(new double[] {2, 1, 4})).isEqualTo(2.0);
    assertThat(PerturbJob.stragglerRatio(new double[] {1, 1, 3, 3})).isEqualTo(1.5);
    assertThat(PerturbJob.stragglerRatio(new double[0])).isEqualTo(1.0);
  }
}
