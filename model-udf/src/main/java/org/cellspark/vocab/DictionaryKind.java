package org.cellspark.vocab;

import java.util.List;

/**
 * The four dictionaries of a Geneformer vocabulary folder, by file stem. Each may carry a corpus
 * suffix: none, {@code _gc30M} (V1), {@code _gc95M} or {@code _gc104M} (V2; the two are
 * byte-identical upstream), and be a {@code .pkl} or a {@code .tsv}.
 */
public enum DictionaryKind {
  TOKENS("token_dictionary", true, "gene ID or special token -> token id"),
  MEDIANS("gene_median_dictionary", true, "gene ID -> non-zero median expression"),
  MAPPING("ensembl_mapping_dict", false, "input gene ID (upper case) -> vocabulary gene ID"),
  NAMES("gene_name_id_dict", false, "gene symbol -> gene ID");

  public static final List<String> SUFFIXES = List.of("", "_gc30M", "_gc95M", "_gc104M");
  public static final List<String> EXTENSIONS = List.of(".pkl", ".tsv");

  private final String stem;
  private final boolean required;
  private final String content;

  DictionaryKind(String stem, boolean required, String content) {
    this.stem = stem;
    this.required = required;
    this.content = content;
  }

  public String stem() {
    return stem;
  }

  public boolean required() {
    return required;
  }

  /** What the file maps, for messages. */
  public String content() {
    return content;
  }
}
