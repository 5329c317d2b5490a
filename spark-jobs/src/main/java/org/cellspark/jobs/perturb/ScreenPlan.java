package org.cellspark.jobs.perturb;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.xxhash64;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.CellSelection;
import scala.collection.Seq;

/**
 * The cells of a screen and its work units, decided on the driver from one pass over the tokens:
 * each cell's perturbation count (cells with none are not screened, as upstream drops cells that
 * lack the listed genes), then the optional sample, then units in cell_id order.
 */
final class ScreenPlan {
  /**
   * A screened cell; {@code tokenHash} ties checkpoints to the exact tokens they were made from.
   */
  record Cell(String cellId, int length, int perturbations, long tokenHash) {}

  private final List<Cell> cells;
  private final List<WorkUnit> units;

  private ScreenPlan(List<Cell> cells, List<WorkUnit> units) {
    this.cells = cells;
    this.units = units;
  }

  List<Cell> cells() {
    return cells;
  }

  List<WorkUnit> units() {
    return units;
  }

  long perturbations() {
    return cells.stream().mapToLong(Cell::perturbations).sum();
  }

  static ScreenPlan of(
      Dataset<Row> cells, PerturbationPlanner planner, long maxCells, long seed, int hidden) {
    UserDefinedFunction count =
        functions.udf(
            (UDF1<Seq<Integer>, Integer>)
                ids -> ids == null ? 0 : planner.slots(toInts(ids)).length,
            DataTypes.IntegerType);
    Dataset<Row> screened =
        cells
            .withColumn("_perturbations", count.apply(col("input_ids")))
            .where(col("_perturbations").gt(0));
    screened = CellSelection.sample(screened, maxCells, seed);
    List<Cell> out = new ArrayList<>();
    for (Row r :
        screened
            .select(
                col("cell_id").cast("string"),
                size(col("input_ids")),
                col("_perturbations"),
                xxhash64(col("input_ids")))
            .collectAsList()) {
      if (r.isNullAt(0)) {
        throw UserException.of(
            "A cell of the token table has no cell_id; perturbation results are keyed by cell_id,"
                + " so every cell needs one (tokenize with an obs column of unique IDs)");
      }
      out.add(new Cell(r.getString(0), r.getInt(1), r.getInt(2), r.getLong(3)));
    }
    out.sort(Comparator.comparing(Cell::cellId));
    for (int i = 1; i < out.size(); i++) {
      if (out.get(i).cellId().equals(out.get(i - 1).cellId())) {
        throw UserException.of(
            "cell_id '%s' appears more than once among the selected cells; perturbation results are"
                + " keyed by cell_id, so IDs must be unique (filter the duplicates or re-tokenize"
                + " with unique IDs)",
            out.get(i).cellId());
      }
    }
    List<WorkPlan.CellWork> work =
        out.stream()
            .map(c -> new WorkPlan.CellWork(c.cellId(), c.length(), c.perturbations()))
            .toList();
    return new ScreenPlan(List.copyOf(out), WorkPlan.units(work, hidden));
  }

  /**
   * SHA-256 over {@code context} (options, model, vocabulary) and every unit with its cell's
   * tokens.
   */
  String fingerprint(String context) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(context.getBytes(StandardCharsets.UTF_8));
      int c = 0;
      for (WorkUnit u : units) {
        while (!cells.get(c).cellId().equals(u.cellId())) {
          c++;
        }
        d.update(
            String.format(
                    Locale.ROOT,
                    "\n%d %s %d %d %d",
                    u.id(),
                    u.cellId(),
                    u.from(),
                    u.to(),
                    cells.get(c).tokenHash())
                .getBytes(StandardCharsets.UTF_8));
      }
      return "sha256:" + HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new Bug("SHA-256 is missing from this JDK", e);
    }
  }

  static int[] toInts(Seq<Integer> ids) {
    int[] out = new int[ids.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ids.apply(i);
    }
    return out;
  }
}
