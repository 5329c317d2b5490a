package org.cellspark.jobs.perturb;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.ModelCheck;
import org.cellspark.infer.TokenProfile;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.GeneList;
import org.cellspark.jobs.common.GeneNames;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.ModelFingerprint;
import org.cellspark.jobs.common.ParquetFooters;
import org.cellspark.jobs.common.Progress;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.model.BertConfig;
import org.cellspark.perturb.PerturbationType;
import org.cellspark.spark.FaultInjection;
import org.cellspark.spark.ResolvedModel;
import org.cellspark.spark.TokenProfiles;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code cellspark perturb}: an in silico perturbation screen over a token table.
 *
 * <ol>
 *   <li>Plan (driver, one pass over the tokens): the cells to screen and how many perturbations
 *       each gets, cut into work units of similar estimated cost ({@link WorkPlan}).
 *   <li>Screen: units go to tasks by cost (LPT), each task runs its units through the model ({@link
 *       PerturbWorker}) and checkpoints every finished unit into the work folder ({@link WorkDir}).
 *       A stopped run, started again, skips the finished units.
 *   <li>Tables: cell_shifts/ (and gene_shifts/, pickles) are built from the checkpoints alone, then
 *       the output is committed and the work folder removed.
 * </ol>
 */
public final class PerturbJob {
  private static final Logger LOG = LoggerFactory.getLogger(PerturbJob.class);

  private PerturbJob() {}

  public static PerturbResult run(SparkSession spark, PerturbOptions o) {
    return TokenTable.withReaderBatches(spark, () -> runJob(spark, o));
  }

  private static PerturbResult runJob(SparkSession spark, PerturbOptions o) {
    long start = System.nanoTime();
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    TokenTable table = TokenTable.read(spark, o.input());
    Screen s = Screen.of(o, table, hadoop);
    // With --resume an existing output is judged once the plan's fingerprint is known (below).
    StagedOutput out =
        StagedOutput.prepare(
            o.output(),
            o.overwrite() || o.resume(),
            hadoop,
            o.exportPickle() == null ? List.of(o.input()) : List.of(o.input(), o.exportPickle()));
    StagedOutput pickles = o.exportPickle() == null ? null : pickleOutput(o, hadoop);
    try (JobScope job = JobScope.start(sc, "cellspark perturb", out, pickles)) {
      Dataset<Row> cells = select(table.cells(), o);
      ModelInputs model = checkModel(spark, cells, s, o);
      sc.setJobDescription("perturb: plan work units");
      ScreenPlan plan =
          ScreenPlan.of(cells, s.planner(), o.maxCells(), o.seed(), s.config().hiddenSize());
      if (plan.cells().isEmpty()) {
        throw UserException.of(
            "None of the %,d selected cells has anything to perturb: %s",
            model.cells(), nothingText(s.mode(), s.anchor(), o));
      }
      Map<String, Object> options = options(o, s.vocabularyLocation(), s.genes(), s.anchor());
      String fingerprint =
          plan.fingerprint(
              options
                  + "\n"
                  + model.fingerprint()
                  + "\n"
                  + Arrays.deepToString(model.stateVectors()));
      PerturbResult kept =
          o.resume() ? keptScreen(o, out.targetLocation(), fingerprint, hadoop, start) : null;
      if (kept != null) {
        job.succeeded();
        return kept;
      }
      WorkDir work =
          WorkDir.open(out.targetLocation(), planFile(fingerprint, out, plan, options), hadoop);
      int total = plan.units().size();
      try {
        BitSet finished = work.finished(total);
        List<WorkUnit> remaining =
            plan.units().stream().filter(u -> !finished.get(u.id())).toList();
        logPlan(o, s, plan, finished.cardinality(), work);
        Screened screened = runUnits(spark, cells, plan, remaining, s, model, work, o);
        Written written = writeTables(spark, o, s, work, out, pickles, total);
        double seconds = (System.nanoTime() - start) / 1e9;
        JobSummary summary =
            new JobSummary("perturb")
                .put("options", options)
                .put("plan", Map.of("fingerprint", fingerprint))
                .put("model", model(o, s.config(), model.fingerprint()))
                .put(
                    "vocabulary",
                    Map.of("location", s.vocabularyLocation(), "tokens", s.vocabulary().size()))
                .put("genes", genes(s.genes(), s.mode(), s.anchor()))
                .put("counts", counts(plan, total - remaining.size(), written, screened))
                .put("timings", timings(seconds, remaining, screened));
        out.writeText(StagedOutput.SUMMARY_FILE, summary.toJson());
        out.commit();
        if (pickles != null) {
          pickles.commit();
        }
        work.delete();
        job.succeeded();
        LOG.info(
            String.format(
                Locale.ROOT,
                "perturb: %,d perturbations of %,d cells in %.1f s to %s",
                written.cellShiftRows(),
                plan.cells().size(),
                seconds,
                out.targetLocation()));
        return new PerturbResult(
            out.targetLocation(),
            plan.cells().size(),
            total,
            total - remaining.size(),
            written.cellShiftRows(),
            written.geneShiftPairs(),
            seconds,
            screened.seconds(),
            screened.stragglerRatio(),
            summary.asMap());
      } catch (Exception e) { // Spark's failures reach here as undeclared SparkExceptions
        LOG.warn(
            String.format(
                Locale.ROOT,
                "perturb: stopped with %,d of %,d work units checkpointed in %s;"
                    + " run the same command again to resume from there",
                work.finished(total).cardinality(),
                total,
                work.location()));
        throw e;
      }
    }
  }

