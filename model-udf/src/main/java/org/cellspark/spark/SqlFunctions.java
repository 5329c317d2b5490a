package org.cellspark.spark;

import ai.djl.Device;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.CellEmbedder;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.InvalidCellException;
import org.cellspark.infer.Pooling;
import org.cellspark.vocab.Vocabulary;
import org.cellspark.vocab.VocabularyLoader;
import scala.collection.Seq;
import scala.runtime.AbstractFunction1;

/**
 * The builders behind {@link CellsparkExtensions}' functions. They run on the driver while a query
 * is analysed: they read the session's settings there (model, vocabulary, layer) and bake them into
 * what executors run.
 */
final class SqlFunctions {
  private static final Map<String, Vocabulary> VOCABULARIES = new ConcurrentHashMap<>();

  private SqlFunctions() {}

  /** The embedding settings for the session: vocabulary ids, layer, pooling, batch budget. */
  static Vocabulary vocabulary(RuntimeConfig conf) {
    String location =
        CellsparkSettings.VOCABULARY.required(conf, "the vocabulary the tokens were made with");
    return VOCABULARIES.computeIfAbsent(location, VocabularyLoader::load);
  }

  static EmbeddingSettings settings(RuntimeConfig conf, Pooling pooling) {
    Vocabulary v = vocabulary(conf);
    return EmbeddingSettings.of(
        CellsparkSettings.EMBED_LAYER.in(conf),
        pooling,
        BatchBudget.parse(
            CellsparkSettings.EMBED_BATCH_TOKENS.in(conf),
            CellsparkSettings.EMBED_BATCH_TOKENS.name()),
        v);
  }

  /** A literal 'mean' / 'cls' argument. */
  static Pooling pooling(Seq<Expression> args, int at, String function) {
    if (args.size() <= at) {
      return Pooling.MEAN;
    }
    Expression e = args.apply(at);
    if (!e.foldable()) {
      throw UserException.of(
          "%s: the pooling argument must be a literal, 'mean' or 'cls'", function);
    }
    return Pooling.parse(String.valueOf(e.eval(null)));
  }

  /** {@code geneformer_embed(input_ids [, pooling])}, row by row. */
  static final class EmbedBuilder extends AbstractFunction1<Seq<Expression>, Expression> {
    @Override
    public Expression apply(Seq<Expression> args) {
      if (args.size() < 1 || args.size() > 2) {
        throw UserException.of(
            "geneformer_embed takes (input_ids [, 'mean'|'cls']), got %d arguments", args.size());
      }
      RuntimeConfig conf = SparkSession.active().conf();
      String model = CellsparkSettings.MODEL.required(conf, "a model folder or TorchScript file");
      EmbeddingSettings settings = settings(conf, pooling(args, 1, "geneformer_embed"));
      UserDefinedFunction udf =
          functions.udf(
              new EmbedOne(model, settings), DataTypes.createArrayType(DataTypes.FloatType, false));
      return SparkApi.call(udf, args.apply(0));
    }
  }

  /** Embeds one cell per call (a batch of one: no padding, no length grouping). */
  static final class EmbedOne implements UDF1<Seq<Integer>, float[]> {
    private static final long serialVersionUID = 1L;
    private final String model;
    private final EmbeddingSettings settings;

    EmbedOne(String model, EmbeddingSettings settings) {
      this.model = model;
      this.settings = settings;
    }

    @Override
    public float[] call(Seq<Integer> ids) {
      if (ids == null) {
        return null;
      }
      int[] cell = new int[ids.size()];
      for (int i = 0; i < cell.length; i++) {
        cell[i] = ids.apply(i);
      }
      Device device = TaskDevice.current();
      try (CellEmbedder embedder =
          new CellEmbedder(ModelCache.get(model, device), device, settings)) {
        return embedder.embed(List.of(cell))[0];
      } catch (InvalidCellException e) {
        throw new UserException(
            "geneformer_embed: model " + model + " cannot embed a cell: " + e.getMessage());
      }
    }
  }

  /**
   * {@code geneformer_embed_table('table' [, pooling])}: the batched transform as a table function.
   */
  static final class EmbedTableBuilder extends AbstractFunction1<Seq<Expression>, LogicalPlan> {
    @Override
    public LogicalPlan apply(Seq<Expression> args) {
      if (args.size() < 1 || args.size() > 2 || !args.apply(0).foldable()) {
        throw UserException.of("geneformer_embed_table takes ('table name' [, 'mean'|'cls'])");
      }
      SparkSession spark = SparkSession.active();
      RuntimeConfig conf = spark.conf();
      String model = CellsparkSettings.MODEL.required(conf, "a model folder or TorchScript file");
      EmbeddingSettings settings = settings(conf, pooling(args, 1, "geneformer_embed_table"));
      String table = String.valueOf(args.apply(0).eval(null));
      return EmbedTransform.apply(
              spark.table(table), EmbedTransform.Options.of(model, settings), vocabulary(conf))
          .queryExecution()
          .analyzed();
    }
  }
}
