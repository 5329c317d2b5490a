package org.cellspark.jobs.tokenize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An input's gene symbols mapped to gene IDs through the vocabulary's gene name dictionary: the
 * exact symbol first, then its upper-case form. Matching by case maps another organism's same-named
 * genes (mouse Cd3e onto human CD3E); the tokenizer refuses that unless asked ({@link
 * #anotherOrganismsStyle}, {@code --cross-species}). Columns whose symbols are unknown are left
 * out; columns that share a symbol (or whose symbols are aliases of one gene) land on the same gene
 * ID, so the tokenizer sums them, as it sums columns sharing an Ensembl ID.
 *
 * @param ids per column: the gene ID, or null when the symbol is unknown
 * @param matched columns whose symbol was found
 * @param unmatched columns whose symbol was not found (or is empty)
 * @param duplicated columns whose symbol repeats an earlier column's (summed with it)
 * @param unmatchedExamples up to 10 unknown symbols
 * @param duplicatedExamples up to 10 repeated symbols
 * @param byCase columns whose symbol was found only once upper-cased (another organism's style,
 *     e.g. mouse Cd3e for human CD3E, or a lower-cased copy)
 * @param byCaseExamples up to 10 of those symbols
 */
public record SymbolMatch(
    String[] ids,
    int matched,
    int unmatched,
    int duplicated,
    List<String> unmatchedExamples,
    List<String> duplicatedExamples,
    int byCase,
    List<String> byCaseExamples) {

  static SymbolMatch of(String[] symbols, Map<String, String> symbolToId) {
    Map<String, String> upper = new HashMap<>();
    symbolToId.forEach((s, id) -> upper.putIfAbsent(s.toUpperCase(Locale.ROOT), id));
    String[] ids = new String[symbols.length];
    Map<String, Integer> seen = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    List<String> repeated = new ArrayList<>();
    List<String> cased = new ArrayList<>();
    int matched = 0;
    int byCase = 0;
    int duplicated = 0;
    for (int c = 0; c < symbols.length; c++) {
      String s = symbols[c] == null ? "" : symbols[c].trim();
      String id = s.isEmpty() ? null : symbolToId.get(s);
      if (id == null && !s.isEmpty()) {
        id = upper.get(s.toUpperCase(Locale.ROOT));
        if (id != null) {
          byCase++;
          if (cased.size() < 10) {
            cased.add(s);
          }
        }
      }
      ids[c] = id;
      if (id == null) {
        if (unknown.size() < 10) {
          unknown.add(s.isEmpty() ? "(empty)" : s);
        }
        continue;
      }
      matched++;
      if (seen.merge(s, 1, Integer::sum) > 1) {
        duplicated++;
        if (repeated.size() < 10 && !repeated.contains(s)) {
          repeated.add(s);
        }
      }
    }
    return new SymbolMatch(
        ids,
        matched,
        symbols.length - matched,
        duplicated,
        List.copyOf(unknown),
        List.copyOf(repeated),
        byCase,
        List.copyOf(cased));
  }

  /** Columns whose symbol matched as written. */
  int matchedExactly() {
    return matched - byCase;
  }

  /**
   * Whether the symbols are evidently another organism's than the dictionary's: more of them match
   * only once upper-cased than as written (mouse and rat write Cd3e where human writes CD3E;
   * zebrafish writes cd3e).
   */
  boolean anotherOrganismsStyle() {
    return byCase > matchedExactly();
  }

  /** How the symbols matched by case are written, for messages. */
  String style() {
    long lower = byCaseExamples.stream().filter(x -> x.equals(x.toLowerCase(Locale.ROOT))).count();
    return lower * 2 > byCaseExamples.size()
        ? "in lower case, as zebrafish symbols are (or as a tool lower-cased them)"
        : "with only a first capital, as mouse and rat symbols are";
  }

  /** For the job summary. */
  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("symbols_matched", matched);
    m.put("symbols_unmatched", unmatched);
    m.put("symbols_duplicated", duplicated);
    m.put("symbols_matched_exactly", matchedExactly());
    m.put("symbols_matched_by_upper_case", byCase);
    m.put("unmatched_examples", unmatchedExamples);
    m.put("duplicated_examples", duplicatedExamples);
    return m;
  }
}
