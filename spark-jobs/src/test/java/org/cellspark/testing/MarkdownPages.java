package org.cellspark.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The Markdown files the repository holds, for tests that read the documentation. */
public final class MarkdownPages {
  private MarkdownPages() {}

  /** Every page under root, build outputs, benchmark work folders and git's own aside. */
  public static List<Path> under(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.toString().endsWith(".md"))
          .filter(
              p -> {
                String rel = root.relativize(p).toString();
                return !rel.contains("/target/")
                    && !rel.startsWith("target/")
                    && !rel.startsWith("bench/work/")
                    && !rel.startsWith(".git/")
                    && !rel.contains("node_modules/");
              })
          .sorted()
          .toList();
    }
  }
}
