package org.cellspark.jobs.tokenize;

/**
 * What an input's gene table holds: Ensembl gene IDs (the vocabulary's keys), or gene symbols,
 * which are mapped to IDs through the vocabulary's gene name dictionary ({@code
 * gene_name_id_dict}).
 */
public enum GeneIdType {
  ENSEMBL,
  SYMBOL
}
