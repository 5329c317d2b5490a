package org.cellspark.io.cells;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.cellspark.error.UserException;

/** What gene identifiers look like, for readers deciding where an input keeps its gene IDs. */
public final class GeneIds {
  private static final Pattern ENSEMBL = Pattern.compile("^ENS[A-Z]*G\\d{6,}(\\.\\d+)?$");

  private GeneIds() {}

  /**
   * An AnnData gene table's IDs: its {@code column} when it has one ({@code read} gives it); else
   * its {@code index} when that holds Ensembl IDs (CELLxGENE keeps them there); else refused,
   * naming the table's columns.
   *
   * @param file how messages name the input
   * @param table the gene table's path ("var", "raw/var")
   */
  public static String[] columnOrIndex(
      String file,
      String table,
      String column,
      List<String> columns,
      Function<String, String[]> read,
      Supplier<String[]> index) {
    if (column != null && columns.contains(column)) {
      return read.apply(column);
    }
    String[] ids = index.get();
    if (looksLikeEnsembl(ids)) {
      return ids;
    }
    throw UserException.of(
        "Input %s: gene ID column '%s' not found in '%s' (columns: %s), and its index does not"
            + " hold Ensembl IDs (first: %s). Pass --gene-id-column with the column that holds"
            + " Ensembl gene IDs.",
        file,
        column,
        table,
        columns.isEmpty() ? "none" : String.join(", ", columns),
        String.join(", ", List.of(ids).subList(0, Math.min(3, ids.length))));
  }

  /**
   * Whether most of the first thousand of {@code ids} are Ensembl gene IDs (any species, with or
   * without a version): an AnnData gene index that holds them (CELLxGENE's) is where the IDs are.
   */
  public static boolean looksLikeEnsembl(String[] ids) {
    if (ids.length == 0) {
      return false;
    }
    int hits = 0;
    int checked = Math.min(ids.length, 1000);
    for (int i = 0; i < checked; i++) {
      if (ids[i] != null && ENSEMBL.matcher(ids[i].toUpperCase(Locale.ROOT)).matches()) {
        hits++;
      }
    }
    return hits * 2 > checked;
  }
}
