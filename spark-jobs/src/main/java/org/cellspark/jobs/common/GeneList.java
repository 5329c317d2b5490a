package org.cellspark.jobs.common;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;
import org.cellspark.vocab.Vocabulary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The genes a screen perturbs, named by Ensembl ID or symbol, given on the command line or in files
 * (one gene per line, first column; blank lines and {@code #} comments skipped), resolved to
 * tokens. Genes not in the vocabulary are left out with a warning that names them (as upstream); a
 * list with none left is an error.
 *
 * @param tokens the resolved genes' tokens, in the order given, without duplicates
 * @param unknown the names that are in no dictionary
 */
public record GeneList(int[] tokens, List<String> unknown) {
  private static final Logger LOG = LoggerFactory.getLogger(GeneList.class);

  /** As {@code --genes} takes them (perturb). */
  public static GeneList resolve(List<String> specs, Vocabulary vocabulary, Configuration hadoop) {
    return resolve(specs, "--genes", "perturb", vocabulary, hadoop);
  }

  /**
   * The tokens of the genes {@code specs} names, or with the one spec {@code all}, of every gene of
   * the vocabulary (its special tokens left out).
   *
   * @param option the option that named the genes, for messages
   * @param job the job, for the log line
   */
  public static int[] tokensOrAll(
      List<String> specs, String option, String job, Vocabulary vocabulary, Configuration hadoop) {
    if (specs.size() == 1 && specs.get(0).equalsIgnoreCase("all")) {
      return vocabulary.tokenIds().entrySet().stream()
          .filter(e -> !vocabulary.isSpecialToken(e.getKey()))
          .mapToInt(Map.Entry::getValue)
          .toArray();
    }
    return resolve(specs, option, job, vocabulary, hadoop).tokens();
  }

  /**
   * @param option the option that named the genes, for messages
   * @param job the job, for the log line
   */
  public static GeneList resolve(
      List<String> specs, String option, String job, Vocabulary vocabulary, Configuration hadoop) {
    List<String> names = new ArrayList<>();
    for (String spec : specs) {
      for (String part : spec.split(",", -1)) {
        String s = part.trim();
        if (s.isEmpty()) {
          continue;
        }
        List<String> fromFile = readIfFile(s, option, hadoop);
        if (fromFile != null) {
          names.addAll(fromFile);
        } else {
          names.add(s);
        }
      }
    }
    Map<Integer, String> found = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    for (String name : names) {
      OptionalInt token = vocabulary.geneToken(name);
      if (token.isPresent()) {
        found.putIfAbsent(token.getAsInt(), name);
      } else {
        unknown.add(name);
      }
    }
    if (!unknown.isEmpty()) {
      LOG.warn(
          "{}: {} of {} genes are not in the vocabulary {} and are left out: {}",
          job,
          unknown.size(),
          names.size(),
          vocabulary.location(),
          String.join(", ", unknown.subList(0, Math.min(20, unknown.size())))
              + (unknown.size() > 20 ? ", ..." : ""));
    }
    if (found.isEmpty()) {
      throw UserException.of(
          "%s: none of %s is in the vocabulary %s (by Ensembl ID or symbol); check the names,"
              + " or pass the vocabulary the tokens were made with",
          option,
          names.size() > 10 ? names.size() + " genes" : String.join(", ", names),
          vocabulary.location());
    }
    return new GeneList(
        found.keySet().stream().mapToInt(Integer::intValue).toArray(), List.copyOf(unknown));
  }

  /** One gene's token, for --anchor-gene: an error when the vocabulary does not have it. */
  public static int resolveOne(String name, String option, Vocabulary vocabulary) {
    return vocabulary
        .geneToken(name.trim())
        .orElseThrow(
            () ->
                UserException.of(
                    "%s %s is not in the vocabulary %s (by Ensembl ID or symbol)",
                    option, name, vocabulary.location()));
  }

  /** The genes listed in {@code location} when it is a file, else null. */
  private static List<String> readIfFile(String location, String option, Configuration hadoop) {
    if (!location.contains("/") && !location.contains(".")) {
      return null; // a gene name: no need to ask the file system
    }
    try {
      Path p = new Path(location);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.exists(p) || !fs.getFileStatus(p).isFile()) {
        return null;
      }
      List<String> out = new ArrayList<>();
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          String t = line.strip();
          if (t.isEmpty() || t.startsWith("#")) {
            continue;
          }
          out.add(t.split("[\\s,]+", -1)[0]);
        }
      }
      if (out.isEmpty()) {
        throw UserException.of(
            "%s file %s lists no genes (one Ensembl ID or symbol per line)", option, location);
      }
      return out;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }
}
