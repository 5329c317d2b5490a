package org.cellspark.jobs.common;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.cellspark.vocab.Vocabulary;

/** Token → gene ID and symbol, small enough to ship to every task (one string pair per token). */
public final class GeneNames implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String[] geneIds;
  private final String[] symbols;

  public GeneNames(Vocabulary vocabulary) {
    geneIds = new String[vocabulary.size()];
    symbols = new String[vocabulary.size()];
    vocabulary
        .tokenIds()
        .forEach(
            (gene, token) -> {
              if (token >= 0 && token < geneIds.length && !vocabulary.isSpecialToken(gene)) {
                geneIds[token] = gene;
              }
            });
    Map<String, String> first = new HashMap<>();
    // Several symbols can name one gene; take the alphabetically first, so runs agree.
    vocabulary
        .symbolToId()
        .forEach(
            (symbol, gene) -> first.merge(gene, symbol, (a, b) -> a.compareTo(b) <= 0 ? a : b));
    for (int t = 0; t < geneIds.length; t++) {
      symbols[t] = geneIds[t] == null ? null : first.get(geneIds[t]);
    }
  }

  public String geneId(int token) {
    return token >= 0 && token < geneIds.length ? geneIds[token] : null;
  }

  public String symbol(int token) {
    return token >= 0 && token < symbols.length ? symbols[token] : null;
  }

  public String[] geneIds(int[] tokens) {
    String[] out = new String[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      out[i] = geneId(tokens[i]);
    }
    return out;
  }

  public String[] symbols(int[] tokens) {
    String[] out = new String[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      out[i] = symbol(tokens[i]);
    }
    return out;
  }
}
