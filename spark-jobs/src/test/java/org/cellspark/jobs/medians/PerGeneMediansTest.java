package org.cellspark.jobs.medians;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.cellspark.spark.CellsparkKryo;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The exact path's parts on their own: the median selection (against sorting and picking the
 * middle, the definition), the task-side packing of values into blocks per group of genes (every
 * value arrives once, in its gene, whatever the flush size) and the gathering of a group's blocks.
 * MediansJobTest checks whole jobs against numpy.
 */
class PerGeneMediansTest {
  @Test
  void medianOfHandWorkedArrays() {
    assertThat(PerGeneMedians.median(new double[] {7.5})).isEqualTo(7.5);
    assertThat(PerGeneMedians.median(new double[] {3, 1, 2})).isEqualTo(2);
    assertThat(PerGeneMedians.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    assertThat(PerGeneMedians.median(new double[] {5, 5, 1, 5})).isEqualTo(5);
    assertThat(PerGeneMedians.median(new double[] {0.1, 0.2})).isEqualTo((0.1 + 0.2) / 2);
  }

  @Test
  void medianEqualsTheMiddleOfTheSortedValuesBitForBit() {
    Random random = new Random(7);
    // Sizes around the selector's cut-over to sorting (15) and well above; ties from rounding.
    for (int n : new int[] {2, 14, 15, 16, 17, 100, 101, 4_096, 100_001}) {
      for (int round = 0; round < 5; round++) {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
          double v = Math.exp(random.nextGaussian() * 2);
          values[i] = round % 2 == 0 ? v : Math.rint(v);
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double expected = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        assertThat(PerGeneMedians.median(values)).as("n %d round %d", n, round).isEqualTo(expected);
      }
    }
  }

  @Test
  void blocksHoldEveryValueOnceInItsGeneWhateverTheFlushSize() {
    Random random = new Random(11);
    int genes = 3 * GeneBlock.GENES + 5; // four groups, the last one short
    List<InternalRow> cells = new ArrayList<>();
    Map<Integer, List<Double>> expected = new TreeMap<>();
    int cellGroupPairs = 0;
    for (int c = 0; c < 300; c++) {
      int n = random.nextInt(12);
      int[] g = new int[n];
      double[] v = new double[n];
      for (int k = 0; k < n; k++) {
        g[k] = k == 0 && c % 10 == 0 ? genes - 1 : random.nextInt(genes);
        v[k] = Math.rint(random.nextDouble() * 50) + k / 100.0;
        expected.computeIfAbsent(g[k], x -> new ArrayList<>()).add(v[k]);
      }
      cells.add(new GenericInternalRow(new Object[] {g, v}));
      cellGroupPairs += (int) Arrays.stream(g).map(x -> x / GeneBlock.GENES).distinct().count();
    }
    for (int flush : new int[] {1, 7, 1_000, 1 << 20}) {
      GeneBlocks blocks =
          new GeneBlocks(
              cells.iterator(),
              (cell, sink) -> {
                int[] g = (int[]) ((GenericInternalRow) cell).values()[0];
                double[] v = (double[]) ((GenericInternalRow) cell).values()[1];
                for (int k = 0; k < g.length; k++) {
                  sink.accept(g[k], v[k]);
                }
              },
              genes,
              flush);
      Map<Integer, List<GeneBlock>> byGroup = new TreeMap<>();
      int pieces = 0;
      while (blocks.hasNext()) {
        Tuple2<Integer, GeneBlock> b = blocks.next();
        byGroup.computeIfAbsent(b._1(), x -> new ArrayList<>()).add(b._2());
        pieces++;
      }
      // Each gene's values, block after block: every value once, in arrival order.
      Map<Integer, List<Double>> got = new TreeMap<>();
      for (Map.Entry<Integer, List<GeneBlock>> e : byGroup.entrySet()) {
        for (GeneBlock b : e.getValue()) {
          for (int j = 0; j < GeneBlock.GENES; j++) {
            double[] values = new double[b.count(j)];
            b.copy(j, values, 0);
            for (double x : values) {
              got.computeIfAbsent(e.getKey() * GeneBlock.GENES + j, y -> new ArrayList<>()).add(x);
            }
          }
        }
      }
      assertThat(got).as("flush %d", flush).isEqualTo(expected);
      if (flush == 1) { // handed on after every cell: a block per cell and group
        assertThat(pieces).isEqualTo(cellGroupPairs);
      }
      if (flush == 1 << 20) { // handed on at the end only: a block per group
        assertThat(pieces).isEqualTo(4);
      }
      // The reduce side: each detected gene's median and count, as sorting gives them.
      List<long[]> medians = new ArrayList<>();
      byGroup.forEach((group, list) -> medians.addAll(PerGeneMedians.groupMedians(group, list)));
      assertThat(medians).hasSize(expected.size());
      for (long[] m : medians) {
        double[] sorted = expected.get((int) m[0]).stream().mapToDouble(x -> x).sorted().toArray();
        int n = sorted.length;
        assertThat(m[2]).isEqualTo(n);
        assertThat(Double.longBitsToDouble(m[1]))
            .as("gene %d", m[0])
            .isEqualTo(n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
      }
    }
  }

  /** What the shuffle does to a block, under Spark's default serializer and under Kryo. */
  @Test
  void aBlockCrossesBothSerializersWhole() {
    int[] starts = new int[GeneBlock.GENES + 1];
    for (int j = 1; j <= GeneBlock.GENES; j++) {
      starts[j] = starts[j - 1] + j % 3; // genes of 0, 1 and 2 values
    }
    double[] values = new double[starts[GeneBlock.GENES]];
    for (int i = 0; i < values.length; i++) {
      values[i] = 0.25 * i + 1;
    }
    GeneBlock block = new GeneBlock(starts, values);
    SparkConf kryo =
        new SparkConf(false)
            .set("spark.serializer", KryoSerializer.class.getName())
            .set(CellsparkKryo.REGISTRATOR, CellsparkKryo.class.getName());
    for (SerializerInstance serializer :
        List.of(
            new JavaSerializer(new SparkConf(false)).newInstance(),
            new KryoSerializer(kryo).newInstance())) {
      ClassTag<GeneBlock> tag = ClassTag$.MODULE$.apply(GeneBlock.class);
      GeneBlock back = serializer.deserialize(serializer.serialize(block, tag), tag);
      for (int j = 0; j < GeneBlock.GENES; j++) {
        assertThat(back.count(j)).isEqualTo(block.count(j));
        double[] got = new double[back.count(j)];
        double[] sent = new double[block.count(j)];
        back.copy(j, got, 0);
        block.copy(j, sent, 0);
        assertThat(got).as("%s gene %d", serializer.getClass().getSimpleName(), j).isEqualTo(sent);
      }
    }
  }
}
