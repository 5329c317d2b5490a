package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.MarkdownPages;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every Cellspark command line in the documentation's shell examples parses as the CLI reads it:
 * the command exists, every option is one of its options with a value of the right type, and no
 * required option is missing. A user copies these lines; an option renamed in the code and not in a
 * page would otherwise be found by the user. Lines are taken from {@code bash}/{@code sh} code
 * blocks: {@code bin/cellspark ...}, and the arguments after the application jar of a {@code
 * spark-submit} (or after {@code --} of {@code gcloud dataproc jobs submit}). A line with a
 * placeholder ({@code <folder>}, {@code [options]}, {@code ...}) is a template, not a command, and
 * is left out; the test says how many it parsed, and fails when that falls to few.
 */
class DocsCommandLinesTest {
  private static final Pattern BLOCK =
      Pattern.compile("```(bash|sh|shell|console)\\n(.*?)```", Pattern.DOTALL);

  /** spark-submit's options that take a value (the rest, --verbose and --supervise, do not). */
  private static final Set<String> SPARK_SUBMIT_VALUED =
      Set.of(
          "--master",
          "--deploy-mode",
          "--class",
          "--name",
          "--jars",
          "--packages",
          "--exclude-packages",
          "--repositories",
          "--py-files",
          "--files",
          "--archives",
          "--conf",
          "-c",
          "--properties-file",
          "--driver-memory",
          "--driver-java-options",
          "--driver-library-path",
          "--driver-class-path",
          "--executor-memory",
          "--proxy-user",
          "--driver-cores",
          "--total-executor-cores",
          "--executor-cores",
          "--num-executors",
          "--principal",
          "--keytab",
          "--queue");

  record Example(Path page, String line, List<String> args) {}

  @Test
  void everyDocumentedCommandLineParses() throws IOException {
    Path root = Fixtures.repositoryRoot().toRealPath();
    List<Example> examples = new ArrayList<>();
    for (Path page : MarkdownPages.under(root)) {
      examples.addAll(examples(root.relativize(page), Files.readString(page)));
    }
    List<String> refused = new ArrayList<>();
    for (Example e : examples) {
      try {
        Main.commandLine().parseArgs(e.args().toArray(String[]::new));
      } catch (CommandLine.ParameterException x) {
        refused.add(e.page() + ": " + e.line() + "\n    -> " + x.getMessage());
      }
    }
    assertThat(refused).as("documented command lines the CLI refuses").isEmpty();
    // Most pages show commands; a parser that found none would pass everything.
    assertThat(examples).as("command lines found in the docs").hasSizeGreaterThan(40);
    assertThat(examples.stream().map(Example::page).distinct()).hasSizeGreaterThan(15);
  }

  @Test
  void aRenamedOptionInAPageIsCaught() {
    List<Example> found =
        examples(
            Path.of("page.md"),
            "text\n"
                + "```bash\n"
                + "bin/cellspark embed --input t/ --model m/ \\\n"
                + "  --sumary mean --output e/ # typo\n"
                + "```\n");
    assertThat(found).hasSize(1);
    assertThat(found.get(0).args())
        .containsExactly(
            "embed", "--input", "t/", "--model", "m/", "--sumary", "mean", "--output", "e/");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Main.commandLine().parseArgs(found.get(0).args().toArray(String[]::new)))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--sumary");
  }

  @Test
  void theArgumentsAfterASparkSubmitJarAreTheCommands() {
    String page =
        "```bash\nspark-submit --master yarn --class org.cellspark.cli.Main \\\n"
            + "  --jars a.jar,b.jar --conf \"spark.x=-Da -Db\" --verbose \\\n"
            + "  cellspark-app.jar tokenize --input 'my data/a.h5ad' --output t | tee log\n"
            + "gcloud dataproc jobs submit spark --cluster c --jars x.jar -- embed --input t\n"
            + "bin/cellspark tokenize --input <file> --output <folder>\n```\n";
    List<Example> found = examples(Path.of("p.md"), page);
    assertThat(found)
        .extracting(Example::args)
        .containsExactly(
            List.of("tokenize", "--input", "my data/a.h5ad", "--output", "t"),
            List.of("embed", "--input", "t"));
  }

  static List<Example> examples(Path page, String markdown) {
    List<Example> out = new ArrayList<>();
    Matcher block = BLOCK.matcher(markdown);
    while (block.find()) {
      String joined = block.group(2).replaceAll("\\\\\\n\\s*", " ");
      for (String line : joined.split("\n")) {
        List<String> words = words(line);
        List<String> args = cellsparkArgs(words);
        if (args != null && !args.isEmpty() && !isTemplate(words)) {
          out.add(new Example(page, line.strip(), args));
        }
      }
    }
    return out;
  }

  /**
   * The arguments Cellspark's Main receives from a shell line, or null when it runs none: the
   * command word (after any VAR=value settings) is bin/cellspark, a spark-submit of Cellspark's
   * main class, or a gcloud dataproc jobs submit with its arguments after {@code --}.
   */
  private static List<String> cellsparkArgs(List<String> words) {
    int i = 0;
    while (i < words.size() && words.get(i).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
      i++;
    }
    if (i == words.size()) {
      return null;
    }
    String command = words.get(i);
    if (command.equals("cellspark") || command.endsWith("bin/cellspark")) {
      return words.subList(i + 1, words.size());
    }
    if (command.equals("spark-submit") && words.contains("org.cellspark.cli.Main")) {
      for (int j = i + 1; j < words.size(); j++) {
        String o = words.get(j);
        if (SPARK_SUBMIT_VALUED.contains(o)) {
          j++;
        } else if (!o.startsWith("-")) {
          return words.subList(j + 1, words.size()); // o is the application jar
        }
      }
      return null;
    }
    if (command.equals("gcloud")
        && String.join(" ", words).contains("dataproc jobs submit")
        && words.contains("--")) {
      return words.subList(words.indexOf("--") + 1, words.size());
    }
    return null;
  }

  private static boolean isTemplate(List<String> words) {
    return words.stream()
        .anyMatch(
            a ->
                a.matches(".*<[^>]*>.*")
                    || a.startsWith("[")
                    || a.contains("...")
                    || a.contains("…"));
  }

  /**
   * A shell line's words: quotes removed, a comment and anything after a pipe, redirection or
   * command separator dropped. Enough of the shell for documentation examples.
   */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        word = word == null ? new StringBuilder() : word;
      } else if (Character.isWhitespace(c)) {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
      } else if (word == null && (c == '#' || c == '|' || c == '>' || c == ';' || c == '&')) {
        return words;
      } else {
        word = word == null ? new StringBuilder() : word;
        word.append(c);
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }
}
