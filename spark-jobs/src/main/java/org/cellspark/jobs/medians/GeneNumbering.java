package org.cellspark.jobs.medians;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.cellspark.io.AtlasInput;

/**
 * Genes numbered once on the driver: every ID of every input (only the listed ones with {@code
 * --genes}), sorted; executors see, per input, each counts column's gene number (-1: no gene, or
 * not kept).
 *
 * @param geneOf gene ID (upper case, as the tokenizer maps them) by number
 * @param slots per input (its source URI): each column's gene number
 * @param symbolOf a symbol for each gene ID that has one (the first input's, a listed one first)
 */
record GeneNumbering(String[] geneOf, Map<String, int[]> slots, Map<String, String> symbolOf) {

  static GeneNumbering of(List<AtlasInput> inputs, Map<String, String> listed) {
    Map<String, String[]> idsBySource = new HashMap<>();
    Map<String, String> symbolOf = new TreeMap<>();
    if (listed != null) {
      listed.forEach(
          (id, symbol) -> {
            if (symbol != null) {
              symbolOf.put(id, symbol);
            }
          });
    }
    for (AtlasInput in : inputs) {
      String[] ids = upperCase(in.geneKeys());
      idsBySource.put(in.file().uri(), ids);
      addSymbols(ids, in.symbols(), symbolOf);
    }
    TreeSet<String> all = new TreeSet<>();
    idsBySource
        .values()
        .forEach(
            a ->
                Arrays.stream(a)
                    .filter(Objects::nonNull)
                    .filter(g -> listed == null || listed.containsKey(g))
                    .forEach(all::add));
    String[] geneOf = all.toArray(new String[0]);
    Map<String, Integer> number = new HashMap<>();
    for (int i = 0; i < geneOf.length; i++) {
      number.put(geneOf[i], i);
    }
    Map<String, int[]> slots = new HashMap<>();
    idsBySource.forEach(
        (source, a) ->
            slots.put(
                source,
                Arrays.stream(a)
                    .mapToInt(g -> g == null ? -1 : number.getOrDefault(g, -1))
                    .toArray()));
    return new GeneNumbering(geneOf, slots, symbolOf);
  }

  int genes() {
    return geneOf.length;
  }

  /**
   * An input's symbols, where it gives them. A symbol that is its gene's ID again (an AnnData index
   * of IDs, a features.tsv with the ID twice) is no symbol.
   */
  private static void addSymbols(String[] ids, String[] symbols, Map<String, String> symbolOf) {
    for (int i = 0; symbols != null && i < ids.length; i++) {
      String s = symbols[i];
      if (ids[i] != null && s != null && !s.isBlank() && !s.trim().equalsIgnoreCase(ids[i])) {
        symbolOf.putIfAbsent(ids[i], s);
      }
    }
  }

  private static String[] upperCase(String[] ids) {
    String[] out = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i] == null || ids[i].isBlank() ? null : ids[i].trim().toUpperCase(Locale.ROOT);
    }
    return out;
  }
}
