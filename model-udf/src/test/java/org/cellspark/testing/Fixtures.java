package org.cellspark.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Paths of the committed fixtures, from any module's tests. Fixtures are found on disk (not on the
 * classpath) because readers take folders and files, and resources inside a test-jar are neither.
 * Regenerate them with {@code spark-jobs/src/test/python/make_fixtures.py}.
 */
public final class Fixtures {
  private Fixtures() {}

  /** The repository root: the nearest folder above the working directory holding model-udf/. */
  public static Path repositoryRoot() {
    Path p = Paths.get("").toAbsolutePath();
    for (Path d = p; d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("model-udf")) && Files.isDirectory(d.resolve("spark-jobs"))) {
        return d;
      }
    }
    throw new IllegalStateException("cannot find the repository root above " + p);
  }

  /** A folder or file under model-udf/src/test/resources/fixtures (vocabularies, pickles). */
  public static Path vocab(String name) {
    return existing(
        repositoryRoot().resolve("model-udf/src/test/resources/fixtures").resolve(name));
  }

  /** The real Geneformer V1 dictionaries shipped in model-udf's resources. */
  public static Path geneformerV1() {
    return existing(
        repositoryRoot().resolve("model-udf/src/main/resources/org/cellspark/vocab/geneformer-v1"));
  }

  /** An atlas fixture under spark-jobs/src/test/resources/fixtures/atlas. */
  public static Path atlas(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/atlas").resolve(name));
  }

  /** A perturbation-screen fixture under spark-jobs/src/test/resources/fixtures/perturb. */
  public static Path perturb(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/perturb").resolve(name));
  }

  /**
   * A token table as upstream Geneformer's tokenizer saves it (a Hugging Face dataset), under
   * spark-jobs/src/test/resources/fixtures/hf.
   */
  public static Path huggingFace(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/hf").resolve(name));
  }

  /** A statistics fixture under spark-jobs/src/test/resources/fixtures/stats. */
  public static Path stats(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/stats").resolve(name));
  }

  /**
   * A file shaped like users' own (CELLxGENE, Cell Ranger 2, old AnnData, MuData), under
   * spark-jobs/src/test/resources/fixtures/field.
   */
  public static Path field(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/field").resolve(name));
  }

  /**
   * A gene class file (upstream's gene_class_dict) under
   * spark-jobs/src/test/resources/fixtures/genes.
   */
  public static Path genes(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/genes").resolve(name));
  }

  /** An AnnData zarr store (a folder) under spark-jobs/src/test/resources/fixtures/zarr. */
  public static Path zarr(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/zarr").resolve(name));
  }

  /** A fixture that must be refused, under spark-jobs/src/test/resources/fixtures/bad. */
  public static Path bad(String name) {
    return existing(
        repositoryRoot().resolve("spark-jobs/src/test/resources/fixtures/bad").resolve(name));
  }

  private static Path existing(Path p) {
    if (!Files.exists(p)) {
      throw new IllegalStateException("fixture missing: " + p);
    }
    return p;
  }
}
