package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.jobs.common.SparkJobs;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Zeppelin note in notebooks/ runs: its %spark.conf settings are applied and every %sql
 * paragraph is executed, statement by statement, in a session with Cellspark's extensions, on
 * fixture data made by the CLI (the atlas, its tokens, a screen with gene shifts, the tiny model);
 * the notes' form fields (${name=default}) are filled with those paths. A failing statement, or a
 * query that returns no row, fails the build. %spark (Scala) paragraphs need a Scala interpreter
 * and are not run here.
 */
@ExtendWith(SharedSpark.class)
class ZeppelinNotesTest {
  private static final Pattern FORM = Pattern.compile("\\$\\{([A-Za-z_]+)(=[^}]*)?}");

  @TempDir Path tmp;

  @Test
  void everySqlParagraphRunsOnFixtureData(SparkSession spark) throws IOException {
    String atlas = Fixtures.atlas("classify_atlas.h5ad").toString();
    String model =
        Fixtures.repositoryRoot()
            .resolve("spark-jobs/src/test/resources/fixtures/models/v1-tiny")
            .toString();
    String tokens = tmp.resolve("tokens").toString();
    String screen = tmp.resolve("screen").toString();
    assertThat(
            CliRun.of(
                    "tokenize",
                    "--input",
                    atlas,
                    "--vocabulary",
                    "builtin:geneformer-v1",
                    "--min-gene-match",
                    "0.1",
                    "--attribute",
                    "cell_type",
                    "--output",
                    tokens)
                .exitCode())
        .isZero();
    assertThat(
            CliRun.of(
                    "perturb",
                    "--input",
                    tokens,
                    "--model",
                    model,
                    "--perturbation",
                    "delete",
                    "--genes",
                    "all",
                    "--max-cells",
                    "3",
                    "--gene-shifts",
                    "--output",
                    screen)
                .exitCode())
        .isZero();
    Map<String, String> forms =
        Map.of("atlas", atlas, "tokens", tokens, "model", model, "screen", screen);

    List<Path> notes;
    try (Stream<Path> files = Files.list(Fixtures.repositoryRoot().resolve("notebooks"))) {
      notes = files.filter(f -> f.toString().endsWith(".zpln")).sorted().toList();
    }
    assertThat(notes).isNotEmpty();
    int statements = 0;
    // Every setting and view the notes make is taken back, also when a paragraph fails: the session
    // is shared.
    List<SparkJobs.SessionConf> settings = new java.util.ArrayList<>();
    try {
      for (Path note : notes) {
        JsonNode json = new ObjectMapper().readTree(note.toFile());
        assertThat(json.get("paragraphs").size()).as(note.toString()).isPositive();
        for (JsonNode p : json.get("paragraphs")) {
          String text = p.get("text").asText();
          String title = note.getFileName() + " / " + p.path("title").asText(p.get("id").asText());
          String body = fill(text.substring(text.indexOf('\n') + 1), forms);
          if (text.startsWith("%spark.conf")) {
            for (String line : body.split("\n")) {
              String[] kv = line.trim().split("\\s+", 2);
              if (kv.length == 2 && kv[0].startsWith("spark.cellspark.")) {
                settings.add(SparkJobs.sessionConf(spark, Map.of(kv[0], kv[1])));
              } else if (kv.length == 2 && kv[0].equals("spark.sql.extensions")) {
                assertThat(spark.conf().get(kv[0])).as(title).contains(kv[1]);
              }
            }
          } else if (text.startsWith("%sql")) {
            List<String> parts = statements(body);
            for (int i = 0; i < parts.size(); i++) {
              String sql = parts.get(i);
              List<Row> rows;
              try {
                rows = spark.sql(sql).limit(50).collectAsList();
              } catch (Exception e) {
                throw new AssertionError(
                    "paragraph '" + title + "' failed on:\n" + sql + "\n" + e.getMessage(), e);
              }
              if (sql.stripLeading().toUpperCase(java.util.Locale.ROOT).startsWith("SELECT")
                  || sql.stripLeading().toUpperCase(java.util.Locale.ROOT).startsWith("WITH")) {
                assertThat(rows).as("paragraph '%s' returns rows:%n%s", title, sql).isNotEmpty();
              }
              statements++;
            }
          }
        }
      }
    } finally {
      // Views first: uncaching "cells" analyses its plan again, which reads the settings.
      spark.sql("UNCACHE TABLE IF EXISTS cells");
      for (String view : List.of("atlas", "tokens", "cells", "shifts", "gene_shifts")) {
        spark.catalog().dropTempView(view);
      }
      java.util.Collections.reverse(settings);
      settings.forEach(SparkJobs.SessionConf::close);
      spark
          .conf()
          .unset(
              "spark.cellspark.model"); // set by the note's own SQL (SET spark.cellspark.model=...)
    }
    assertThat(statements).isGreaterThanOrEqualTo(10);
  }

  /**
   * Zeppelin's dynamic forms, ${name=default}, filled from the fixtures (a form not known keeps its
   * default).
   */
  private static String fill(String text, Map<String, String> forms) {
    Matcher m = FORM.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value =
          forms.getOrDefault(m.group(1), m.group(2) == null ? "" : m.group(2).substring(1));
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A paragraph's statements, split at semicolons that end a line (as Zeppelin's %sql does). */
  private static List<String> statements(String body) {
    List<String> out = new ArrayList<>();
    for (String s : body.split(";\\s*(\\n|$)")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }
}
