package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cellspark.spark.SparkLine;
import org.cellspark.spark.SparkSessionFactory;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Main on a Java newer than 21, started as spark-submit and pyspark start it (no bin/cellspark,
 * which runs Java 17 to 21 only), with Spark's own JVM options for the build's line. Whether Spark
 * starts is up to its Hadoop: up to Hadoop 3.4 (Spark 3.5's and 4.0's) the login calls
 * Subject.getSubject, which Java 23 and later no longer support, so those builds refuse such a Java
 * before Spark starts, with the way out (they used to fail with an internal error and a trace);
 * Hadoop 3.5 (Spark 4.2's) logs in on them, and the Spark 4.2 build runs on Java 25 as on Java 17.
 * Each test is skipped, saying so, on the lines it is not about, and where no such Java is
 * installed under /usr/lib/jvm.
 */
class NewerJavaIT {
  @TempDir Path tmp;

  @Test
  void theSpark35And40BuildsRefuseJava23AndLaterBeforeSparkStarts() throws Exception {
    assumeTrue(!onSpark42(), "the Spark 4.2 build runs on Java 25 (the tests below)");
    Path java = Jdks.fromVersion(23);
    MainJvm.Run run = main(java, LocalCluster.java17Options(), tokenize("tokens", "parquet"));
    assertThat(run.exitCode()).as(run.console()).isEqualTo(2);
    assertThat(run.console())
        .contains("error: This is Java ")
        .containsPattern("and this JVM's Hadoop 3\\.[34]\\.\\d+ cannot log in on Java 23 or later")
        .contains("Spark " + SparkLine.SPARK + " cannot start")
        .contains("set JAVA_HOME to a JDK 17")
        .doesNotContain("getSubject is not supported");
    assertThat(run.lastLine()).startsWith("error: This is Java ");
    assertThat(tmp.resolve("tokens")).doesNotExist();
  }

  /**
   * A Hugging Face dataset written and read through Arrow, and a model run through DJL, in JVMs on
   * Java 25: the embeddings equal those this JVM (Java 17) computes from the same tokens.
   */
  @Test
  void theSpark42BuildRunsOnJava25AsOnJava17() throws Exception {
    assumeTrue(onSpark42(), "only Spark 4.2's Hadoop (3.5) logs in on Java 23 and later");
    Path java = Jdks.fromVersion(25);
    String tokens = tmp.resolve("tokens").toString();
    MainJvm.Run tokenize = main(java, LocalCluster.java17Options(), tokenize("tokens", "dataset"));
    assertThat(tokenize.exitCode()).as(tokenize.console()).isZero();
    String model = LocalCluster.TINY_MODEL.toString();
    MainJvm.Run embed = main(java, LocalCluster.java17Options(), embed(tokens, model, "emb"));
    assertThat(embed.exitCode()).as(embed.console()).isZero();

    SparkSession spark =
        SparkSessionFactory.getOrCreate(
            "java17-reference", Map.of("spark.master", "local[2]", "spark.ui.enabled", "false"));
    try {
      assertThat(org.cellspark.cli.Main.execute(embed(tokens, model, "ref").toArray(String[]::new)))
          .isZero();
      LocalCluster.assertSameCellEmbeddings(spark, tmp.resolve("emb"), tmp.resolve("ref"), 600);
    } finally {
      spark.stop();
    }
  }

  /**
   * On Java 24 and later Netty leaves sun.misc.Unsafe off unless the JVM allows it, and Arrow's
   * allocator cannot start without it: a JVM started without Spark 4.2's option for it is refused
   * with that option named (it used to fail with an internal error, "Could not initialize class
   * RootAllocator").
   */
  @Test
  void onJava25ArrowWithoutTheUnsafeOptionIsRefusedNamingIt() throws Exception {
    assumeTrue(onSpark42(), "only Spark 4.2's Hadoop (3.5) logs in on Java 23 and later");
    Path java = Jdks.fromVersion(25);
    String allow = "--sun-misc-unsafe-memory-access=allow";
    assertThat(LocalCluster.java17Options()).contains(allow);
    List<String> options =
        LocalCluster.java17Options().stream().filter(o -> !o.equals(allow)).toList();
    MainJvm.Run run = main(java, options, tokenize("tokens", "dataset"));
    assertThat(run.exitCode()).as(run.console()).isEqualTo(2);
    assertThat(run.console())
        .contains("error: Arrow, which reads and writes Hugging Face datasets, cannot allocate")
        .contains("Start the JVMs with " + allow)
        .doesNotContain("Could not initialize class");
    assertThat(run.lastLine()).startsWith("error: Arrow, which reads and writes");
    assertThat(tmp.resolve("tokens")).doesNotExist();
  }

  private static boolean onSpark42() {
    return SparkLine.SPARK.equals("4.2");
  }

  /** Main in a JVM of {@code java} with these options, as spark-submit's. */
  private MainJvm.Run main(Path java, List<String> options, List<String> args) throws Exception {
    return MainJvm.run(java, options, Map.of(), tmp, args);
  }

  /** A tokenize of the 600-cell atlas into tmp/{@code output}. */
  private List<String> tokenize(String output, String format) {
    return List.of(
        "tokenize",
        "--input",
        Fixtures.atlas("classify_atlas.h5ad").toString(),
        "--vocabulary",
        "builtin:geneformer-v1",
        "--min-gene-match",
        "0.1",
        "--output-format",
        format,
        "--output",
        tmp.resolve(output).toString());
  }

  private List<String> embed(String tokens, String model, String output) {
    return List.of(
        "embed", "--input", tokens, "--model", model, "--output", tmp.resolve(output).toString());
  }
}
