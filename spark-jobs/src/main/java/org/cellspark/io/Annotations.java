package org.cellspark.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.ColumnKind;

/**
 * The cell annotation columns of one input (an AnnData obs, loom column attributes, Parquet
 * columns) and their kinds.
 *
 * @param what how the format calls one column, for messages: "obs column", "column attribute
 *     (col_attrs)"; null for {@link #NONE}
 * @param names every column, in the input's order
 * @param kinds the kind of each column that reads as one value per cell
 * @param unreadable why each other column cannot be read, as the refusal to give when it is asked
 *     for
 */
public record Annotations(
    String what,
    List<String> names,
    Map<String, ColumnKind> kinds,
    Map<String, UserException> unreadable) {

  /** A format that keeps no cell annotations (Matrix Market, Cell Ranger). */
  public static final Annotations NONE = new Annotations(null, List.of(), Map.of(), Map.of());

  public static Annotations of(String what, Map<String, ColumnKind> kinds) {
    return new Annotations(what, List.copyOf(kinds.keySet()), Map.copyOf(kinds), Map.of());
  }

  /**
   * Every column of {@code names} with its kind, or with the refusal {@code kind} throws for an
   * encoding the format cannot read (given only when the column is asked for).
   */
  public static Annotations probed(
      String what, List<String> names, Function<String, ColumnKind> kind) {
    Map<String, ColumnKind> kinds = new LinkedHashMap<>();
    Map<String, UserException> unreadable = new LinkedHashMap<>();
    for (String name : names) {
      try {
        kinds.put(name, kind.apply(name));
      } catch (UserException e) {
        unreadable.put(name, e);
      }
    }
    return new Annotations(what, names, kinds, unreadable);
  }

  public boolean kept() {
    return what != null;
  }

  public boolean has(String name) {
    return kinds.containsKey(name) || unreadable.containsKey(name);
  }

  /** The column's kind; refuses a column that cannot be read. Null when absent. */
  public ColumnKind kind(String name) {
    UserException e = unreadable.get(name);
    if (e != null) {
      throw e;
    }
    return kinds.get(name);
  }
}
