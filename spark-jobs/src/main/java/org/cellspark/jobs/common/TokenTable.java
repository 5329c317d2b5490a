package org.cellspark.jobs.common;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.FileSystems;
import org.cellspark.io.ParquetTables;
import org.cellspark.io.arrow.HfDataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A token table as input to a model job: its rows, and what {@code cellspark tokenize} wrote about
 * it (the vocabulary it was made with), when the summary is there.
 */
public record TokenTable(Dataset<Row> cells, String vocabularyLocation) {
  private static final Logger LOG = LoggerFactory.getLogger(TokenTable.class);

  /** Spark's setting for the rows per batch of its vectorized Parquet reader (default 4,096). */
  static final String READER_BATCH_ROWS = "spark.sql.parquet.columnarReaderBatchSize";

  /**
   * Rows per reader batch while a job reads a token table. Spark's 4,096 suits narrow tables, but a
   * token row holds up to 4,096 ids: a batch of 4,096 cells is a 32-64 MB int vector per reading
   * task, reserved twice over while it grows, and ran a 1 GB executor out of heap (bench/memory:
   * embed, 100,000 cells, 20 partitions). 256 cells: 1-4 MB. A value the user set wins.
   */
  static final int TOKEN_READER_BATCH_ROWS = 256;

  /** Runs a job that reads token tables with reader batches sized for them (see above). */
  public static <T> T withReaderBatches(SparkSession spark, Supplier<T> job) {
    if (spark
        .sessionState()
        .conf()
        .contains(READER_BATCH_ROWS)) { // set by the user (a default does not count)
      return job.get();
    }
    return SparkJobs.withSessionConf(
        spark, READER_BATCH_ROWS, Integer.toString(TOKEN_READER_BATCH_ROWS), job);
  }

  /**
   * The vocabulary the tokens were made with: the job's option when given, else the one this
   * table's summary names; refused when neither says.
   *
   * @param input the table as the user named it, for the message
   */
  public String vocabulary(String option, String input) {
    String location = option != null ? option : vocabularyLocation;
    if (location == null) {
      throw UserException.of(
          "Input %s does not say which vocabulary its tokens were made with (no _cellspark.json);"
              + " pass --vocabulary with the dictionaries that made them (builtin:geneformer-v1 for"
              + " Geneformer V1's; for V2, the geneformer/ folder of upstream's repository)",
          input);
    }
    return location;
  }

  static final String CELL_ID = "cell_id";

  /**
   * The columns that describe each cell as a whole, which jobs carry into their per-cell outputs:
   * all but the tokens and, where a table has them, the counts aligned with the tokens (tokenize
   * --keep-counts, upstream's keep_counts), thousands of values a cell that no output needs.
   */
  public static List<String> cellColumns(Dataset<Row> cells) {
    List<String> out = new ArrayList<>();
    for (StructField f : cells.schema().fields()) {
      boolean perToken =
          f.name().equals("input_ids")
              || f.name().equals("counts") && f.dataType() instanceof ArrayType;
      if (!perToken) {
        out.add(f.name());
      }
    }
    return out;
  }

  /**
   * A cell's name in a table that has no cell_id column (a Hugging Face dataset that upstream's
   * tokenizer wrote, which keeps only input_ids, length and the attributes, read as it is or
   * converted to Parquet): its file's name and its row in that file. It does not depend on how
   * Spark splits the files into partitions, so a screen resumed later, or on another cluster, names
   * its cells alike; and a dataset written to one file keeps its own row numbers.
   */
  static Column positionalId() {
    return concat(
        col("_metadata.file_name"),
        lit(":"),
        col("_metadata.row_index").cast(DataTypes.StringType));
  }

  /**
   * Reads a token table; a table without cell_id gets {@link #positionalId} names (the jobs key
   * their results by cell_id).
   */
  public static TokenTable read(SparkSession spark, String folder) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path dir = new Path(folder);
    String vocabulary = null;
    boolean huggingFace;
    try {
      FileSystem fs = FileSystems.of(dir, conf);
      if (!fs.exists(dir)) {
        throw UserException.of(
            "Input %s does not exist; pass the output folder of cellspark tokenize", folder);
      }
      huggingFace = HfDataset.isDataset(fs, dir);
      Path summary = new Path(dir, StagedOutput.SUMMARY_FILE);
      if (fs.exists(summary)) {
        try (InputStream in = fs.open(summary)) {
          JsonNode json = new ObjectMapper().readTree(in);
          JsonNode v = json.at("/options/vocabulary");
          vocabulary = v.isMissingNode() || v.isNull() ? null : v.asText();
        }
      }
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read input %s: %s", folder, FileSystemHints.explain(folder, e));
    }
    Dataset<Row> cells =
        huggingFace
            // upstream's *.dataset, read in place
            ? spark.read().format("hf_dataset").load(folder)
            : ParquetTables.read(
                spark,
                folder,
                (e, why) ->
                    UserException.because(e, "Input %s is not a Parquet table (%s)", folder, why));
    if (!Arrays.asList(cells.columns()).contains("input_ids")) {
      UserException unreadable = huggingFace ? unreadableTokens(spark, folder) : null;
      if (unreadable != null) {
        throw unreadable;
      }
      throw UserException.of(
          "Input %s has no input_ids column (columns: %s); pass a token table written by cellspark"
              + " tokenize",
          folder, String.join(", ", cells.columns()));
    }
    DataType type = cells.schema().apply("input_ids").dataType();
    if (!(type instanceof ArrayType a)
        || a.elementType() != DataTypes.IntegerType && a.elementType() != DataTypes.LongType) {
      throw UserException.of(
          "Input %s: input_ids is %s, not an array of token ids", folder, type.simpleString());
    }
    if (((ArrayType) type).elementType() == DataTypes.LongType) {
      cells = cells.withColumn("input_ids", narrowIds());
    }
    if (Arrays.stream(cells.columns()).noneMatch(CELL_ID::equalsIgnoreCase)) {
      LOG.info(
          "{} has no {} column: each cell is named by its place, FILE:ROW (its row in its file)",
          folder,
          CELL_ID);
      cells = cells.withColumn(CELL_ID, positionalId());
    }
    return new TokenTable(cells, vocabulary);
  }

  /**
   * int64 token ids (as upstream's tokenizer writes them: datasets' default) as the int32 the model
   * takes, an id no int32 holds read as null. A plain cast would wrap such an id into another,
   * valid-looking one on Spark 3.5 (2^32 + 7 becomes 7, and the cell is embedded as if it held
   * token 7) and fail as an internal error under Spark 4's ANSI casts; as a null, the model check
   * refuses the cell by name (no tokenizer writes a null or such an id). One generated pass over
   * the ids: a check of their own (a UDF, or a lambda: higher-order functions are interpreted) read
   * upstream's datasets 25-30% slower (bench/hf-dataset).
   */
  private static Column narrowIds() {
    return expr("try_cast(input_ids AS array<int>)");
  }

  /**
   * Why a Hugging Face dataset has no input_ids for the jobs: a column of a type Spark cannot read
   * (the source leaves such columns out), or none at all (null).
   */
  private static UserException unreadableTokens(SparkSession spark, String folder) {
    String type =
        HfDataset.open(spark.sessionState().newHadoopConf(), folder).leftOut().get("input_ids");
    return type == null
        ? null
        : UserException.of(
            "Input %s: input_ids is %s, which Cellspark cannot read as token ids; save the dataset"
                + " with input_ids as a list of integers (datasets' Sequence(Value(\"int64\")))",
            folder, type);
  }
}
