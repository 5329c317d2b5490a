package org.cellspark.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths with characters beyond ASCII in the C locale (minimal containers, cron, schedulers, YARN
 * containers without a LANG), where Java reads arguments and file names as ASCII and every other
 * character arrives as U+FFFD: the file was "not there" (an input folder of such files looked
 * empty). bin/cellspark runs Java in a UTF-8 locale the machine has, and Main started otherwise (as
 * spark-submit starts it) refuses such a name saying why and what to set.
 */
class LauncherLocaleIT {
  private static final Map<String, String> C_LOCALE = cLocale();

  @TempDir Path tmp;

  private static Map<String, String> cLocale() {
    Map<String, String> env = new HashMap<>();
    env.put("LANG", "C");
    env.put("LC_ALL", "C");
    env.put("LC_CTYPE", null);
    return env;
  }

  @Test
  void theLauncherRunsJavaInAUtf8LocaleWhereTheMachineHasOne() throws Exception {
    assumeTrue(hasUtf8Locale(), "this machine has no UTF-8 locale (locale -a)");
    Path model = copyOf(LocalCluster.TINY_MODEL, tmp.resolve("modèle é"));
    Launcher.Run run =
        Launcher.run(
            tmp,
            C_LOCALE,
            "check-model",
            "--model",
            model.toString(),
            "--vocabulary",
            "builtin:geneformer-v1");
    assertThat(run.exitCode()).as(run.console()).isZero();
    assertThat(run.console()).contains("Model " + model).contains("Together: they fit");
  }

  @Test
  void mainInTheCLocaleRefusesANameItCannotReadSayingWhy() throws Exception {
    Path model = copyOf(LocalCluster.TINY_MODEL, tmp.resolve("modèle"));
    MainJvm.Run run =
        main("check-model", "--model", model.toString(), "--vocabulary", "builtin:geneformer-v1");
    assertThat(run.exitCode()).as(run.console()).isEqualTo(2);
    assertThat(run.console().strip())
        .startsWith("error: The argument '" + tmp.resolve("mod??le") + "' holds characters")
        .contains("as ANSI_X3.4-1968, the character set of its locale")
        .contains("export LC_ALL=C.UTF-8");
  }

  /** Hadoop's local listing leaves such files out: the folder looked empty. */
  @Test
  void mainInTheCLocaleRefusesAFolderOfNamesItCannotRead() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("atlases"));
    Files.copy(Fixtures.atlas("csr_float32_gzip.h5ad"), in.resolve("café.h5ad"));
    Path out = tmp.resolve("tokens");
    MainJvm.Run run =
        main(
            "tokenize",
            "--input",
            in.toString(),
            "--vocabulary",
            "builtin:geneformer-v1",
            "--output",
            out.toString());
    assertThat(run.exitCode()).as(run.console()).isEqualTo(2);
    assertThat(run.console())
        .contains("error: A file in folder " + in + " 'caf??.h5ad' holds characters this JVM")
        .doesNotContain("holds no atlas files");
    assertThat(out).doesNotExist();
  }

  /** org.cellspark.cli.Main from the app jar in a JVM in the C locale, as spark-submit's. */
  private MainJvm.Run main(String... args) throws Exception {
    return MainJvm.run(
        Path.of(System.getProperty("java.home")),
        LocalCluster.java17Options(),
        C_LOCALE,
        tmp,
        List.of(args));
  }

  private static boolean hasUtf8Locale() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
      String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return all.lines().anyMatch(l -> l.matches("(?i)(C|en_US)\\.utf-?8"));
    } catch (java.io.IOException noLocaleCommand) {
      return false;
    }
  }

  private static Path copyOf(Path folder, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }
}
