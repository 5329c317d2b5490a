package org.cellspark.vocab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyLoaderTest {
  @TempDir Path tmp;

  @Test
  void loadsTheRealGeneformerV1Dictionaries() {
    Vocabulary v = VocabularyLoader.load(Fixtures.geneformerV1());
    // vocab_size in V1's config.json, and 25,424 genes detected in the median notebook (ref. §1.6).
    assertThat(v.size()).isEqualTo(25_426);
    assertThat(v.geneCount()).isEqualTo(25_424);
    assertThat(v.padId()).isZero();
    assertThat(v.tokenId("<mask>")).hasValue(1);
    assertThat(v.hasClsAndEos()).isFalse();
    assertThat(v.identityMapping()).isTrue();
    assertThat(v.symbolToId()).hasSize(40_248).containsEntry("MT-TF", "ENSG00000210049");
    assertThat(v.median("ENSG00000000003")).isEqualTo(2.001186019549122);
    assertThat(v.tokenId("ENSG00000000003")).hasValue(2);
    // Pickled dicts come back unordered; the vocabulary lists entries by token id.
    assertThat(v.tokenIds().keySet().stream().limit(3))
        .containsExactly("<pad>", "<mask>", "ENSG00000000003");
    assertThat(v.files()).hasSize(3);
    assertThat(v.files().get(0).sha256()).hasSize(64);
    assertThat(v.describe()).contains("V1-style").contains("25,426 tokens");
  }

  @Test
  void identityMappingUpperCasesInputIdsAndDropsUnknownOnes() {
    Vocabulary v = VocabularyLoader.load(Fixtures.geneformerV1());
    assertThat(v.mapInputId("ensg00000000003")).isEqualTo("ENSG00000000003");
    assertThat(v.mapInputId("ENSG00000000003.14")).isNull();
    assertThat(v.mapInputId("<pad>")).isNull();
    assertThat(v.mapInputId(null)).isNull();
  }

  @Test
  void loadsAV2StyleFolderWithAMappingDictionary() {
    Vocabulary v = VocabularyLoader.load(Fixtures.vocab("vocab-v2-small"));
    assertThat(v.size()).isEqualTo(34);
    assertThat(v.hasClsAndEos()).isTrue();
    assertThat(v.clsId()).hasValue(2);
    assertThat(v.eosId()).hasValue(3);
    assertThat(v.identityMapping()).isFalse();
    // An alias collapses onto its gene; a mapping whose target is not a gene is dropped.
    assertThat(v.mapInputId("ENSG99999999901")).isEqualTo("ENSG00000000003");
    assertThat(v.mapInputId("ENSG77777777701")).isNull();
    assertThat(v.symbolToId()).containsEntry("SYM03", "ENSG00000000003");
  }

  @Test
  void loadsTsvDictionaries() {
    Vocabulary v = VocabularyLoader.load(Fixtures.vocab("vocab-v1-small"));
    assertThat(v.size()).isEqualTo(32);
    assertThat(v.tokenId("ENSG00000000001")).hasValue(2);
    assertThat(v.median("ENSG00000000002")).isEqualTo(0.5);
    assertThat(v.hasClsAndEos()).isFalse();
  }

  @Test
  void extractsTheBundledV1Vocabulary() {
    Path folder = BundledVocabulary.extract("builtin:geneformer-v1", tmp.resolve("v1"));
    assertThat(VocabularyLoader.load(folder).size()).isEqualTo(25_426);
    assertThatThrownBy(() -> BundledVocabulary.extract("builtin:v9", tmp.resolve("x")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("builtin:geneformer-v1");
  }

  @Test
  void missingFolder() {
    assertThatThrownBy(() -> VocabularyLoader.load(tmp.resolve("nope")))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("does not exist");
  }

  @Test
  void missingTokenDictionary() throws IOException {
    write("gene_median_dictionary.tsv", "A\t1.0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no token_dictionary");
  }

  @Test
  void twoCandidatesForOneDictionaryIsAnError() throws IOException {
    write("token_dictionary.tsv", "<pad>\t0\n<mask>\t1\nA\t2\n");
    write("token_dictionary_gc30M.tsv", "<pad>\t0\n<mask>\t1\nA\t2\n");
    write("gene_median_dictionary.tsv", "A\t1.0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("2 candidate token_dictionary files")
        .hasMessageContaining("token_dictionary_gc30M.tsv");
  }

  @Test
  void mixingV1AndV2DictionariesIsAnError() throws IOException {
    write("token_dictionary_gc30M.tsv", "<pad>\t0\n<mask>\t1\nA\t2\n");
    write("gene_median_dictionary_gc104M.tsv", "A\t1.0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("mixes dictionaries");
  }

  @Test
  void aGeneWithoutAMedianIsNamed() throws IOException {
    write("token_dictionary.tsv", "<pad>\t0\n<mask>\t1\nENSG_A\t2\nENSG_B\t3\n");
    write("gene_median_dictionary.tsv", "ENSG_A\t1.0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("1 vocabulary genes")
        .hasMessageContaining("ENSG_B")
        .hasMessageContaining("no median");
  }

  @Test
  void duplicateTokenIdsAndBadValuesAreNamed() throws IOException {
    write("token_dictionary.tsv", "<pad>\t0\n<mask>\t1\nA\t2\nB\t2\n");
    write("gene_median_dictionary.tsv", "A\t1.0\nB\t1.0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("'A' and 'B' have the same token id 2");

    write("token_dictionary.tsv", "<pad>\t0\n<mask>\t1\nA\tseven\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("token id of 'A' is 'seven'");

    write("token_dictionary.tsv", "<pad>\t0\n<mask>\t1\nA\t2\n");
    write("gene_median_dictionary.tsv", "A\t0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("median of 'A' is 0.0");
  }

  @Test
  void aTokenDictionaryWithoutPadIsRefused() throws IOException {
    write("token_dictionary.tsv", "A\t0\nB\t1\nC\t2\n");
    write("gene_median_dictionary.tsv", "A\t1.0\nB\t1.0\nC\t1.0\n");
    assertThatThrownBy(() -> VocabularyLoader.load(tmp))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("no '<pad>' entry");
  }

  private void write(String name, String content) throws IOException {
    Files.writeString(tmp.resolve(name), content);
  }

  /**
   * A clone of Geneformer's repository passed whole: refused naming the folders below it that hold
   * token dictionaries (V2's geneformer/, V1's geneformer/gene_dictionaries_30m/).
   */
  @Test
  void aRepositoryCloneNamesItsDictionaryFolders() throws IOException {
    Path clone = tmp.resolve("Geneformer");
    Path v2 = Files.createDirectories(clone.resolve("geneformer"));
    Path v1 = Files.createDirectories(v2.resolve("gene_dictionaries_30m"));
    Path small = Fixtures.vocab("vocab-v2-small");
    Files.copy(
        small.resolve("token_dictionary_gc104M.pkl"), v2.resolve("token_dictionary_gc104M.pkl"));
    Files.copy(
        small.resolve("gene_median_dictionary_gc104M.pkl"),
        v2.resolve("gene_median_dictionary_gc104M.pkl"));
    Files.copy(
        small.resolve("token_dictionary_gc104M.pkl"), v1.resolve("token_dictionary_gc30M.pkl"));
    assertThatThrownBy(() -> VocabularyLoader.load(clone.toString()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("has no token_dictionary")
        .hasMessageContaining(
            "Folders below it hold token dictionaries: pass one of them (geneformer,"
                + " geneformer/gene_dictionaries_30m)");
    assertThat(VocabularyLoader.load(v2.toString()).size()).isEqualTo(34);
  }
}
