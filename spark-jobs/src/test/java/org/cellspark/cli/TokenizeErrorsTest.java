package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the command line: exit code 2, a message that names the problem and the fix,
 * no output folder (not even a half-written one), inputs untouched.
 */
@ExtendWith(SharedSpark.class)
class TokenizeErrorsTest {
  @TempDir Path tmp;
  private static Map<String, String> fixturesBefore;

  private static final String V2 = Fixtures.vocab("vocab-v2-small").toString();

  @BeforeAll
  static void fingerprintInputs() throws IOException {
    fixturesBefore = fingerprints();
  }

  @AfterAll
  static void inputsAreUntouched() throws IOException {
    assertThat(fingerprints()).isEqualTo(fixturesBefore);
  }

  @BeforeEach
  void session(SparkSession spark) {
    // The CLI reuses the shared session (SparkArgs): make sure it exists.
    assertThat(spark.sparkContext().isStopped()).isFalse();
  }

  private CliRun tokenize(String input, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "tokenize", "--input", input, "--output", tmp.resolve("out").toString(), "--vocabulary", V2));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(new String[0]));
  }

  /** Exit code 2, the message, and no output of any kind. */
  private void assertRefused(CliRun run, String... messageParts) throws IOException {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).startsWith("error: ");
    for (String part : messageParts) {
      assertThat(run.err()).contains(part);
    }
    assertThat(run.err()).doesNotContain("\tat "); // a message, not a stack trace
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString())).as("left behind").isEmpty();
    }
  }

  @Test
  void missingFile() throws IOException {
    String missing = tmp.resolve("absent.h5ad").toString();
    assertRefused(tokenize(missing), "Input " + missing + " does not exist");
  }

  @Test
  void notHdf5() throws IOException {
    assertRefused(
        tokenize(Fixtures.bad("not_hdf5.h5ad").toString()),
        "not_hdf5.h5ad is not an HDF5 file",
        "not a CSV, loom or zarr export");
  }

  @Test
  void hdf5ButNotAnnData() throws IOException {
    assertRefused(
        tokenize(Fixtures.bad("not_anndata.h5").toString()),
        "not_anndata.h5 is HDF5 but not AnnData: it has no obs or var group (top level holds: matrix)");
  }

  @Test
  void truncatedFile() throws IOException {
    CliRun run = tokenize(Fixtures.bad("truncated.h5ad").toString());
    assertRefused(run, "truncated.h5ad");
    assertThat(run.err()).containsAnyOf("truncated or corrupt", "is not an HDF5 file");
  }

  @Test
  void noCountsAtTheChosenLocation() throws IOException {
    assertRefused(
        tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(), "--counts", "layers/counts"),
        "has no counts at 'layers/counts' (available: X)",
        "--counts X, raw or layers/<name>");
  }

  @Test
  void geneIdColumnMissing() throws IOException {
    assertRefused(
        tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(), "--gene-id-column", "gene_ids"),
        "gene ID column 'gene_ids' not found in 'var' (columns: ensembl_id, feature_type)",
        "Pass --gene-id-column");
  }

  @Test
  void geneSymbolsThatAreNotInTheNameDictionary() throws IOException {
    // vocab-v2-small's gene name dictionary holds SYM01...; the fixture's index holds SYM_0013...
    assertRefused(
        tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(), "--gene-id-type", "SYMBOL"),
        "of its symbols are not in the vocabulary's gene name dictionary (first: SYM_",
        "Check that the gene index holds gene symbols");
  }

  @Test
  void aStoreWithoutItsConnectorSaysWhichToAdd() throws IOException {
    // No Cloud Storage connector on the test classpath (Dataproc clusters have one).
    assertRefused(tokenize("gs://atlases/heart.h5ad"),
        "Cannot list input gs://atlases/heart.h5ad: no Hadoop file system for gs:// on the classpath",
        "Cloud Storage connector");
  }

  @Test
  void tooFewVocabularyGenes() throws IOException {
    assertRefused(
        tokenize(Fixtures.bad("low_gene_match.h5ad").toString()),
        "only 3 of the vocabulary's 30 genes (10.0%) are among its 36 genes, below --min-gene-match 50%",
        "First input IDs not in the vocabulary: ENSMUSG",
        "for gene symbols pass --gene-id-type symbol");
  }

  @Test
  void normalisedCountsAreRefusedUnlessAllowed() throws IOException {
    assertRefused(
        tokenize(Fixtures.bad("normalised.h5ad").toString()),
        "normalised.h5ad, cell '", // whichever task fails first: any cell
        "is not an integer. The matrix looks normalised",
        "--allow-non-integer");
    CliRun allowed = tokenize(Fixtures.bad("normalised.h5ad").toString(), "--allow-non-integer");
    assertThat(allowed.exitCode()).as(allowed.err()).isZero();
    assertThat(allowed.out()).contains("tokenized 37 of 40 cells");
  }

  @Test
  void negativeCounts() throws IOException {
    assertRefused(tokenize(Fixtures.bad("negative.h5ad").toString()),
        "negative.h5ad, cell 'cell08' (row 8)", "the count -2.0 is negative");
  }

  @Test
  void nanCounts() throws IOException {
    assertRefused(tokenize(Fixtures.bad("nan_value.h5ad").toString()),
        "nan_value.h5ad, cell 'cell09' (row 9)", "the count NaN is NaN");
  }

  @Test
  void infiniteCounts() throws IOException {
    assertRefused(tokenize(Fixtures.bad("inf_value.h5ad").toString(), "--allow-non-integer"),
        "inf_value.h5ad, cell 'cell12' (row 12)", "is infinite");
  }

  @Test
  void duplicateCellIds() throws IOException {
    assertRefused(tokenize(Fixtures.bad("duplicate_cells.h5ad").toString()),
        "Cell IDs are not unique: 'cell10' (2 times, in ", "obs_names_make_unique()");
  }

  @Test
  void missingAttributeColumn() throws IOException {
    assertRefused(
        tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(), "--attribute", "tissue"),
        "has no obs column 'tissue' (asked for by --attribute); it has: cell_type, donor");
  }

  @Test
  void existingOutputNeedsOverwrite() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("old.txt"), "previous run");
    CliRun run = tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("already exists; pass --overwrite to replace it");
    assertThat(out.resolve("old.txt")).exists(); // untouched

    CliRun again = tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(), "--overwrite");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(out.resolve("old.txt")).doesNotExist();
    assertThat(out.resolve("_cellspark.json")).exists();
  }

  @Test
  void aFailedOverwriteKeepsThePreviousOutput() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.writeString(out.resolve("old.txt"), "previous run");
    CliRun run = tokenize(Fixtures.bad("negative.h5ad").toString(), "--overwrite");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(out.resolve("old.txt")).exists();
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("out");
    }
  }

  @Test
  void outputMayNotContainTheInputs() throws IOException {
    Path folder = Files.createDirectories(tmp.resolve("atlases"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), folder.resolve("a.h5ad"));
    CliRun run = CliRun.of("tokenize", "--input", folder.toString(), "--output", folder.toString(),
        "--vocabulary", V2, "--overwrite");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("would contain the input");
    assertThat(folder.resolve("a.h5ad")).exists();
  }

  @Test
  void vocabularyGeneWithoutMedian() throws IOException {
    Path vocab = Files.createDirectories(tmp.resolve("vocab"));
    Files.writeString(vocab.resolve("token_dictionary.tsv"), "<pad>\t0\n<mask>\t1\nENSG00000000001\t2\nENSG00000000002\t3\n");
    Files.writeString(vocab.resolve("gene_median_dictionary.tsv"), "ENSG00000000001\t1.5\n");
    CliRun run = CliRun.of("tokenize", "--input", Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
        "--output", tmp.resolve("out").toString(), "--vocabulary", vocab.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("1 vocabulary genes of").contains("have no median").contains("ENSG00000000002");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void specialTokensOnNeedsAV2Vocabulary() throws IOException {
    CliRun run = CliRun.of("tokenize", "--input", Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
        "--output", tmp.resolve("out").toString(), "--vocabulary", Fixtures.vocab("vocab-v1-small").toString(),
        "--special-tokens", "on");
    assertRefused(run, "--special-tokens on, but the V1-style vocabulary", "lacks <cls> and <eos>");
  }

  @Test
  void badOptionValuesAreAllReportedAtOnce() throws IOException {
    CliRun run = tokenize(Fixtures.atlas("csr_float32_gzip.h5ad").toString(),
        "--min-gene-match", "1.5", "--partitions", "-1", "--attribute", "donor=cell_id");
    assertRefused(run, "--min-gene-match must be between 0 and 1", "--partitions must be positive",
        "--attribute donor would overwrite the output column 'cell_id'");
  }

  @Test
  void unknownOptionsAndMissingRequiredOnesAreUsageErrors() {
    CliRun unknown = CliRun.of("tokenize", "--input", "a", "--output", "b", "--vocabulary", "c", "--inptu", "x");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unknown options: '--inptu'").contains("Possible solutions: --input");
    CliRun missing = CliRun.of("tokenize", "--input", "x.h5ad");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required options").contains("--output").contains("--vocabulary");
  }

  private static Map<String, String> fingerprints() throws IOException {
    Map<String, String> out = new TreeMap<>();
    Path root = Fixtures.atlas("csr_float32_gzip.h5ad").getParent().getParent();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), sha256(p) + "@" + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }

  private static String sha256(Path p) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