  /** Upstream's raw pickles go to a second staged output, committed with the first. */
  private static StagedOutput pickleOutput(PerturbOptions o, Configuration hadoop) {
    return StagedOutput.prepare(
        o.exportPickle(), o.overwrite() || o.resume(), hadoop, List.of(o.input(), o.output()));
  }

  /**
   * What the options and the token table decide before any cell is read: the vocabulary, the
   * model's shape, the genes to perturb and how.
   */
  private record Screen(
      String vocabularyLocation,
      Vocabulary vocabulary,
      ResolvedModel model,
      EmbeddingSettings settings,
      GeneList genes,
      int anchor,
      PerturbationPlanner.Mode mode,
      PerturbationPlanner planner,
      List<String> states) {

    static Screen of(PerturbOptions o, TokenTable table, Configuration hadoop) {
      String vocabularyLocation = table.vocabulary(o.vocabulary(), o.input());
      Vocabulary vocabulary = VocabularyLoader.load(vocabularyLocation);
      ResolvedModel model = ResolvedModel.of(o.model());
      int cls = vocabulary.clsId().orElse(-1);
      int eos = vocabulary.eosId().orElse(-1);
      EmbeddingSettings settings =
          EmbeddingSettings.of(o.layer(), o.pooling(), o.batchTokens(), vocabulary);
      GeneList genes = o.allGenes() ? null : GeneList.resolve(o.genes(), vocabulary, hadoop);
      int anchor =
          o.anchorGene() == null || o.anchorGene().isBlank()
              ? -1
              : GeneList.resolveOne(o.anchorGene(), "--anchor-gene", vocabulary);
      PerturbationPlanner.Mode mode =
          genes == null
              ? PerturbationPlanner.Mode.ALL
              : o.group() ? PerturbationPlanner.Mode.GROUP : PerturbationPlanner.Mode.EACH_LISTED;
      boolean moves = o.type() == PerturbationType.INHIBIT || o.type() == PerturbationType.ACTIVATE;
      if (mode == PerturbationPlanner.Mode.GROUP && moves && genes.tokens().length > 1) {
        throw UserException.of(
            "--perturbation %s moves one gene at a time; leave out --group (each listed gene is"
                + " then its own screen)",
            o.type().label());
      }
      PerturbationPlanner planner =
          new PerturbationPlanner(
              mode,
              o.type(),
              o.rankShift(),
              model.config().maxPositions(),
              cls,
              eos,
              genes == null ? new int[0] : genes.tokens(),
              anchor);
      List<String> states = o.states() == null ? List.of() : o.states().all();
      return new Screen(
          vocabularyLocation, vocabulary, model, settings, genes, anchor, mode, planner, states);
    }

    BertConfig config() {
      return model.config();
    }
  }

