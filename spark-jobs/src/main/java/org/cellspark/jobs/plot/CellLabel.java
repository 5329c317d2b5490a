package org.cellspark.jobs.plot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;

/**
 * One label column's values for the plotted cells, as a plot colours them: numbers on a colour ramp
 * (as scanpy colours a numeric obs column), anything else (text, booleans, dates) as categories in
 * natural order (cluster 2 before cluster 10), one colour each. Missing values are a category of
 * their own, drawn last in the legend and grey.
 *
 * @param name the column
 * @param categories the values in natural order, with {@link #MISSING} last when some cells lack
 *     one; empty for numbers
 * @param category each cell's index into {@code categories}; null for numbers
 * @param number each cell's value (NaN when missing); null for categories
 */
record CellLabel(String name, List<String> categories, int[] category, double[] number) {
  static final String MISSING = "(missing)";

  /** The most values a label drawn as categories may have (a column of IDs has one per cell). */
  static final int MAX_CATEGORIES = 1_000;

  boolean numeric() {
    return number != null;
  }

  int size() {
    return numeric() ? number.length : category.length;
  }

  /** The label of the cells at {@code rows}, in that order. */
  CellLabel rows(int[] rows) {
    if (numeric()) {
      double[] picked = new double[rows.length];
      for (int i = 0; i < rows.length; i++) {
        picked[i] = number[rows[i]];
      }
      return new CellLabel(name, categories, null, picked);
    }
    int[] picked = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      picked[i] = category[rows[i]];
    }
    return new CellLabel(name, categories, picked, null);
  }

  /** Refuses a column no plot can colour by, naming it and its type. */
  static void requireColourable(String column, DataType type, String input) {
    if (type instanceof ArrayType
        || type instanceof StructType
        || type instanceof MapType
        || type instanceof BinaryType) {
      throw UserException.of(
          "--labels %s: the column is %s in %s; a label to colour by must be text or a number",
          column, type.simpleString(), input);
    }
  }

  /** The label of cells whose values (in plotting order) are {@code values}. */
  static CellLabel of(String name, DataType type, List<Object> values) {
    if (type instanceof NumericType) {
      double[] number = new double[values.size()];
      for (int i = 0; i < number.length; i++) {
        Object v = values.get(i);
        number[i] = v == null ? Double.NaN : ((Number) v).doubleValue();
      }
      return new CellLabel(name, List.of(), null, number);
    }
    TreeSet<String> seen = new TreeSet<>(CellLabel::naturalOrder);
    boolean missing = false;
    for (Object v : values) {
      if (v == null) {
        missing = true;
      } else {
        seen.add(v.toString());
      }
    }
    if (seen.size() > MAX_CATEGORIES) {
      throw UserException.of(
          "--labels %s has %,d values among the drawn cells; a colour for each of more than %,d"
              + " tells nothing apart: colour by a label with fewer values (a cell type, a donor),"
              + " or --filter to fewer",
          name, seen.size(), MAX_CATEGORIES);
    }
    List<String> categories = new ArrayList<>(seen);
    if (missing) {
      categories.add(MISSING);
    }
    Map<String, Integer> index = new HashMap<>();
    for (String c : categories) {
      index.put(c, index.size());
    }
    int[] category = new int[values.size()];
    for (int i = 0; i < category.length; i++) {
      Object v = values.get(i);
      category[i] = index.get(v == null ? MISSING : v.toString());
    }
    return new CellLabel(name, List.copyOf(categories), category, null);
  }

  /**
   * Text with its runs of digits compared as numbers ("type2" before "type10", "D9" before "D10"),
   * the rest as text; strings equal that way (leading zeros) by plain order.
   */
  static int naturalOrder(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (Character.isDigit(x) && Character.isDigit(y)) {
        int ei = i;
        int ej = j;
        while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
          ei++;
        }
        while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
          ej++;
        }
        String da = a.substring(i, ei).replaceFirst("^0+(?=.)", "");
        String db = b.substring(j, ej).replaceFirst("^0+(?=.)", "");
        int c =
            da.length() != db.length()
                ? Integer.compare(da.length(), db.length())
                : da.compareTo(db);
        if (c != 0) {
          return c;
        }
        i = ei;
        j = ej;
      } else {
        if (x != y) {
          return Character.compare(x, y);
        }
        i++;
        j++;
      }
    }
    int c = Integer.compare(a.length() - i, b.length() - j);
    return c != 0 ? c : a.compareTo(b);
  }
}
