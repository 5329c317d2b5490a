package org.cellspark.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.cellspark.encode.EncodingSettings.SpecialTokens;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;

class RankValueEncoderTest {

  /** The reference's §9 oracle: genes A, B, C in the vocabulary, D not. */
  private static Vocabulary abc(boolean v2) {
    Map<String, Integer> tokens = new LinkedHashMap<>();
    tokens.put("<pad>", 0);
    tokens.put("<mask>", 1);
    if (v2) {
      tokens.put("<cls>", 2);
      tokens.put("<eos>", 3);
    }
    tokens.put("A", 10);
    tokens.put("B", 11);
    tokens.put("C", 12);
    return Vocabulary.of("abc", tokens, Map.of("A", 2.0, "B", 0.5, "C", 1.0), null, Map.of());
  }

  @Test
  void worksTheReferenceExampleByHand() {
    // counts {A:10, B:5, C:0, D:1}, n_counts 100, medians {A:2, B:0.5, C:1}
    // v_A = 10/100*10000/2 = 500, v_B = 5/100*10000/0.5 = 1000, v_C = 0 (dropped), D not in vocab.
    String[] inputGenes = {"A", "B", "C", "D"};
    int[] cols = {0, 1, 2, 3};
    double[] counts = {10, 5, 0, 1};

    Vocabulary v2 = abc(true);
    int[] v2Tokens =
        new RankValueEncoder(EncodingSettings.resolve(v2, SpecialTokens.AUTO, 0))
            .encode(GeneIndexMapping.build(inputGenes, v2), cols, counts, 4, 100);
    assertThat(v2Tokens).containsExactly(2, 11, 10, 3); // <cls>, B, A, <eos>

    Vocabulary v1 = abc(false);
    int[] v1Tokens =
        new RankValueEncoder(EncodingSettings.resolve(v1, SpecialTokens.AUTO, 0))
            .encode(GeneIndexMapping.build(inputGenes, v1), cols, counts, 4, 100);
    assertThat(v1Tokens).containsExactly(11, 10); // B, A
  }

  /**
   * keep_counts: the reference example's depth-normalised counts (not divided by the medians), in
   * the tokens' order, 0 at <cls> and <eos>, cut where the tokens are cut; by hand: A = 10/100 *
   * 10000 = 1000, B = 5/100 * 10000 = 500, with B ranked first (v_B 1000 > v_A 500).
   */
  @Test
  void keepsTheDepthNormalisedCountsAlignedWithTheTokens() {
    String[] inputGenes = {"A", "B", "C", "D"};
    int[] cols = {0, 1, 2, 3};
    double[] counts = {10, 5, 0, 1};
    Vocabulary v2 = abc(true);
    RankValueEncoder framed =
        new RankValueEncoder(EncodingSettings.resolve(v2, SpecialTokens.AUTO, 0));
    framed.encode(GeneIndexMapping.build(inputGenes, v2), cols, counts, 4, 100);
    assertThat(framed.normalisedCountsOfLastCell()).containsExactly(0f, 500f, 1000f, 0f);

    Vocabulary v1 = abc(false);
    RankValueEncoder plain =
        new RankValueEncoder(EncodingSettings.resolve(v1, SpecialTokens.AUTO, 0));
    plain.encode(GeneIndexMapping.build(inputGenes, v1), cols, counts, 4, 100);
    assertThat(plain.normalisedCountsOfLastCell()).containsExactly(500f, 1000f);

    // An input size of 3 keeps <cls>, one gene and <eos>: the counts are cut alike.
    RankValueEncoder cut =
        new RankValueEncoder(EncodingSettings.resolve(v2, SpecialTokens.AUTO, 3));
    assertThat(cut.encode(GeneIndexMapping.build(inputGenes, v2), cols, counts, 4, 100))
        .containsExactly(2, 11, 3);
    assertThat(cut.normalisedCountsOfLastCell()).containsExactly(0f, 500f, 0f);

    // A cell without a vocabulary gene has no tokens and no counts.
    cut.encode(GeneIndexMapping.build(inputGenes, v2), cols, new double[] {0, 0, 0, 7}, 4, 7);
    assertThat(cut.normalisedCountsOfLastCell()).isEmpty();
  }

