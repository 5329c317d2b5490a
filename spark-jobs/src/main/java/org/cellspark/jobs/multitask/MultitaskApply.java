package org.cellspark.jobs.multitask;

import static org.apache.spark.sql.functions.col;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;
import org.cellspark.error.UserException;
import org.cellspark.jobs.classify.Applied;
import org.cellspark.jobs.classify.KnownLabels;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.JobScope;
import org.cellspark.jobs.common.JobSummary;
import org.cellspark.jobs.common.StagedOutput;
import org.cellspark.jobs.common.TokenTable;
import org.cellspark.jobs.finetune.FineTunedApply;
import org.cellspark.jobs.finetune.PredictionColumns;
import org.cellspark.model.Precision;
import org.cellspark.model.TrainableBert;
import org.cellspark.spark.TaskDevice;
import org.cellspark.train.FineTunedCheckpoint;
import org.cellspark.train.FineTuner;
import org.cellspark.train.MultiLabelledCells;
import org.cellspark.train.MultiTaskClassifier;
import org.cellspark.train.MultiTaskEvaluation;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `cellspark classify apply --tokens` with a model `cellspark finetune-multitask` wrote: every task
 * predicted for every cell. Each task of the job loads the model on its executor's device (its GPU,
 * else its CPU) and runs it as training evaluated it (the same pooling and heads, the same code), a
 * chunk of cells at a time, so a cell's predictions equal those training wrote for it. Writes
 * predictions/ (the token table's columns but the tokens, then per task TASK_predicted,
 * TASK_confidence, TASK_probability) and _cellspark.json.
 */
public final class MultitaskApply {
  private static final Logger LOG = LoggerFactory.getLogger(MultitaskApply.class);

  /** Cells predicted at once by a task: their tokens are held until then. */
  static final int CHUNK = 4096;

  private MultitaskApply() {}

  /** Whether {@code --model} names a multi-task model (an output folder or its model/). */
  public static boolean isMultitask(String model) {
    return FineTunedCheckpoint.isMultiTask(FineTunedApply.modelFolder(model));
  }