  /**
   * The model checked against the selected cells' tokens, its fingerprint, and the goal states'
   * vectors (read from the embed output, refused if made with another model).
   *
   * @param cells selected cells
   */
  private record ModelInputs(long cells, String fingerprint, float[][] stateVectors) {}

  private static ModelInputs checkModel(
      SparkSession spark, Dataset<Row> cells, Screen s, PerturbOptions o) {
    spark.sparkContext().setJobDescription("perturb: check the model against the tokens");
    TokenProfile profile = TokenProfiles.of(cells, "input_ids", "cell_id", s.vocabulary());
    if (profile.cells() == 0) {
      throw UserException.of("No cells of %s pass %s", o.input(), selectionText(o));
    }
    ModelCheck.check(s.config(), o.model(), profile, s.settings());
    String modelFingerprint = ModelFingerprint.of(s.model().path());
    float[][] stateVectors =
        s.states().isEmpty()
            ? new float[0][]
            : StateVectors.read(
                spark,
                o.stateEmbeddings(),
                s.states(),
                s.config().hiddenSize(),
                o.layer(),
                o.pooling(),
                modelFingerprint);
    return new ModelInputs(profile.cells(), modelFingerprint, stateVectors);
  }

  /** The work folder's plan file: what a resumed run must match. */
  private static Map<String, Object> planFile(
      String fingerprint, StagedOutput out, ScreenPlan plan, Map<String, Object> options) {
    Map<String, Object> planFile = new LinkedHashMap<>();
    planFile.put("fingerprint", fingerprint);
    planFile.put("output", out.targetLocation());
    planFile.put("cells", plan.cells().size());
    planFile.put("units", plan.units().size());
    planFile.put("perturbations", plan.perturbations());
    planFile.put("options", options);
    return planFile;
  }

  private static void logPlan(
      PerturbOptions o, Screen s, ScreenPlan plan, int finished, WorkDir work) {
    LOG.info(
        String.format(
            Locale.ROOT,
            "perturb: %s %s, %,d cells, %,d perturbations in %,d work units (%,d finished by an"
                + " earlier run); checkpoints in %s",
            o.type().label(),
            s.mode() == PerturbationPlanner.Mode.ALL
                ? "every gene"
                : s.genes().tokens().length + " listed genes",
            plan.cells().size(),
            plan.perturbations(),
            plan.units().size(),
            finished,
            work.location()));
  }

  /**
   * How the screen's tasks went.
   *
   * @param seconds the screen's wall time (0 when every unit was finished before)
   * @param taskSeconds each task's time
   */
  private record Screened(double seconds, double[] taskSeconds) {
    double stragglerRatio() {
      return PerturbJob.stragglerRatio(taskSeconds);
    }
  }

