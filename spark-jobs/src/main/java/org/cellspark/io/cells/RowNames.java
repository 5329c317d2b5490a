package org.cellspark.io.cells;

import org.cellspark.error.UserException;

/**
 * An AnnData dataframe's row names (obs_names: cell IDs; var_names: gene names or IDs) as a reader
 * found them. Since anndata 0.13 with pandas 3 they may be a nullable string array, which can hold
 * a missing name; a cell or gene without a name is refused, naming the row, rather than keyed by
 * null.
 */
public final class RowNames {
  private RowNames() {}

  /**
   * {@code values} (rows {@code first ...} of dataframe {@code frame} in {@code input}; null =
   * missing) as strings.
   */
  public static String[] of(Object[] values, long first, String input, String frame) {
    String[] out = new String[values.length];
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        String axis = frame.endsWith("var") ? "var" : "obs";
        throw UserException.of(
            "%s: row %,d of '%s' has no name (its index value is missing: NaN in pandas); every"
                + " cell needs an ID and every gene a name. Fill the missing ones (in Python:"
                + " adata.%s_names = adata.%s_names.fillna(\"unnamed\");"
                + " adata.%s_names_make_unique()) and write the file again",
            input, first + i, frame, axis, axis, axis);
      }
      out[i] = values[i].toString();
    }
    return out;
  }
}
