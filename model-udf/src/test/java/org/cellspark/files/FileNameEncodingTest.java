package org.cellspark.files;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A name the JVM could not decode (U+FFFD where the locale's ASCII had no character) is refused
 * where names are decoded in a set other than UTF-8, saying why and what to set; never in UTF-8,
 * where a name may hold U+FFFD itself. (LauncherLocaleIT runs Java in the C locale.)
 */
class FileNameEncodingTest {
  private static final String DAMAGED = "/data/caf\uFFFD\uFFFD/atlas.h5ad";

  @Test
  void aDamagedNameIsRefusedOutsideUtf8() {
    assertThat(FileNameEncoding.problem("ANSI_X3.4-1968", "The argument", DAMAGED))
        .startsWith("The argument '/data/caf??/atlas.h5ad' holds characters this JVM could not")
        .contains("as ANSI_X3.4-1968, the character set of its locale")
        .contains("export LC_ALL=C.UTF-8")
        .contains("spark.executorEnv.LC_ALL=C.UTF-8");
    assertThat(FileNameEncoding.problem("ISO-8859-1", "The argument", "\uFFFD")).isNotNull();
  }

  @Test
  void nothingIsRefusedInUtf8OrWithoutADamagedCharacter() {
    assertThat(FileNameEncoding.problem("UTF-8", "The argument", DAMAGED)).isNull();
    assertThat(FileNameEncoding.problem("utf8", "The argument", DAMAGED)).isNull();
    assertThat(FileNameEncoding.problem("ANSI_X3.4-1968", "The argument", "/data/cafe/a.h5ad"))
        .isNull();
    assertThat(FileNameEncoding.problem("no-such-set", "The argument", "/data/a?.h5ad")).isNull();
  }
}
