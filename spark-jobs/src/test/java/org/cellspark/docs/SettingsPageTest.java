package org.cellspark.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.cellspark.spark.CellsparkSettings;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * docs/settings.md's table lists exactly the settings the code reads, with their defaults and
 * meanings.
 */
class SettingsPageTest {
  @Test
  void theTableIsTheCatalogue() throws IOException {
    List<String> page = new ArrayList<>();
    for (String line : Files.readAllLines(Fixtures.repositoryRoot().resolve("docs/settings.md"))) {
      if (line.startsWith("| `spark.cellspark.")) {
        page.add(line.strip());
      }
    }
    List<String> code = new ArrayList<>();
    for (CellsparkSettings.Key<?> k : CellsparkSettings.all()) {
      code.add(
          "| `"
              + k.name()
              + "` | "
              + (k.fallback() == null ? "(none)" : k.fallback())
              + " | "
              + k.meaning()
              + " | "
              + (k.formerName() == null ? "" : "`" + k.formerName() + "` ")
              + "|");
    }
    assertThat(page)
        .as("rows of docs/settings.md (update the page and CellsparkSettings together)")
        .isEqualTo(code);
  }
}