  /**
   * Runs the remaining units and checks that every unit has its checkpoint (a unit without one
   * after a successful Spark job is a bug).
   */
  private static Screened runUnits(
      SparkSession spark,
      Dataset<Row> cells,
      ScreenPlan plan,
      List<WorkUnit> remaining,
      Screen s,
      ModelInputs model,
      WorkDir work,
      PerturbOptions o) {
    SparkContext sc = spark.sparkContext();
    CollectionAccumulator<Double> taskTimes = sc.collectionAccumulator("perturb: task seconds");
    PerturbWorker worker =
        new PerturbWorker(
            o.model(),
            o.precision(),
            s.settings(),
            s.planner(),
            model.stateVectors(),
            o.geneShifts(),
            work.unitsLocation(),
            sc.hadoopConfiguration(),
            taskTimes,
            FaultInjection.stopAfterUnits(spark));
    long screenStart = System.nanoTime();
    if (!remaining.isEmpty()) {
      screen(spark, cells, plan, remaining, o.partitions(), worker, work);
    }
    double seconds = remaining.isEmpty() ? 0 : (System.nanoTime() - screenStart) / 1e9;
    int total = plan.units().size();
    BitSet after = work.finished(total);
    if (after.cardinality() != total) {
      throw new Bug(
          String.format(
              Locale.ROOT,
              "the screen ended with %d of %d work units checkpointed in %s",
              after.cardinality(),
              total,
              work.location()));
    }
    return new Screened(
        seconds, taskTimes.value().stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** What the tables hold: cell_shifts/ rows, gene_shifts/ pairs, pickle files. */
  private record Written(long cellShiftRows, long geneShiftPairs, long pickleFiles) {}

  /** cell_shifts/ (and gene_shifts/, upstream's pickles) from the checkpoints alone. */
  private static Written writeTables(
      SparkSession spark,
      PerturbOptions o,
      Screen s,
      WorkDir work,
      StagedOutput out,
      StagedOutput pickles,
      int total) {
    SparkContext sc = spark.sparkContext();
    Configuration hadoop = sc.hadoopConfiguration();
    sc.setJobDescription("perturb: write cell_shifts/");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
    int readPartitions = Math.max(1, Math.min(total, sc.defaultParallelism() * 4));
    CheckpointIndex index = work.index();
    GeneNames names = new GeneNames(s.vocabulary());
    ShiftTables.cellShifts(
            spark,
            ShiftTables.read(jsc, work.unitsLocation(), index, readPartitions),
            names,
            ShiftTables.shiftColumns(s.states()))
        .write()
        .parquet(out.stagingLocation() + "/cell_shifts");
    long rows = ParquetFooters.rowCount(hadoop, out.stagingLocation() + "/cell_shifts");
    long pairs = 0;
    if (o.geneShifts()) {
      sc.setJobDescription("perturb: write gene_shifts/");
      ShiftTables.geneShifts(
              spark, ShiftTables.read(jsc, work.unitsLocation(), index, readPartitions), names)
          .write()
          .parquet(out.stagingLocation() + "/gene_shifts");
      pairs = ParquetFooters.rowCount(hadoop, out.stagingLocation() + "/gene_shifts");
    }
    long pickleFiles = 0;
    if (pickles != null) {
      sc.setJobDescription("perturb: write upstream's raw pickles");
      pickles.createStaging();
      pickleFiles =
          PickleExport.write(
              ShiftTables.read(jsc, work.unitsLocation(), index, readPartitions),
              new PickleExport(
                  pickles.stagingLocation(),
                  o.type().label(),
                  s.states(),
                  s.anchor(),
                  o.geneShifts(),
                  hadoop));
    }
    sc.setJobDescription(null);
    return new Written(rows, pairs, pickleFiles);
  }

  /**
   * With --resume: the result of an earlier run whose output already holds this screen (its plan
   * fingerprint covers the options, the model, the state vectors, every cell and a hash of its
   * tokens), or null when there is no finished output. Another screen there is replaced only with
   * --overwrite.
   */
  private static PerturbResult keptScreen(
      PerturbOptions o, String output, String fingerprint, Configuration hadoop, long start) {
    JsonNode there = StagedOutput.summaryOf(output, hadoop);
    if (there == null) {
      return null;
    }
    if (!fingerprint.equals(there.at("/plan/fingerprint").asText())) {
      if (o.overwrite()) {
        return null;
      }
      throw UserException.of(
          "Output %s holds another screen than this one (its options, model, state vectors or"
              + " tokens differ); pass --overwrite to replace it, or choose another folder",
          o.output());
    }
    if (o.exportPickle() != null && !exists(o.exportPickle(), hadoop)) {
      return null; // that run wrote no pickles: screen again, to write them
    }
    JsonNode c = there.path("counts");
    LOG.info(
        "perturb: {} already holds this screen (same plan fingerprint); kept as it is (--resume)",
        output);
    return new PerturbResult(
        output,
        c.path("cells").asLong(),
        c.path("work_units").asInt(),
        c.path("work_units").asInt(),
        c.path("cell_shift_rows").asLong(),
        c.path("gene_shift_pairs").asLong(),
        (System.nanoTime() - start) / 1e9,
        0,
        1,
        new ObjectMapper().convertValue(there, new TypeReference<Map<String, Object>>() {}));
  }

  private static boolean exists(String folder, Configuration hadoop) {
    try {
      Path p = new Path(folder);
      return p.getFileSystem(hadoop).exists(p);
    } catch (IOException e) {
      throw UserException.because(e, "Cannot read %s: %s", folder, e.getMessage());
    }
  }

  /** Filters, then the state filter (upstream keeps only start-state cells); cell_id and tokens. */
  static Dataset<Row> select(Dataset<Row> cells, PerturbOptions o) {
    List<String> columns = Arrays.asList(cells.columns());
    CellSelection.requireColumn(columns, "cell_id", "perturb (results are keyed by cell_id)");
    cells = CellSelection.filter(cells, o.filters());
    if (o.states() != null) {
      CellSelection.requireColumn(columns, o.states().column(), "--states");
      cells = cells.where(col(o.states().column()).cast("string").equalTo(o.states().start()));
    }
    return cells.select("cell_id", "input_ids");
  }

  /** Runs the remaining units: each task gets its units (by LPT) with their cells' tokens. */
  private static void screen(
      SparkSession spark,
      Dataset<Row> cells,
      ScreenPlan plan,
      List<WorkUnit> remaining,
      int partitions,
      PerturbWorker worker,
      WorkDir work) {
    SparkContext sc = spark.sparkContext();
    int tasks = partitions > 0 ? partitions : 2 * sc.defaultParallelism();
    tasks = Math.max(1, Math.min(tasks, remaining.size()));
    int[] task = WorkPlan.assign(remaining, tasks);
    Map<String, Long> hashes = new LinkedHashMap<>();
    plan.cells().forEach(c -> hashes.put(c.cellId(), c.tokenHash()));
    List<Row> unitRows = new ArrayList<>(remaining.size());
    for (int i = 0; i < remaining.size(); i++) {
      WorkUnit u = remaining.get(i);
      unitRows.add(
          RowFactory.create(
              u.id(), u.cellId(), u.from(), u.to(), u.cost(), task[i], hashes.get(u.cellId())));
    }
    StructType schema =
        new StructType()
            .add("unit", DataTypes.IntegerType, false)
            .add("cell_id", DataTypes.StringType, false)
            .add("from", DataTypes.IntegerType, false)
            .add("to", DataTypes.IntegerType, false)
            .add("cost", DataTypes.DoubleType, false)
            .add("task", DataTypes.IntegerType, false)
            .add("token_hash", DataTypes.LongType, false);
    Dataset<Row> units = spark.createDataFrame(unitRows, schema);
    Dataset<Row> tokens =
        cells.select(
            col("cell_id").cast("string").as("cell_id"),
            col("input_ids"),
            xxhash64(col("input_ids")).as("token_hash"));
    // The unit table is small: broadcast it, so the token table is read once and never shuffled.
    Dataset<Row> joined = tokens.join(broadcast(units), new String[] {"cell_id", "token_hash"});
    long perturbations = remaining.stream().mapToLong(u -> u.to() - u.from()).sum();
    // Progress from the checkpoint files, which appear as units finish (accumulators would only
    // move when whole tasks end, and a screen's tasks can run for hours).
    BitSet before = work.finished(plan.units().size());
    LongSupplier done =
        () -> {
          BitSet now = work.finished(plan.units().size());
          now.andNot(before);
          return now.stream()
              .mapToLong(u -> plan.units().get(u).to() - plan.units().get(u).from())
              .sum();
        };
    sc.setJobDescription(
        String.format(Locale.ROOT, "perturb: %,d work units on %d tasks", remaining.size(), tasks));
    Progress progress = new Progress(sc, "perturb", "perturbations", done, perturbations);
    try {
      joined
          .javaRDD()
          .mapToPair(
              r ->
                  new Tuple2<>(
                      r.<Integer>getAs("task"),
                      new Tuple2<>(
                          new WorkUnit(
                              r.getAs("unit"),
                              r.getAs("cell_id"),
                              r.getAs("from"),
                              r.getAs("to"),
                              r.getAs("cost")),
                          r.<Integer>getList(r.fieldIndex("input_ids")).stream()
                              .mapToInt(Integer::intValue)
                              .toArray())))
          .partitionBy(new HashPartitioner(tasks))
          .foreachPartition(worker);
    } finally {
      progress.close();
    }
  }

  static double stragglerRatio(double[] taskSeconds) {
    if (taskSeconds.length == 0) {
      return 1;
    }
    double[] s = taskSeconds.clone();
    Arrays.sort(s);
    double median =
        s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return median <= 0 ? 1 : s[s.length - 1] / median;
  }

  private static String selectionText(PerturbOptions o) {
    List<String> parts = new ArrayList<>();
    o.filters().forEach(f -> parts.add("--filter " + f));
    if (o.states() != null) {
      parts.add(
          o.states().column() + " = " + o.states().start() + " (the start state of --states)");
    }
    return parts.isEmpty() ? "(the table has no cells with tokens)" : String.join(" and ", parts);
  }

  private static String nothingText(PerturbationPlanner.Mode mode, int anchor, PerturbOptions o) {
    return switch (mode) {
      case ALL ->
          anchor >= 0
              ? "no cell has the anchor gene " + o.anchorGene()
              : "every cell is too short for " + o.type().label();
      case EACH_LISTED -> "no cell has any of the listed genes";
      case GROUP ->
          "no cell has all of the listed genes (deleting a group needs cells with every gene of"
              + " it)";
    };
  }

  private static Map<String, Object> options(
      PerturbOptions o, String vocabularyLocation, GeneList genes, int anchor) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("input", o.input());
    m.put("model", o.model());
    m.put("vocabulary", vocabularyLocation);
    m.put("perturbation", o.type().label());
    m.put("rank_shift", o.rankShift());
    m.put("genes", o.allGenes() ? "all" : Arrays.stream(genes.tokens()).boxed().toList());
    m.put("group", o.group());
    m.put("anchor_gene", anchor < 0 ? null : anchor);
    m.put("states", o.states() == null ? null : o.states().toString());
    m.put("state_embeddings", o.stateEmbeddings());
    m.put("pooling", o.pooling().name().toLowerCase(Locale.ROOT));
    m.put("layer", o.layer());
    m.put("filters", o.filters().stream().map(CellSelection.Filter::toString).toList());
    m.put("max_cells", o.maxCells());
    m.put("seed", o.seed());
    m.put("gene_shifts", o.geneShifts());
    m.put("precision", o.precision().name().toLowerCase(Locale.ROOT));
    return m;
  }

  private static Map<String, Object> model(
      PerturbOptions o, BertConfig config, String fingerprint) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", o.model());
    m.put("fingerprint", fingerprint);
    m.put("layers", config.numLayers());
    m.put("hidden_size", config.hiddenSize());
    m.put("vocab_size", config.vocabSize());
    m.put("max_position_embeddings", config.maxPositions());
    return m;
  }

