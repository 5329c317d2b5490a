package org.cellspark.jobs.genes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.NamedLists;
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
    return resolve(location, parse(location, file(location).bytes(hadoop)), vocabulary);
  }

  private static NamedLists file(String location) {
    return new NamedLists(
        location,
        "--gene-classes",
        "a dict of class names to lists of genes, as upstream's gene_class_dict",
        "a gene and its class");
  }

  /** Every class's genes as named in the file ({@code content}, its bytes). */
  static Map<String, List<String>> parse(String location, byte[] content) {
    Map<String, List<String>> classes = file(location).parse(content, HEADERS, Set.of());
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
}
