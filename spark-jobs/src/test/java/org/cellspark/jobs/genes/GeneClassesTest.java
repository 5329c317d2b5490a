package org.cellspark.jobs.genes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.junit.jupiter.api.Test;

/**
 * Gene class files: upstream's pickled dict (written by Python's pickle), the same as JSON, and a
 * two-column table, resolved by Ensembl ID or symbol against the small V2 vocabulary; what cannot
 * be used is refused by file, class and gene.
 */
class GeneClassesTest {
  private static final Vocabulary V =
      VocabularyLoader.load(Fixtures.vocab("vocab-v2-small").toString());

  @Test
  void upstreamsPickleAndItsJsonGiveTheSameClasses() {
    Configuration conf = new Configuration();
    GeneClasses pickle =
        GeneClasses.read(Fixtures.genes("gene_classes.pickle").toString(), V, conf);
    GeneClasses json = GeneClasses.read(Fixtures.genes("gene_classes.json").toString(), V, conf);
    for (GeneClasses c : List.of(pickle, json)) {
      assertThat(c.names()).containsExactly("insensitive", "sensitive");
      assertThat(c.tokens().get(0)).containsExactly(14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
      assertThat(c.tokens().get(1))
          .as("genes 1-9 by Ensembl ID, gene 10 by symbol")
          .containsExactly(4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
      assertThat(c.unknown()).containsExactly("ENSG99999999999");
      assertThat(c.sizes()).isEqualTo(Map.of("insensitive", 10, "sensitive", 10));
    }
  }

  @Test
  void aTableOfGenesAndClassesWithAHeaderAndComments() {
    Map<String, List<String>> t =
        GeneClasses.parse(
            "classes.tsv",
            "# dosage sensitivity\ngene_id\tclass\nSYM01\tup\nensg00000000002\tup\nSYM03\tdown\nSYM04\tdown\n"
                .getBytes(StandardCharsets.UTF_8));
    GeneClasses c = GeneClasses.resolve("classes.tsv", t, V);
    assertThat(c.names()).containsExactly("down", "up");
    assertThat(c.tokens().get(0)).containsExactly(6, 7);
    assertThat(c.tokens().get(1)).as("an Ensembl ID in lower case").containsExactly(4, 5);
  }

  @Test
  void unusableFilesAreRefusedByName() throws Exception {
    assertThatThrownBy(
            () ->
                GeneClasses.parse("one.csv", "SYM01,a\nSYM02,a\n".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(
            "one.csv names 1 class(es) (a); a gene classifier needs at least two");
    assertThatThrownBy(
            () -> GeneClasses.parse("bad.csv", "SYM01,a\nSYM02\n".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("bad.csv line 2 (SYM02): expected a gene and its class");
    assertThatThrownBy(
            () ->
                GeneClasses.parse("c.json", "{\"a\": \"SYM01\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("'a' is not a list (the file must be a dict of class names to lists");
    assertThatThrownBy(
            () ->
                GeneClasses.resolve(
                    "c.json", Map.of("a", List.of("SYM01"), "b", List.of("NOPE1", "NOPE2")), V))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("none of class 'b''s 2 genes is in the vocabulary");
    var notADict = Files.createTempFile("list", ".pickle");
    Files.write(notADict, new byte[] {(byte) 0x80, 4, ']', '.'}); // pickle.dumps([], protocol=4)
    assertThatThrownBy(() -> GeneClasses.read(notADict.toString(), V, new Configuration()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("not a dict of class names to lists of genes");
    assertThatThrownBy(() -> GeneClasses.read("/no/such/classes.json", V, new Configuration()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--gene-classes /no/such/classes.json is not a file");
  }
}
