package org.cellspark.io.cells;

import java.util.ArrayList;
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
    List<String> holding = columnsHoldingEnsembl(columns, read);
    throw UserException.of(
        "Input %s: gene ID column '%s' not found in '%s' (columns: %s), and its index does not"
            + " hold Ensembl IDs (first: %s). %s",
        file,
        column,
        table,
        columns.isEmpty() ? "none" : String.join(", ", columns),
        String.join(", ", List.of(ids).subList(0, Math.min(3, ids.length))),
        holding.isEmpty()
            ? "Pass --gene-id-column with the column that holds Ensembl gene IDs."
            : String.format(
                Locale.ROOT,
                "%s Ensembl gene IDs: pass --gene-id-column %s.",
                holding.size() == 1
                    ? "Column '" + holding.get(0) + "' holds"
                    : "Columns " + String.join(", ", holding) + " hold",
                holding.size() == 1 ? holding.get(0) : "with one of them"));
  }

  /**
   * The columns whose values look like Ensembl gene IDs (CELLxGENE Census keeps them in feature_id,
   * scanpy's read_10x_h5 in gene_ids), to name in a refusal. Gene tables are small; a column that
   * cannot be read as strings is passed over.
   */
  private static List<String> columnsHoldingEnsembl(
      List<String> columns, Function<String, String[]> read) {
    List<String> out = new ArrayList<>();
    for (String c : columns) {
      try {
        if (looksLikeEnsembl(read.apply(c))) {
          out.add(c);
        }
      } catch (UserException e) {
        // an encoding that is not one value per gene: not where IDs are
      }
    }
    return out;
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
