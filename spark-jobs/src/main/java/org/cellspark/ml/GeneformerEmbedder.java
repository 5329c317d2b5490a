package org.cellspark.ml;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.cellspark.model.Precision;
import org.cellspark.spark.EmbedTransform;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;

/**
 * Geneformer cell embeddings as a Spark ML {@link Transformer}: a column of token IDs in, a column
 * of ML vectors out, so that embedding and an MLlib estimator (a classifier, k-means, PCA) make one
 * {@code Pipeline}. It runs the same batched transform as {@code cellspark embed} and {@code
 * geneformer_embed_table} (the model checked against the tokens first, cells embedded a window at a
 * time in length-grouped batches, input order kept). Saved and loaded with MLlib's writers: the
 * stage stores its parameters (the model and vocabulary by location, not their bytes), so a loaded
 * pipeline needs the model at that location again.
 *
 * <p>Parameters: {@code inputCol} (default {@code input_ids}), {@code outputCol} ({@code
 * embedding}), {@code model} (required: a Hugging Face folder or TorchScript file), {@code
 * vocabulary} (the dictionaries the tokens were made with; default {@code builtin:geneformer-v1}),
 * {@code layer} (-1: second to last, as upstream's {@code emb_layer}), {@code pooling} ({@code
 * mean}, also spelled upstream's {@code cell}, or {@code cls}), {@code precision} ({@code fp32},
 * {@code fp16}, {@code bf16}), {@code batchTokens} (tokens per forward batch), {@code idCol} (a
 * column naming cells in messages; default {@code cell_id}, unused when absent).
 */
public final class GeneformerEmbedder extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final Param<String> idCol;
  private final Param<String> model;
  private final Param<String> vocabulary;
  private final IntParam layer;
  private final Param<String> pooling;
  private final Param<String> precision;
  private final LongParam batchTokens;

  public GeneformerEmbedder() {
    this(Identifiable.randomUID("geneformerEmbedder"));
  }

  public GeneformerEmbedder(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "column of token IDs, array<int>");
    outputCol = new Param<>(this, "outputCol", "column of cell embeddings (ML vectors)");
    idCol = new Param<>(this, "idCol", "column naming cells in messages, when the table has it");
    model = new Param<>(this, "model", "Hugging Face model folder or TorchScript file");
    vocabulary =
        new Param<>(this, "vocabulary", "the dictionaries the tokens were made with (folder)");
    layer =
        new IntParam(
            this,
            "layer",
            "hidden layer to pool: 0 = last, -1 = second to last, ...",
            ParamValidators.ltEq(0));
    pooling =
        new Param<>(
            this,
            "pooling",
            "mean (upstream's cell) or cls",
            ParamValidators.inArray(new String[] {"mean", "cell", "cls"}));
    precision =
        new Param<>(
            this,
            "precision",
            "fp32, fp16 or bf16",
            ParamValidators.inArray(new String[] {"fp32", "fp16", "bf16"}));
    batchTokens =
        new LongParam(
            this,
            "batchTokens",
            "tokens per forward batch; 0: the device's budget (65,536 on a GPU running a Hugging"
                + " Face folder, else 16,384)",
            ParamValidators.gtEq(0));
    setDefault(inputCol, "input_ids");
    setDefault(outputCol, "embedding");
    setDefault(idCol, "cell_id");
    setDefault(vocabulary, "builtin:geneformer-v1");
    setDefault(layer, -1);
    setDefault(pooling, "mean");
    setDefault(precision, "fp32");
    setDefault(batchTokens, BatchBudget.AUTO);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public Param<String> idCol() {
    return idCol;
  }

  public Param<String> model() {
    return model;
  }

  public Param<String> vocabulary() {
    return vocabulary;
  }

  public IntParam layer() {
    return layer;
  }

  public Param<String> pooling() {
    return pooling;
  }

  public Param<String> precision() {
    return precision;
  }

  public LongParam batchTokens() {
    return batchTokens;
  }

  public GeneformerEmbedder setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  public GeneformerEmbedder setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  public GeneformerEmbedder setIdCol(String v) {
    set(idCol, v);
    return this;
  }

  public GeneformerEmbedder setModel(String v) {
    set(model, v);
    return this;
  }

  public GeneformerEmbedder setVocabulary(String v) {
    set(vocabulary, v);
    return this;
  }

  public GeneformerEmbedder setLayer(int v) {
    set(layer, v);
    return this;
  }

  public GeneformerEmbedder setPooling(String v) {
    set(pooling, v);
    return this;
  }

  public GeneformerEmbedder setPrecision(String v) {
    set(precision, v);
    return this;
  }

  public GeneformerEmbedder setBatchTokens(long v) {
    set(batchTokens, v);
    return this;
  }

  /**
   * The embeddings as a vector column; the model is checked against the tokens first (one
   * aggregation over the token column), as {@code cellspark embed} does.
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    if (!isDefined(model)) {
      throw UserException.of(
          "GeneformerEmbedder: set the model (setModel) to a Hugging Face folder or TorchScript"
              + " file");
    }
    Vocabulary v = VocabularyLoader.load($(vocabulary));
    EmbeddingSettings settings =
        EmbeddingSettings.of(
            (Integer) $(layer), Pooling.parse($(pooling)), (Long) $(batchTokens), v);
    String id = Arrays.asList(dataset.columns()).contains($(idCol)) ? $(idCol) : null;
    String arrays = "_" + uid + "_embedding";
    EmbedTransform.Options base = EmbedTransform.Options.of($(model), settings);
    EmbedTransform.Options o =
        new EmbedTransform.Options(
            $(model),
            settings,
            $(inputCol),
            arrays,
            id,
            base.windowTokens(),
            Precision.parse($(precision)),
            null);
    Dataset<Row> embedded = EmbedTransform.apply(dataset.toDF(), o, v);
    return embedded.withColumn($(outputCol), functions.array_to_vector(col(arrays))).drop(arrays);
  }

  /** The input column must hold token IDs; the output column is added as an ML vector. */
  @Override
  public StructType transformSchema(StructType schema) {
    if (!Arrays.asList(schema.fieldNames()).contains($(inputCol))) {
      throw UserException.of(
          "GeneformerEmbedder: the table has no column '%s' (inputCol); its columns: %s",
          $(inputCol), String.join(", ", schema.fieldNames()));
    }
    DataType t = schema.apply($(inputCol)).dataType();
    if (!(t instanceof ArrayType a && a.elementType().equals(DataTypes.IntegerType))) {
      throw UserException.of(
          "GeneformerEmbedder: column '%s' is %s; it must hold token IDs (array<int>), as"
              + " cellspark tokenize writes them",
          $(inputCol), t.simpleString());
    }
    if (Arrays.asList(schema.fieldNames()).contains($(outputCol))) {
      throw UserException.of(
          "GeneformerEmbedder: the table already has a column '%s' (outputCol); choose another",
          $(outputCol));
    }
    return schema.add($(outputCol), SQLDataTypes.VectorType(), false);
  }

  @Override
  public GeneformerEmbedder copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** MLlib's reader for a saved stage (PipelineModel.load finds it through this method). */
  public static MLReader<GeneformerEmbedder> read() {
    return new DefaultParamsReader<>();
  }

  public static GeneformerEmbedder load(String path) {
    return read().load(path);
  }
}
