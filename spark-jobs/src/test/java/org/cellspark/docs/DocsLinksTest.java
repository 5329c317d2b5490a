package org.cellspark.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.MarkdownPages;
import org.junit.jupiter.api.Test;

/**
 * Every link from one of the repository's Markdown files to another file points at a file or folder
 * that exists in the repository (anchors and web addresses aside), so documentation cannot send a
 * reader to a page that was renamed, never written, or lives outside the project.
 */
class DocsLinksTest {
  /** {@code [text](target)}; the target up to a closing parenthesis or a space (a title). */
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)[^)]*\\)");

  @Test
  void everyRelativeLinkResolvesInsideTheRepository() throws IOException {
    Path root = Fixtures.repositoryRoot().toRealPath();
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : MarkdownPages.under(root)) {
      String text = Files.readString(page);
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.startsWith("http://")
            || target.startsWith("https://")
            || target.startsWith("mailto:")
            || target.startsWith("#")) {
          continue;
        }
        int hash = target.indexOf('#');
        Path resolved =
            page.getParent().resolve(hash < 0 ? target : target.substring(0, hash)).normalize();
        checked++;
        if (!resolved.startsWith(root) || !Files.exists(resolved)) {
          broken.add(root.relativize(page) + " -> " + target);
        }
      }
    }
    assertThat(checked).as("links checked").isGreaterThan(20);
    assertThat(broken).as("links to files that do not exist in the repository").isEmpty();
  }

  /**
   * Nothing in the documentation, the code or the scripts points a reader at the design notes and
   * references the project was started from, which live outside it: the fact is stated where it is
   * used instead.
   */
  @Test
  void nothingCitesNotesOutsideTheRepository() throws IOException {
    Path root = Fixtures.repositoryRoot().toRealPath();
    // Spelled in pieces so that this file does not match itself.
    List<String> outside =
        List.of(
            "../" + "shared/",
            "jvm-" + "stack.md",
            "DESIGN" + ".md",
            "geneformer-" + "algorithm.md",
            "reference " + "\u00a7",
            "reference " + "section",
            "reference " + "quirk");
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f :
          files
              .filter(p -> p.toString().matches(".*\\.(md|java|py|sh|properties|xml)$"))
              .sorted()
              .toList()) {
        String rel = root.relativize(f).toString();
        if (rel.contains("/target/") || rel.startsWith("bench/work/") || rel.startsWith(".git/")) {
          continue;
        }
        String text = Files.readString(f);
        outside.stream().filter(text::contains).forEach(o -> found.add(rel + ": " + o));
      }
    }
    assertThat(found).isEmpty();
  }
}
