package org.cellspark.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The engine (vocabularies, models, embedding) runs with neither Spark nor Hadoop on the class
 * path, as on a GPU machine that has only the engine's jars. A class the engine loads that refers
 * to Hadoop (the vocabulary loader once did, through the copies of remote folders, and the JVM's
 * verifier loaded Hadoop's stream classes with it) fails there with NoClassDefFoundError.
 */
class EngineWithoutSparkTest {
  @Test
  void vocabulariesAndModelsLoadAndEmbedWithoutSparkOrHadoop() throws Exception {
    String classPath =
        Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(
                p ->
                    !p.contains("/org/apache/spark/")
                        && !p.contains("/org/apache/hadoop/")
                        && !p.contains("/org/scala-lang/"))
            .collect(Collectors.joining(File.pathSeparator));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-Xmx512m",
                    "-Dai.djl.offline=true",
                    "-cp",
                    classPath,
                    EngineOnlyMain.class.getName(),
                    Fixtures.vocab("vocab-v2-small").toString(),
                    Fixtures.vocab("models/tiny-v2").toString()))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("embedded 2 cells of 32 with 34 tokens");
  }
}
