package org.cellspark.jobs.tokenize;

/** How {@code cellspark tokenize} writes its token table. */
public enum OutputFormat {
  /** A Parquet table: what every Cellspark job reads, and Spark, pandas and datasets' Parquet. */
  PARQUET,
  /**
   * A Hugging Face dataset in {@code save_to_disk}'s layout: what upstream Geneformer's classes
   * open with {@code load_from_disk} (EmbExtractor, InSilicoPerturber, Classifier), written by the
   * executors in parallel, with no conversion step in Python. Cellspark's jobs read it too.
   */
  DATASET
}
