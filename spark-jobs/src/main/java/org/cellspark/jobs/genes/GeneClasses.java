package org.cellspark.jobs.genes;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;
import org.cellspark.vocab.DictionaryFileReader;
import org.cellspark.vocab.Vocabulary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The genes a gene classifier learns, by class (upstream's {@code gene_class_dict}), read from a
 * file and resolved to tokens: a pickled dict of class to list of genes as upstream's examples ship
 * them ({@code .pkl} / {@code .pickle}), the same as JSON ({@code .json}), or a table of two
 * columns, gene then class ({@code .csv}, {@code .tsv}, anything else; comma or tab; {@code #}
 * comments and a header line naming the gene column skipped). Genes are named by Ensembl ID or
 * symbol. Genes not in the vocabulary are left out with a warning naming them, as upstream; a gene
 * in two classes is refused, naming both.
 *
 * @param names the classes, sorted by name (their class numbers in the model)
 * @param tokens each class's genes' tokens, in the file's order
 * @param unknown the names that are in no dictionary
 */
record GeneClasses(List<String> names, List<int[]> tokens, List<String> unknown) {
  private static final Logger LOG = LoggerFactory.getLogger(GeneClasses.class);
  private static final Set<String> HEADERS =
      Set.of("gene", "genes", "gene_id", "ensembl_id", "gene_name", "symbol");

  static GeneClasses read(String location, Vocabulary vocabulary, Configuration hadoop) {
    return resolve(location, parse(location, bytes(location, hadoop)), vocabulary);
  }

  /** Every class's genes as named in the file. */
  static Map<String, List<String>> parse(String location, byte[] content) {
    String lower = location.toLowerCase(Locale.ROOT);
    Map<String, List<String>> classes;
    if (lower.endsWith(".pkl") || lower.endsWith(".pickle")) {
      classes = fromPickle(location, content);
    } else if (lower.endsWith(".json")) {
      classes = fromJson(location, content);
    } else {
      classes = fromTable(location, new String(content, StandardCharsets.UTF_8));
    }
    // By name, as finetune orders a label's classes: a pickled dict's order does not survive
    // unpickling into a Java map, and the order decides class numbers (the ROC's positive class is
    // the second).
    classes = new java.util.TreeMap<>(classes);
    if (classes.size() < 2) {
      throw UserException.of(
          "--gene-classes %s names %d class(es) (%s); a gene classifier needs at least two,"
              + " each with its genes",
          location, classes.size(), String.join(", ", classes.keySet()));
    }
    return classes;
  }

  static GeneClasses resolve(
      String location, Map<String, List<String>> named, Vocabulary vocabulary) {
    Map<Integer, String> classOf = new LinkedHashMap<>();
    Map<Integer, String> nameOf = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    List<int[]> tokens = new ArrayList<>();
    for (Map.Entry<String, List<String>> c : named.entrySet()) {
      List<Integer> found = new ArrayList<>();
      for (String gene : c.getValue()) {
        OptionalInt t = vocabulary.geneToken(gene);
        if (t.isEmpty()) {
          unknown.add(gene);
          continue;
        }
        String before = classOf.putIfAbsent(t.getAsInt(), c.getKey());
        if (before != null && !before.equals(c.getKey())) {
          throw UserException.of(
              "--gene-classes %s: gene %s is in class '%s' and in class '%s'%s; a gene can be"
                  + " in one class only: remove it from one",
              location,
              gene,
              before,
              c.getKey(),
              gene.equals(nameOf.get(t.getAsInt()))
                  ? ""
                  : " (as " + nameOf.get(t.getAsInt()) + ")");
        }
        if (before == null) {
          nameOf.put(t.getAsInt(), gene);
          found.add(t.getAsInt());
        }
      }
      if (found.isEmpty()) {
        throw UserException.of(
            "--gene-classes %s: none of class '%s''s %d genes is in the vocabulary %s (by Ensembl"
                + " ID or symbol); check the names, or pass the vocabulary the tokens were made"
                + " with",
            location, c.getKey(), c.getValue().size(), vocabulary.location());
      }
      tokens.add(found.stream().mapToInt(Integer::intValue).toArray());
    }
    if (!unknown.isEmpty()) {
      LOG.warn(
          "finetune-genes: {} of the genes in {} are not in the vocabulary {} and are left out:"
              + " {}",
          unknown.size(),
          location,
          vocabulary.location(),
          String.join(", ", unknown.subList(0, Math.min(20, unknown.size())))
              + (unknown.size() > 20 ? ", ..." : ""));
    }
    return new GeneClasses(List.copyOf(named.keySet()), tokens, List.copyOf(unknown));
  }

  int classes() {
    return names.size();
  }

  /** Every class's gene count. */
  Map<String, Integer> sizes() {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int c = 0; c < names.size(); c++) {
      out.put(names.get(c), tokens.get(c).length);
    }
    return out;
  }

  private static byte[] bytes(String location, Configuration hadoop) {
    try {
      Path p = new Path(location);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.exists(p) || !fs.getFileStatus(p).isFile()) {
        throw UserException.of(
            "--gene-classes %s is not a file: give a .pkl, .json or two-column table of genes"
                + " and their classes",
            location);
      }
      try (InputStream in = fs.open(p)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw UserException.because(
          e, "--gene-classes %s cannot be read: %s", location, e.getMessage());
    }
  }

  private static Map<String, List<String>> fromPickle(String location, byte[] content) {
    Object top =
        DictionaryFileReader.unpickle(
            new ByteArrayInputStream(content),
            location,
            "A gene class file must be a plain dict of class names to lists of genes, as"
                + " upstream's gene_class_dict");
    if (!(top instanceof Map<?, ?> map)) {
      throw UserException.of(
          "--gene-classes %s holds a %s, not a dict of class names to lists of genes",
          location, top == null ? "None" : top.getClass().getSimpleName());
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = String.valueOf(e.getKey());
      Object v = e.getValue();
      Collection<?> genes =
          v instanceof Collection<?> c ? c : v instanceof Object[] a ? List.of(a) : null;
      if (genes == null) {
        throw UserException.of(
            "--gene-classes %s: class '%s' holds a %s, not a list of genes",
            location, name, v == null ? "None" : v.getClass().getSimpleName());
      }
      out.put(name, genes.stream().map(String::valueOf).toList());
    }
    return out;
  }

  private static Map<String, List<String>> fromJson(String location, byte[] content) {
    JsonObject top;
    try {
      JsonElement e = JsonParser.parseString(new String(content, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw UserException.of(
            "--gene-classes %s: expected a JSON object of class names to lists of genes", location);
      }
      top = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw UserException.because(
          e, "--gene-classes %s is not valid JSON: %s", location, e.getMessage());
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : top.entrySet()) {
      if (!e.getValue().isJsonArray()) {
        throw UserException.of(
            "--gene-classes %s: class '%s' is not a list of genes", location, e.getKey());
      }
      List<String> genes = new ArrayList<>();
      e.getValue().getAsJsonArray().forEach(g -> genes.add(g.getAsString()));
      out.put(e.getKey(), genes);
    }
    return out;
  }

  private static Map<String, List<String>> fromTable(String location, String text) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split(line.contains("\t") ? "\t" : ",", -1);
      if (out.isEmpty() && HEADERS.contains(fields[0].strip().toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (fields.length < 2 || fields[0].isBlank() || fields[1].isBlank()) {
        throw UserException.of(
            "--gene-classes %s line %d (%s): expected a gene and its class, separated by a"
                + " comma or a tab",
            location, i + 1, line);
      }
      out.computeIfAbsent(fields[1].strip(), k -> new ArrayList<>()).add(fields[0].strip());
    }
    return out;
  }
}