  private static Map<String, Object> genes(
      GeneList genes, PerturbationPlanner.Mode mode, int anchor) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(
        "mode",
        switch (mode) {
          case ALL -> anchor >= 0 ? "every gene with the anchor gene" : "every gene, one at a time";
          case EACH_LISTED -> "each listed gene, one at a time";
          case GROUP -> "the listed genes together";
        });
    if (genes != null) {
      m.put("listed", genes.tokens().length);
      m.put("not_in_vocabulary", genes.unknown());
    }
    return m;
  }

  private static Map<String, Object> counts(
      ScreenPlan plan, int resumed, Written written, Screened screened) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cells", plan.cells().size());
    m.put("perturbations_planned", plan.perturbations());
    m.put("cell_shift_rows", written.cellShiftRows());
    m.put("gene_shift_pairs", written.geneShiftPairs());
    m.put("work_units", plan.units().size());
    m.put("work_units_resumed", resumed);
    m.put("tasks", screened.taskSeconds().length);
    m.put("pickle_files", written.pickleFiles());
    return m;
  }

  private static Map<String, Object> timings(
      double seconds, List<WorkUnit> remaining, Screened screened) {
    long perturbations = remaining.stream().mapToLong(u -> u.to() - u.from()).sum();
    double[] sorted = screened.taskSeconds().clone();
    Arrays.sort(sorted);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("total_seconds", round(seconds));
    m.put("screen_seconds", round(screened.seconds()));
    m.put(
        "perturbations_per_second",
        screened.seconds() > 0 ? round(perturbations / screened.seconds()) : null);
    m.put("task_seconds_max", sorted.length == 0 ? null : round(sorted[sorted.length - 1]));
    m.put("task_seconds_median", sorted.length == 0 ? null : round(sorted[sorted.length / 2]));
    m.put("straggler_ratio", round(screened.stragglerRatio()));
    return m;
  }

  private static double round(double v) {
    return Math.round(v * 1e3) / 1e3;
  }
}
