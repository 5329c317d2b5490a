package org.cellspark.vocab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;

/**
 * Vocabularies shipped inside the jar, addressed as {@code builtin:<name>}. Today: Geneformer's V1
 * dictionaries ({@code builtin:geneformer-v1}, Apache-2.0, see the NOTICE beside them), so the demo
 * and first-time users need no download.
 */
public final class BundledVocabulary {
  public static final String PREFIX = "builtin:";
  public static final String GENEFORMER_V1 = "geneformer-v1";

  private static final List<String> V1_FILES =
      List.of(
          "token_dictionary.pkl",
          "gene_median_dictionary.pkl",
          "gene_name_id_dict.pkl",
          "NOTICE.md");

  private BundledVocabulary() {}

  public static boolean isBundled(String location) {
    return location.startsWith(PREFIX);
  }

  /**
   * Copies the named bundled vocabulary into {@code target} (created if needed) and returns the
   * folder; the files are read from the classpath, so this works from a jar.
   */
  public static Path extract(String location, Path target) {
    String name = location.substring(PREFIX.length());
    if (!GENEFORMER_V1.equals(name)) {
      throw UserException.of(
          "Unknown bundled vocabulary '%s'; the bundled one is %s%s",
          location, PREFIX, GENEFORMER_V1);
    }
    try {
      Files.createDirectories(target);
      for (String file : V1_FILES) {
        try (InputStream in =
            BundledVocabulary.class.getResourceAsStream(GENEFORMER_V1 + "/" + file)) {
          if (in == null) {
            throw new Bug("bundled vocabulary file missing from the jar: " + file);
          }
          Files.copy(in, target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the bundled vocabulary to " + target, e);
    }
    return target;
  }
}
