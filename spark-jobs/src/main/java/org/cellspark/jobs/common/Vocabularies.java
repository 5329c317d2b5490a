package org.cellspark.jobs.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.cellspark.vocab.BundledVocabulary;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/** Loads the {@code --vocabulary} of a job: a local folder, or a bundled one ({@code builtin:...}). */
public final class Vocabularies {
  private Vocabularies() {}

  public static Vocabulary load(String location) {
    if (BundledVocabulary.isBundled(location)) {
      try {
        Path dir = Files.createTempDirectory("cellspark-vocab-");
        dir.toFile().deleteOnExit();
        Path folder = BundledVocabulary.extract(location, dir);
        try (var files = Files.list(folder)) {
          files.forEach(f -> f.toFile().deleteOnExit());
        }
        return VocabularyLoader.load(folder, location);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return VocabularyLoader.load(Paths.get(location.startsWith("file:") ? location.substring(5) : location));
  }
}
