package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The application jar bundles exactly the libraries listed in app/bundled-dependencies.txt (what
 * Maven resolves for the shade step, written by the build to target/bundled-dependencies.txt), and
 * no class the cluster provides: no Spark, Scala, Hadoop, AWS SDK, SLF4J or libtorch, and gson and
 * commons-compress only relocated. A change of dependencies fails here until the list is updated on
 * purpose (the failure prints the new list).
 */
class BundledDependenciesIT {
  private static final Path APP = Path.of(System.getProperty("app.jar"));
  private static final Path LIST = Path.of(System.getProperty("bundled.list"));
  private static final Path RESOLVED = Path.of(System.getProperty("bundled.resolved"));

  /** -Pbundle-libtorch: the jar also carries libtorch (pytorch-native-cpu). */
  private static final boolean BUNDLED_LIBTORCH = Boolean.getBoolean("libtorch.bundled");

  /** " g:a:jar[:classifier]:v -- module ..." -> "g:a[:classifier]:v". */
  static List<String> resolved(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      String l = line.trim();
      if (l.isEmpty() || !l.contains(":") || l.startsWith("The following")) {
        continue;
      }
      String[] p = l.split(" ")[0].split(":");
      out.add(
          p.length == 5
              ? p[0] + ":" + p[1] + ":" + p[3] + ":" + p[4]
              : p[0] + ":" + p[1] + ":" + p[3]);
    }
    Collections.sort(out);
    return out;
  }

  @Test
  void theJarHoldsTheCommittedListAndNothingTheClusterHas() throws IOException {
    List<String> forbidden = new ArrayList<>();
    boolean relocatedGson = false;
    try (JarFile jar = new JarFile(APP.toFile())) {
      for (JarEntry e : Collections.list(jar.entries())) {
        String name = e.getName();
        relocatedGson |= name.startsWith("org/cellspark/shaded/gson/");
        for (String prefix :
            List.of(
                "org/apache/spark/",
                "scala/",
                "org/apache/hadoop/",
                "com/amazonaws/",
                "com/google/gson/",
                "org/apache/commons/compress/",
                "org/slf4j/",
                BUNDLED_LIBTORCH ? "(none)" : "native/lib/")) {
          if (name.startsWith(prefix) && !name.equals(prefix)) {
            forbidden.add(name);
          }
        }
      }
    }
    assertThat(forbidden)
        .as("classes the cluster provides (or relocated ones left in place)")
        .isEmpty();
    assertThat(relocatedGson).as("gson relocated into the jar").isTrue();
    List<String> bundled = resolved(Files.readAllLines(RESOLVED));
    List<String> committed =
        new ArrayList<>(
            Files.readAllLines(LIST).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList());
    if (BUNDLED_LIBTORCH) {
      committed.add(
          "ai.djl.pytorch:pytorch-native-cpu:linux-x86_64:"
              + System.getProperty("libtorch.version", "2.7.1"));
      Collections.sort(committed);
    }
    assertThat(bundled)
        .as(
            "bundled libraries; if the change is intended, put this list in %s:%n%s",
            LIST, String.join("\n", bundled))
        .isEqualTo(committed);
    assertThat(Files.size(APP))
        .as("app jar size")
        .isLessThan(BUNDLED_LIBTORCH ? 200L << 20 : 40L << 20);
  }

  /**
   * Versions read from the jar are right: Cellspark's own (--version, every _cellspark.json) is the
   * POM's, and jHDF's package has the version bundled (the jar's manifest is the application's, so
   * jHDF found none and warned "Using development version of jHDF").
   */
  @Test
  void versionsReadFromTheJarAreTheBuildsAndTheBundledLibrarys() throws Exception {
    String jhdf =
        resolved(Files.readAllLines(RESOLVED)).stream()
            .filter(l -> l.startsWith("io.jhdf:jhdf:"))
            .map(l -> l.substring("io.jhdf:jhdf:".length()))
            .findFirst()
            .orElseThrow();
    try (URLClassLoader jar =
        new URLClassLoader(new URL[] {APP.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      Class<?> hdfFile = Class.forName("io.jhdf.HdfFile", false, jar);
      assertThat(hdfFile.getProtectionDomain().getCodeSource().getLocation())
          .isEqualTo(APP.toUri().toURL());
      assertThat(hdfFile.getPackage().getImplementationVersion()).isEqualTo(jhdf);
      Properties version = new Properties();
      try (InputStream in = jar.getResourceAsStream("org/cellspark/cellspark-version.properties")) {
        assertThat(in).as("the version resource in the jar").isNotNull();
        version.load(in);
      }
      assertThat(version.getProperty("version")).isEqualTo(System.getProperty("pom.version"));
    }
  }
}