  /** Labels the cells for every task, and scores the tasks whose label columns are given. */
  public static Applied run(SparkSession spark, FineTunedApply.Options o) {
    if (o.precision() == Precision.FP16) {
      // Its forward is the training program's, whose reduced precision is bf16 as torch.autocast
      // computes it; that program does not run in fp16 (training in fp16 needs loss scaling).
      throw UserException.of(
          "--precision fp16: a finetune-multitask model runs in fp32 or bf16 in classify apply;"
              + " give --precision bf16 (GPUs since A100, and CPUs)");
    }
    long start = System.nanoTime();
    Map<String, List<String>> tasks =
        FineTunedCheckpoint.tasks(FineTunedApply.modelFolder(o.model()));
    if (o.classes() != null) {
      throw UserException.of(
          "--classes %s: the multi-task model %s names its tasks' classes itself",
          o.classes(), o.model());
    }
    for (String label : o.labels()) {
      if (!tasks.containsKey(label)) {
        throw UserException.of(
            "--label %s is not a task of the multi-task model %s (its tasks: %s); give the columns"
                + " of the tasks to score",
            label, o.model(), String.join(", ", tasks.keySet()));
      }
    }
    TokenTable table = TokenTable.read(spark, o.tokens());
    FineTunedApply.requireLabelColumns(table.cells(), o);
    String vocabularyLocation = table.vocabulary(o.vocabulary(), o.tokens());
    Vocabulary v = VocabularyLoader.load(vocabularyLocation);
    CellSelection.requireColumn(
        Arrays.asList(table.cells().columns()),
        "cell_id",
        "classify apply (predictions are keyed by cell_id)");
    StagedOutput out =
        StagedOutput.prepare(
            o.output(),
            o.overwrite(),
            spark.sparkContext().hadoopConfiguration(),
            List.of(o.tokens(), o.model()));
    try (JobScope job = JobScope.start(spark.sparkContext(), "cellspark classify apply", out)) {
      Dataset<Row> cells = table.cells();
      FineTunedApply.checkModel(cells, o.model(), v);
      long all = cells.count();
      // A cell holding no gene (<cls> and <eos> alone) has nothing to pool: no prediction.
      cells = CellSelection.withGenes(cells, v);
      List<String> kept = TokenTable.cellColumns(cells);
      List<Column> columns = new ArrayList<>();
      columns.add(col("input_ids"));
      kept.forEach(c -> columns.add(col(c)));
      StructType schema = new StructType();
      for (String c : kept) {
        schema = schema.add(cells.schema().apply(c));
      }
      for (String task : tasks.keySet()) {
        schema = PredictionColumns.add(schema, task);
      }
      JavaRDD<Row> scored =
          cells
              .select(columns.toArray(new Column[0]))
              .toJavaRDD()
              .mapPartitions(
                  new Predict(
                      o.model(),
                      tasks,
                      kept.size(),
                      v.clsId().orElse(-1),
                      v.eosId().orElse(-1),
                      o.precision()));
      spark.createDataFrame(scored, schema).write().parquet(out.stagingLocation() + "/predictions");
      Dataset<Row> written = spark.read().parquet(out.stagedTable("predictions"));
      long rows = written.count();
      List<KnownLabels> scores =
          o.labels().stream()
              .map(
                  task ->
                      KnownLabels.score(
                          written,
                          task,
                          task + "_predicted",
                          task + "_probability",
                          tasks.get(task),
                          task))
              .toList();
      if (rows < all) {
        LOG.warn(
            "classify apply: {} cell(s) hold no gene (special tokens alone), so have nothing to"
                + " pool: left out of predictions/",
            all - rows);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Object> options = new LinkedHashMap<>();
      options.put("model", o.model());
      options.put("tokens", o.tokens());
      options.put("vocabulary", vocabularyLocation);
      options.put("labels", o.labels());
      options.put("precision", o.precision().name().toLowerCase(Locale.ROOT));
      JobSummary summary =
          new JobSummary("classify apply")
              .put("options", options)
              .put("tasks", tasks)
              .put("counts", Map.of("cells", rows));
      Applied applied = Applied.commit(job, out, summary, rows, scores, true, seconds);
      LOG.info(
          String.format(
              Locale.ROOT,
              "classify apply: %,d cells labelled for %d tasks with a multi-task model in %.1f s"
                  + " to %s",
              rows,
              tasks.size(),
              seconds,
              out.targetLocation()));
      return applied;
    }
  }

  /** One Spark task's cells through the model, a chunk at a time; rows in the cells' order. */
  private static final class Predict implements FlatMapFunction<Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final String model;
    private final Map<String, List<String>> tasks;
    private final int carried;
    private final int clsId;
    private final int eosId;
    private final Precision precision;

    Predict(
        String model,
        Map<String, List<String>> tasks,
        int carried,
        int clsId,
        int eosId,
        Precision precision) {
      this.model = model;
      this.tasks = new LinkedHashMap<>(tasks);
      this.carried = carried;
      this.clsId = clsId;
      this.eosId = eosId;
      this.precision = precision;
    }

    /**
     * The rows come out a chunk at a time, as they are consumed: a task's predictions are never all
     * held at once. The model is loaded at the first row and closed when the task ends.
     */
    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      if (!rows.hasNext()) {
        return java.util.Collections.emptyIterator();
      }
      Path folder = FineTunedApply.modelFolder(model); // resolved on this node
      TrainableBert encoder = TrainableBert.load(folder, TaskDevice.current(), precision);
      TaskContext.get().addTaskCompletionListener((TaskCompletionListener) t -> encoder.close());
      MultiTaskClassifier classifier =
          FineTunedCheckpoint.readMultiTask(folder, encoder, clsId, eosId);
      return new Iterator<>() {
        private Iterator<Row> chunk = java.util.Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          while (!chunk.hasNext() && rows.hasNext()) {
            List<Row> in = new ArrayList<>(CHUNK);
            while (in.size() < CHUNK && rows.hasNext()) {
              in.add(rows.next());
            }
            List<Row> out = new ArrayList<>(in.size());
            predict(classifier, in, out);
            chunk = out.iterator();
          }
          return chunk.hasNext();
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return chunk.next();
        }
      };
    }

    private void predict(MultiTaskClassifier classifier, List<Row> chunk, List<Row> out) {
      List<int[]> tokens = new ArrayList<>(chunk.size());
      for (Row r : chunk) {
        tokens.add(r.<Integer>getList(0).stream().mapToInt(Integer::intValue).toArray());
      }
      int[][] none = new int[tasks.size()][chunk.size()];
      for (int[] task : none) {
        Arrays.fill(task, MultiLabelledCells.UNLABELLED);
      }
      int classes = tasks.values().stream().mapToInt(List::size).sum();
      float[] ones = new float[classes];
      Arrays.fill(ones, 1f);
      MultiTaskEvaluation e =
          MultiTaskEvaluation.of(
              classifier,
              new MultiLabelledCells(tokens, none),
              FineTuner.DEFAULT_BATCH_TOKENS,
              ones);
      List<List<String>> names = new ArrayList<>(tasks.values());
      for (int i = 0; i < chunk.size(); i++) {
        Object[] row = new Object[carried + 3 * names.size()];
        for (int c = 0; c < carried; c++) {
          row[c] = chunk.get(i).get(1 + c);
        }
        for (int t = 0; t < names.size(); t++) {
          MultiTaskEvaluation.Task task = e.tasks().get(t);
          List<Object> values =
              PredictionColumns.values(
                  names.get(t).get(task.predicted()[i]), task.probabilities()[i]);
          for (int v = 0; v < 3; v++) {
            row[carried + 3 * t + v] = values.get(v);
          }
        }
        out.add(RowFactory.create(row));
      }
    }
  }
}
