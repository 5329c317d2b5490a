package org.cellspark.spark;

import static org.apache.spark.sql.functions.array_max;
import static org.apache.spark.sql.functions.array_min;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.exists;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.cellspark.infer.TokenProfile;
import org.cellspark.vocab.Vocabulary;

/** A token table's {@link TokenProfile}, in one aggregation over its tokens column. */
public final class TokenProfiles {
  private TokenProfiles() {}

  /**
   * @param idColumn the column that names each cell (a cell holding the smallest id, the largest,
   *     and a null is named in refusals), or null; ignored where the table has no such column
   * @param vocabulary the vocabulary the tokens were made with, or null when unknown (then only the
   *     data is checked)
   */
  public static TokenProfile of(
      Dataset<Row> cells, String column, String idColumn, Vocabulary vocabulary) {
    Column ids = col(column);
    boolean named = idColumn != null && Arrays.asList(cells.columns()).contains(idColumn);
    Column name = named ? col(idColumn).cast("string") : lit(null).cast("string");
    int cls = vocabulary == null ? -1 : vocabulary.clsId().orElse(-1);
    Column hasNull = exists(ids, Column::isNull);
    Row r =
        cells
            .where(ids.isNotNull().and(size(ids).gt(0)))
            .agg(
                count(lit(1)),
                max(size(ids)),
                max(array_max(ids)),
                sum(when(element_at(ids, 1).equalTo(cls), 1).otherwise(0)),
                min(array_min(ids)),
                min_by(name, array_min(ids)),
                max_by(name, array_max(ids)),
                sum(when(hasNull, 1).otherwise(0)),
                max_by(name, hasNull))
            .first();
    long n = r.getLong(0);
    return new TokenProfile(
        n,
        n == 0 ? 0 : r.getInt(1),
        n == 0
            ? TokenProfile.IdRange.of(0, 0)
            : new TokenProfile.IdRange(
                r.getInt(4),
                r.getString(5),
                r.getInt(2),
                r.getString(6),
                r.getLong(7),
                r.getLong(7) == 0 ? null : r.getString(8)),
        n == 0 ? 0 : r.getLong(3),
        vocabulary == null ? -1 : vocabulary.size(),
        vocabulary != null && vocabulary.hasClsAndEos());
  }
}