  @Test
  void sumsCountsOfIdsThatCollapseOntoOneGeneBeforeNormalising() {
    Vocabulary v =
        Vocabulary.of(
            "collapse",
            Map.of("<pad>", 0, "A", 5, "B", 6),
            Map.of("A", 1.0, "B", 1.0),
            Map.of("A", "A", "A_ALIAS", "A", "B", "B"),
            Map.of());
    // Input columns: A (2 counts), B (3 counts), A_alias (2 counts). Alone, A (2) ranks below B
    // (3);
    // summed, A has 4 and ranks first.
    GeneIndexMapping m = GeneIndexMapping.build(new String[] {"A", "B", "a_alias"}, v);
    assertThat(m.matchedGenes()).isEqualTo(2);
    assertThat(m.collapsedColumns()).isEqualTo(1);
    int[] tokens =
        new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.OFF, 0))
            .encode(m, new int[] {0, 1, 2}, new double[] {2, 3, 2}, 3, 10);
    assertThat(tokens).containsExactly(5, 6);
  }

  @Test
  void breaksTiesByInputGeneOrderNotByStorageOrder() {
    Vocabulary v =
        Vocabulary.of(
            "ties",
            Map.of("<pad>", 0, "X", 7, "Y", 8, "Z", 9),
            Map.of("X", 2.0, "Y", 2.0, "Z", 1.0),
            null,
            Map.of());
    // Input gene order Y, Z, X. X and Y tie (3/2 each); Z is 1/1. Expected: Y, X (tie, Y first), Z.
    GeneIndexMapping m = GeneIndexMapping.build(new String[] {"Y", "Z", "X"}, v);
    RankValueEncoder enc = new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.OFF, 0));
    int[] sorted = enc.encode(m, new int[] {0, 1, 2}, new double[] {3, 1, 3}, 3, 10);
    int[] reversedStorage = enc.encode(m, new int[] {2, 1, 0}, new double[] {3, 1, 3}, 3, 10);
    assertThat(sorted).containsExactly(8, 7, 9);
    assertThat(reversedStorage).containsExactly(8, 7, 9);
  }

  /**
   * Values that differ only in their lowest mantissa bits (relative 1e-15) must still rank by
   * value, not by input order: the fast path compares truncated keys, then re-sorts such near ties.
   */
  @Test
  void ranksValuesThatDifferOnlyInTheirLastBits() {
    double m = 1.0;
    double mUp = Math.nextUp(Math.nextUp(m)); // v(A) = 1/m > v(B) = 1/mUp by a few ulps
    Vocabulary v =
        Vocabulary.of(
            "ulps",
            Map.of("<pad>", 0, "A", 5, "B", 6, "C", 7, "D", 8),
            Map.of("A", m, "B", mUp, "C", mUp, "D", m),
            null,
            Map.of());
    // Input order B, C, A, D: B and C tie exactly (both 1/mUp), A and D tie exactly (1/m), and
    // A/D rank above B/C by a few ulps, so: A, D (input order), then B, C (input order).
    GeneIndexMapping map = GeneIndexMapping.build(new String[] {"B", "C", "A", "D"}, v);
    int[] tokens =
        new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.OFF, 0))
            .encode(map, new int[] {0, 1, 2, 3}, new double[] {1, 1, 1, 1}, 4, 10_000);
    assertThat(1 / m).isGreaterThan(1 / mUp);
    assertThat(tokens).containsExactly(5, 8, 6, 7);
  }

  @Test
  void truncatesToTheModelInputSizeKeepingTheTopGenes() {
    Map<String, Integer> tokens = new LinkedHashMap<>();
    Map<String, Double> medians = new HashMap<>();
    tokens.put("<pad>", 0);
    tokens.put("<mask>", 1);
    tokens.put("<cls>", 2);
    tokens.put("<eos>", 3);
    int genes = 5000;
    String[] ids = new String[genes];
    int[] cols = new int[genes];
    double[] counts = new double[genes];
    for (int g = 0; g < genes; g++) {
      ids[g] = "G" + g;
      tokens.put(ids[g], 4 + g);
      medians.put(ids[g], 1.0);
      cols[g] = g;
      counts[g] = genes - g; // gene g ranks g-th
    }
    Vocabulary v = Vocabulary.of("big", tokens, medians, null, Map.of());
    GeneIndexMapping m = GeneIndexMapping.build(ids, v);

    int[] v2 =
        new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.AUTO, 0))
            .encode(m, cols, counts, genes, 1e6);
    assertThat(v2).hasSize(4096);
    assertThat(v2[0]).isEqualTo(2);
    assertThat(v2[1]).isEqualTo(4);
    assertThat(v2[4094]).isEqualTo(4 + 4093);
    assertThat(v2[4095]).isEqualTo(3);

    int[] v1 =
        new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.OFF, 0))
            .encode(m, cols, counts, genes, 1e6);
    assertThat(v1).hasSize(2048);
    assertThat(v1[2047]).isEqualTo(4 + 2047);

    int[] small =
        new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.ON, 5))
            .encode(m, cols, counts, genes, 1e6);
    assertThat(small).containsExactly(2, 4, 5, 6, 3);
  }

  @Test
  void aCellWithoutVocabularyGenesEncodesToNothing() {
    Vocabulary v = abc(true);
    GeneIndexMapping m = GeneIndexMapping.build(new String[] {"D", "A"}, v);
    RankValueEncoder enc = new RankValueEncoder(EncodingSettings.resolve(v, SpecialTokens.AUTO, 0));
    assertThat(enc.encode(m, new int[] {0}, new double[] {4}, 1, 4)).isEmpty();
    assertThat(enc.encode(m, new int[] {1}, new double[] {0}, 1, 4)).isEmpty();
    assertThat(enc.encode(m, new int[0], new double[0], 0, 0)).isEmpty();
  }

  @Test
  void specialTokensOnNeedsAV2Vocabulary() {
    assertThatThrownBy(() -> EncodingSettings.resolve(abc(false), SpecialTokens.ON, 0))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("lacks <cls> and <eos>");
    assertThatThrownBy(() -> EncodingSettings.resolve(abc(true), SpecialTokens.ON, 2))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--model-input-size 2 is too small");
    assertThat(EncodingSettings.resolve(abc(true), SpecialTokens.OFF, 0).modelInputSize())
        .isEqualTo(2048);
  }

  /**
   * Random cells against a deliberately plain re-statement of the algorithm (boxed values, a
   * comparator sort): the fast encoder must agree exactly, including ties and collapsed IDs.
   */
  @Test
  void agreesWithAPlainReferenceOnRandomCells() {
    Vocabulary v = VocabularyLoader.load(Fixtures.vocab("vocab-v2-small"));
    String[] input = new String[40];
    for (int c = 0; c < input.length; c++) {
      input[c] =
          c < 30
              ? String.format("ENSG%011d", 1 + (c * 7) % 30)
              : c % 2 == 0 ? "ENSG99999999901" : "NOPE" + c;
    }
    GeneIndexMapping m = GeneIndexMapping.build(input, v);
    Random rnd = new Random(42);
    for (SpecialTokens mode : new SpecialTokens[] {SpecialTokens.ON, SpecialTokens.OFF}) {
      EncodingSettings s = EncodingSettings.resolve(v, mode, 12);
      RankValueEncoder enc = new RankValueEncoder(s);
      for (int cell = 0; cell < 500; cell++) {
        int n = rnd.nextInt(40);
        int[] cols = rnd.ints(0, input.length).distinct().limit(n).toArray();
        double[] counts = new double[cols.length];
        for (int k = 0; k < cols.length; k++) {
          counts[k] = rnd.nextInt(4); // small counts: many ties and zeros
        }
        double nCounts = 1 + rnd.nextInt(500);
        assertThat(enc.encode(m, cols, counts, cols.length, nCounts))
            .as("cell %d", cell)
            .containsExactly(reference(v, input, cols, counts, nCounts, s));
      }
    }
  }

  /** Large cells (the radix path) with many exact ties (medians from a small set). */
  @Test
  void agreesWithThePlainReferenceOnLargeCellsFullOfTies() {
    Map<String, Integer> tokens = new LinkedHashMap<>();
    Map<String, Double> medians = new HashMap<>();
    tokens.put("<pad>", 0);
    tokens.put("<cls>", 1);
    tokens.put("<eos>", 2);
    Random rnd = new Random(7);
    double[] someMedians = {0.5, 1.0, 1.0 + 1e-12, 2.0, 3.7};
    String[] input = new String[3000];
    for (int g = 0; g < input.length; g++) {
      input[g] = "G" + g;
      tokens.put(input[g], 3 + g);
      medians.put(input[g], someMedians[rnd.nextInt(someMedians.length)]);
    }
    Vocabulary v = Vocabulary.of("ties", tokens, medians, null, Map.of());
    GeneIndexMapping m = GeneIndexMapping.build(input, v);
    EncodingSettings s = EncodingSettings.resolve(v, SpecialTokens.ON, 4096);
    RankValueEncoder enc = new RankValueEncoder(s);
    for (int cell = 0; cell < 50; cell++) {
      int[] cols = rnd.ints(0, input.length).distinct().limit(200 + rnd.nextInt(2000)).toArray();
      double[] counts = new double[cols.length];
      for (int k = 0; k < cols.length; k++) {
        counts[k] = 1 + rnd.nextInt(3);
      }
      double nCounts = 5000 + rnd.nextInt(5000);
      assertThat(enc.encode(m, cols, counts, cols.length, nCounts))
          .as("cell %d", cell)
          .containsExactly(reference(v, input, cols, counts, nCounts, s));
    }
  }

  private static int[] reference(
      Vocabulary v,
      String[] input,
      int[] cols,
      double[] counts,
      double nCounts,
      EncodingSettings s) {
    Map<String, Double> summed = new HashMap<>();
    Map<String, Integer> firstColumn = new HashMap<>();
    for (int c = 0; c < input.length; c++) {
      String gene = v.mapInputId(input[c]);
      if (gene != null) {
        firstColumn.putIfAbsent(gene, c);
      }
    }
    for (int k = 0; k < cols.length; k++) {
      String gene = v.mapInputId(input[cols[k]]);
      if (gene != null) {
        summed.merge(gene, counts[k], Double::sum);
      }
    }
    record Ranked(String gene, double value, int order) {}
    List<Ranked> ranked = new ArrayList<>();
    summed.forEach(
        (gene, x) -> {
          double value = x / nCounts * 10000 / v.median(gene);
          if (value != 0) {
            ranked.add(new Ranked(gene, value, firstColumn.get(gene)));
          }
        });
    ranked.sort(
        Comparator.comparingDouble(Ranked::value).reversed().thenComparingInt(Ranked::order));
    List<Integer> out = new ArrayList<>();
    if (!ranked.isEmpty() && s.specialTokens()) {
      out.add(s.clsId());
    }
    ranked.stream().limit(s.maxGenes()).forEach(r -> out.add(v.tokenId(r.gene()).getAsInt()));
    if (!ranked.isEmpty() && s.specialTokens()) {
      out.add(s.eosId());
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }
}
