package org.cellspark.jobs.stats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.ParquetFooters;
import org.cellspark.jobs.common.StagedOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `cellspark stats`: upstream's InSilicoPerturberStats over a `cellspark perturb` output. Reads the
 * screen's summary and tables, computes the mode's table ({@link GoalStateShift}, {@link VsNull},
 * {@link MixtureModel}, {@link AggregateData}, {@link AggregateGeneShifts}) and writes it twice, as
 * {@code <mode>.csv} with upstream's column names (for Geneformer's notebooks and spreadsheets) and
 * as {@code <mode>/} Parquet, with {@code _cellspark.json}; all staged and moved into place only
 * when complete.
 */
public final class StatsJob {
  private static final Logger LOG = LoggerFactory.getLogger(StatsJob.class);

  private StatsJob() {}

  public static StatsResult run(SparkSession spark, StatsOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    Screen screen = Screen.read(spark, o.input(), "--input");
    Screen none = o.nullInput() == null ? null : Screen.read(spark, o.nullInput(), "--null");
    List<String> inputs = new ArrayList<>(List.of(o.input()));
    if (o.nullInput() != null) {
      inputs.add(o.nullInput());
    }
    StagedOutput out = StagedOutput.prepare(o.output(), o.overwrite(), hadoop, inputs);
    try (JobScope job = JobScope.start(sc, "cellspark stats", out)) {
      sc.setJobDescription("stats: " + o.mode().label());
      StatsTable table =
          switch (o.mode()) {
            case GOAL_STATE_SHIFT -> GoalStateShift.compute(spark, screen, o);
            case VS_NULL -> VsNull.compute(spark, screen, none, o);
            case MIXTURE_MODEL -> MixtureModel.compute(spark, screen);
            case AGGREGATE_DATA -> AggregateData.compute(screen);
            case AGGREGATE_GENE_SHIFTS -> AggregateGeneShifts.compute(screen);
          };
      String name = o.mode().tableName();
      sc.setJobDescription("stats: write " + name + "/ and " + name + ".csv");
      // Computed once, written twice; both writers keep the rows' order (Parquet by part file).
      Dataset<Row> rows = table.rows().persist();
      long count;
      try {
        (table.small() ? rows.coalesce(1) : rows)
            .write()
            .parquet(out.stagingLocation() + "/" + name);
        writeCsv(rows, out.stagingLocation(), name, hadoop);
        count = ParquetFooters.rowCount(hadoop, out.stagingLocation() + "/" + name);
      } finally {
        rows.unpersist();
      }
      sc.setJobDescription(null);

      double seconds = (System.nanoTime() - start) / 1e9;
      JobSummary summary =
          new JobSummary("stats")
              .put("options", options(o))
              .put("screen", screen.describe())
              .put(
                  "table",
                  Map.of("name", name, "rows", count, "csv", name + ".csv", "parquet", name + "/"))
              .put("details", table.details())
              .put("timings", Map.of("total_seconds", Math.round(seconds * 1000) / 1000.0));
      job.commit(out, summary);
      LOG.info(
          String.format(
              Locale.ROOT,
              "stats: %s, %,d rows in %.1f s to %s",
              o.mode().label(),
              count,
              seconds,
              out.targetLocation()));
      return new StatsResult(out.targetLocation(), name, count, seconds, summary.asMap());
    }
  }

  /**
   * One CSV file with a header, rows in the table's order: Spark writes a single part file
   * (coalesce keeps the sorted partitions in order), which is renamed to {@code <name>.csv}.
   */
  private static void writeCsv(
      Dataset<Row> table, String staging, String name, Configuration hadoop) {
    Path tmp = new Path(staging, "_" + name + ".csv.tmp");
    table
        .coalesce(1)
        .write()
        .option("header", true)
        .option("emptyValue", "")
        .option("nullValue", "")
        .csv(tmp.toString());
    try {
      FileSystem fs = tmp.getFileSystem(hadoop);
      // Listed, not globbed: the output's own name may hold glob characters.
      FileStatus[] parts = fs.listStatus(tmp, p -> p.getName().startsWith("part-"));
      if (parts == null || parts.length != 1) {
        throw new Bug(
            "expected one CSV part file in "
                + tmp
                + ", found "
                + (parts == null ? 0 : parts.length));
      }
      if (!fs.rename(parts[0].getPath(), new Path(staging, name + ".csv"))) {
        throw UserException.of(
            "Cannot move %s into place in %s; check permissions", name + ".csv", staging);
      }
      fs.delete(tmp, true);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot write %s.csv into %s: %s", name, staging, e.getMessage());
    }
  }

  private static Map<String, Object> options(StatsOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("mode", o.mode().label());
    m.put("null", o.nullInput());
    m.put("null_pool_size", o.poolSize());
    m.put("seed", o.seed());
    m.put("fdr", o.fdrThreshold());
    return m;
  }
}
