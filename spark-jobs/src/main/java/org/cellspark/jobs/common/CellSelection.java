package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exists;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cellspark.error.UserException;
import org.cellspark.vocab.Vocabulary;

/**
 * The cell selection model jobs share (upstream's filter_data and max_ncells): filters, then an
 * optional deterministic sample.
 */
public final class CellSelection {
  private CellSelection() {}

  /** {@code column=v1,v2}: keep rows whose column (as a string) is one of the values. */
  public record Filter(String column, List<String> values) implements Serializable {
    public static Filter parse(String spec) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw UserException.of("--filter '%s' must be column=value[,value...]", spec);
      }
      return new Filter(
          spec.substring(0, eq).trim(),
          Arrays.stream(spec.substring(eq + 1).split(",")).map(String::trim).toList());
    }

    @Override
    public String toString() {
      return column + "=" + String.join(",", values);
    }
  }

  /** Rows passing every filter. */
  public static Dataset<Row> filter(Dataset<Row> cells, List<Filter> filters) {
    List<String> columns = Arrays.asList(cells.columns());
    for (Filter f : filters) {
      requireColumn(columns, f.column(), "--filter");
      cells = cells.where(col(f.column()).cast("string").isin(f.values().toArray()));
    }
    return cells;
  }

  /**
   * The seed wherever Cellspark samples or splits, unless a job is given another: upstream's (its
   * embedder, perturber, classifier and statistics seed their shuffles, samples and splits with
   * 42).
   */
  public static final long DEFAULT_SEED = 42;

  /**
   * At most {@code maxCells} cells: those with the smallest seeded hash of their {@code cell_id},
   * the same sample whatever the partitioning or row order (upstream shuffles with seed 42 and
   * takes the first N). {@code maxCells} 0 keeps every cell.
   */
  public static Dataset<Row> sample(Dataset<Row> cells, long maxCells, long seed) {
    if (maxCells <= 0) {
      return cells;
    }
    requireColumn(Arrays.asList(cells.columns()), "cell_id", "--max-cells (samples by cell_id)");
    return cells
        .orderBy(xxhash64(col("cell_id"), lit(seed)), col("cell_id"))
        .limit((int) Math.min(maxCells, Integer.MAX_VALUE));
  }

  /**
   * The cells holding at least one gene token (any token but the vocabulary's special ones): a cell
   * of {@code <cls>} and {@code <eos>} alone has nothing to mean-pool or to mask, and training on
   * it would divide by zero or have no loss.
   */
  public static Dataset<Row> withGenes(Dataset<Row> cells, Vocabulary vocabulary) {
    Object[] specials =
        vocabulary.tokenIds().entrySet().stream()
            .filter(e -> vocabulary.isSpecialToken(e.getKey()))
            .map(e -> (Object) e.getValue())
            .toArray();
    return cells.filter(exists(col("input_ids"), t -> not(t.isin(specials))));
  }

  public static void requireColumn(List<String> columns, String name, String option) {
    if (!columns.contains(name)) {
      throw UserException.of(
          "%s: the token table has no column '%s' (columns: %s)",
          option, name, String.join(", ", columns));
    }
  }
}
