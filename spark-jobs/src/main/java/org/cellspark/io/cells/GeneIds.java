package org.cellspark.io.cells;

import java.util.Locale;
import java.util.regex.Pattern;

/** What gene identifiers look like, for readers deciding where an input keeps its gene IDs. */
public final class GeneIds {
  private static final Pattern ENSEMBL = Pattern.compile("^ENS[A-Z]*G\\d{6,}(\\.\\d+)?$");

  private GeneIds() {}

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
