package org.cellspark.jobs.medians;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import net.razorvine.pickle.Pickler;
import org.cellspark.jobs.common.StagedOutput;

/**
 * A complete Geneformer vocabulary folder, as the tokenizer (and Geneformer itself) reads it:
 *
 * <pre>
 * token_dictionary.pkl         &lt;pad&gt; 0, &lt;mask&gt; 1, [&lt;cls&gt; 2, &lt;eos&gt; 3,]
 *                              then genes by Ensembl ID
 * gene_median_dictionary.pkl   gene -> non-zero median
 * gene_name_id_dict.pkl        symbol -> gene (when symbols are known)
 * tsv/                         the same dictionaries as two-column TSV (a vocabulary folder too)
 * </pre>
 *
 * Pickles are plain dicts of str to int / float / str (protocol 2), which Python's pickle loads
 * without Geneformer installed. Genes are ordered by Ensembl ID, as in Geneformer's V2 dictionary.
 */
final class VocabularyWriter {
  private VocabularyWriter() {}

  /**
   * @return the token dictionary written
   */
  static Map<String, Integer> write(
      StagedOutput out,
      SortedMap<String, Double> medians,
      Map<String, String> symbolToGene,
      boolean specialTokens)
      throws IOException {
    Map<String, Integer> tokens = new LinkedHashMap<>();
    tokens.put("<pad>", 0);
    tokens.put("<mask>", 1);
    if (specialTokens) {
      tokens.put("<cls>", 2);
      tokens.put("<eos>", 3);
    }
    for (String gene : medians.keySet()) {
      tokens.put(gene, tokens.size());
    }
    write(out, "token_dictionary", tokens);
    write(out, "gene_median_dictionary", medians);
    if (!symbolToGene.isEmpty()) {
      write(out, "gene_name_id_dict", symbolToGene);
    }
    return tokens;
  }

  private static void write(StagedOutput out, String stem, Map<String, ?> dict) throws IOException {
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    new Pickler().dump(dict, pickle);
    out.writeBytes(stem + ".pkl", pickle.toByteArray());
    StringBuilder tsv = new StringBuilder("# key\tvalue\n");
    dict.forEach(
        (k, v) ->
            tsv.append(k)
                .append('\t')
                .append(v instanceof Double d ? String.format(Locale.ROOT, "%s", d) : v)
                .append('\n'));
    out.writeText("tsv/" + stem + ".tsv", tsv.toString());
  }
}
