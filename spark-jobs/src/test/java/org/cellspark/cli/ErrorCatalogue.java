package org.cellspark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docs/errors.md read as data: each {@code ### `id` title} section with its {@code - Message:} (one
 * or more backquoted texts, {@code …} standing for what varies: a path, a number) and its {@code -
 * Exit code:}. ErrorCatalogueTest holds every run of the command line to what the page promises, so
 * the page cannot drift from the program.
 */
record ErrorCatalogue(Map<String, Entry> entries) {
  private static final Pattern HEADING = Pattern.compile("^### `([a-z0-9-]+)` .+$");
  private static final Pattern QUOTED = Pattern.compile("`([^`]+)`");

  /** One documented refusal: the texts the message must hold, in order, and the exit code. */
  record Entry(String id, List<List<String>> messages, int exitCode) {
    /** The first expected fragment missing from {@code printed} (fragments in order), or null. */
    String missingFrom(String printed) {
      for (List<String> message : messages) {
        int from = 0;
        for (String fragment : message) {
          int at = printed.indexOf(fragment, from);
          if (at < 0) {
            return fragment;
          }
          from = at + fragment.length();
        }
      }
      return null;
    }
  }

  static ErrorCatalogue read(Path page) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    String id = null;
    List<List<String>> messages = new ArrayList<>();
    Integer exit = null;
    for (String line : Files.readAllLines(page)) {
      Matcher heading = HEADING.matcher(line);
      if (heading.matches() || line.startsWith("## ")) {
        add(entries, id, messages, exit);
        id = heading.matches() ? heading.group(1) : null;
        messages = new ArrayList<>();
        exit = null;
      } else if (id != null && line.startsWith("- Message: ")) {
        Matcher q = QUOTED.matcher(line);
        while (q.find()) {
          messages.add(
              List.of(q.group(1).split("…")).stream()
                  .map(String::strip)
                  .filter(s -> !s.isEmpty())
                  .toList());
        }
      } else if (id != null && line.startsWith("- Exit code: ")) {
        exit = Integer.parseInt(line.substring("- Exit code: ".length()).strip());
      }
    }
    add(entries, id, messages, exit);
    return new ErrorCatalogue(entries);
  }

  private static void add(
      Map<String, Entry> entries, String id, List<List<String>> messages, Integer exit) {
    if (id == null) {
      return;
    }
    if (messages.isEmpty() || exit == null) {
      throw new IllegalStateException(
          "docs/errors.md: entry " + id + " needs a '- Message:' and an '- Exit code:' line");
    }
    if (entries.put(id, new Entry(id, List.copyOf(messages), exit)) != null) {
      throw new IllegalStateException("docs/errors.md: entry " + id + " appears twice");
    }
  }
}
