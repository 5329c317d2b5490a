package org.cellspark.vocab;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DictionaryFileReaderTest {
  @TempDir Path tmp;

  @Test
  void readsTheRealV1TokenDictionaryWithNumpyInt16Values() {
    Map<String, Object> tokens =
        DictionaryFileReader.read(Fixtures.geneformerV1().resolve("token_dictionary.pkl"));
    assertThat(tokens).hasSize(25_426);
    assertThat(tokens.get("<pad>")).isEqualTo(0L);
    assertThat(tokens.get("<mask>")).isEqualTo(1L);
    // First genes in the file, as printed by Python's pickle.load.
    assertThat(tokens.get("ENSG00000000003")).isEqualTo(2L);
    assertThat(tokens.get("ENSG00000000419")).isEqualTo(4L);
  }

  @Test
  void readsTheRealV1MediansAsFloat64() {
    Map<String, Object> medians =
        DictionaryFileReader.read(Fixtures.geneformerV1().resolve("gene_median_dictionary.pkl"));
    assertThat(medians).hasSize(25_424);
    // Values as Python prints them (repr of numpy.float64 round-trips exactly).
    assertThat(medians.get("ENSG00000000003")).isEqualTo(2.001186019549122);
    assertThat(medians.get("ENSG00000000005")).isEqualTo(3.2282132031640383);
  }

  @Test
  void readsProtocol2NumpyScalarsOfEveryNumberKind() {
    Map<String, Object> m =
        DictionaryFileReader.read(Fixtures.vocab("pickles/protocol2_numpy.pkl"));
    assertThat(m)
        .containsEntry("a", 7L)
        .containsEntry("b", 0.5)
        .containsEntry("c", 255L)
        .containsEntry("d", true)
        .containsEntry("e", -3L)
        .containsEntry("f", ">i4 placeholder");
  }

  @Test
  void readsNumpyStringScalarsAsText() {
    // Keys from a numpy string array (dtype <U15), as a dictionary built from adata.var columns
    // has.
    Map<String, Object> tokens =
        DictionaryFileReader.read(Fixtures.vocab("pickles/numpy_strings.pkl"));
    assertThat(tokens)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("ENSG00000000001", 2L, "ENSG00000000002", 3L, "ENSG00000000003", 4L));
    // Protocol 2 (bytes spelled through _codecs.encode), non-ASCII text, a big-endian str_, bytes_.
    Map<String, Object> names =
        DictionaryFileReader.read(Fixtures.vocab("pickles/numpy_strings_protocol2.pkl"));
    assertThat(names)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "SYM01",
                "ENSG00000000001",
                "G\u00e8ne\u00e9\u4e2d",
                "ENSG00000000002",
                "SYM03",
                "ENSG00000000003"));
  }

  @Test
  void honoursBigEndianNumpyScalars() {
    Map<String, Object> m = DictionaryFileReader.read(Fixtures.vocab("pickles/big_endian.pkl"));
    assertThat(m).containsEntry("x", 258L).containsEntry("y", 1.5);
  }

  @Test
  void refusesAPickleThatCallsAFunction() throws IOException {
    // Protocol 0: os.system('echo pwned') -- Python would run it.
    Path p = write("evil.pkl", "cos\nsystem\n(S'echo pwned'\ntR.");
    assertThatThrownBy(() -> DictionaryFileReader.read(p))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("evil.pkl")
        .hasMessageContaining("refused")
        .hasMessageContaining("os.system");
  }

  @Test
  void refusesObjectBuildingOpcodes() throws IOException {
    // INST: build an instance of collections.OrderedDict without naming it through GLOBAL.
    Path p = write("inst.pkl", "(icollections\nOrderedDict\n.");
    assertThatThrownBy(() -> DictionaryFileReader.read(p))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("INST");
  }

  @Test
  void refusesATopLevelThatIsNotADict() throws IOException {
    Path p = write("list.pkl", "(lp0\nI1\naI2\na.");
    assertThatThrownBy(() -> DictionaryFileReader.read(p))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("list.pkl")
        .hasMessageContaining("holds a list, not a dict");
  }

  @Test
  void refusesValuesThatAreNotNumbersOrStrings() throws IOException {
    Path p = write("nested.pkl", "(dp0\nS'a'\n(lp1\nI1\nas.");
    assertThatThrownBy(() -> DictionaryFileReader.read(p))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("value of 'a' is a list");
  }

  @Test
  void reportsATruncatedPickle() throws IOException {
    byte[] whole = Files.readAllBytes(Fixtures.vocab("vocab-v2-small/token_dictionary_gc104M.pkl"));
    Path p = tmp.resolve("cut.pkl");
    Files.write(p, java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThatThrownBy(() -> DictionaryFileReader.read(p))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("cut.pkl")
        .hasMessageMatching("(?s).*(ends early|not a readable).*");
  }

  @Test
  void reportsAFileThatIsNotAPickle() throws IOException {
    Path p = write("text.pkl", "gene\ttoken\nENSG1\t3\n");
    assertThatThrownBy(() -> DictionaryFileReader.read(p))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("text.pkl");
  }

  @Test
  void readsTsvSkippingCommentsAndRejectsMalformedLines() throws IOException {
    Path ok = write("ok.tsv", "# gene\tid\nA\t1\n\nB\t2\n");
    assertThat(DictionaryFileReader.read(ok))
        .containsExactly(Map.entry("A", "1"), Map.entry("B", "2"));

    Path bad = write("bad.tsv", "A\t1\nB 2\n");
    assertThatThrownBy(() -> DictionaryFileReader.read(bad))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("bad.tsv line 2");

    Path dup = write("dup.tsv", "A\t1\nA\t2\n");
    assertThatThrownBy(() -> DictionaryFileReader.read(dup))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("'A' appears twice");
  }

  private Path write(String name, String latin1) throws IOException {
    Path p = tmp.resolve(name);
    Files.write(p, latin1.getBytes(ISO_8859_1));
    return p;
  }
}
