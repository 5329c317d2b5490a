package org.cellspark.spark;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import scala.Tuple3;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Cellspark's SQL functions, registered with {@code
 * spark.sql.extensions=org.cellspark.spark.CellsparkExtensions}:
 *
 * <ul>
 *   <li>{@code geneformer_embed(input_ids [, 'mean'|'cls'])}: one cell's embedding, {@code
 *       array<float>}. Row by row (one forward pass per cell): for interactive use.
 *   <li>{@code geneformer_embed_table('table' [, 'mean'|'cls'])}: a table function returning the
 *       table with an {@code embedding} column, computed in length-grouped batches: the SQL route
 *       for volume.
 * </ul>
 *
 * Both read the model and vocabulary from {@link CellsparkSettings#MODEL} and {@link
 * CellsparkSettings#VOCABULARY}.
 */
public final class CellsparkExtensions
    extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectFunction(
        new Tuple3<>(
            FunctionIdentifier.apply("geneformer_embed"),
            new ExpressionInfo(
                SqlFunctions.class.getName(),
                null,
                "geneformer_embed",
                "_FUNC_(input_ids [, pooling]) - The Geneformer embedding of one tokenized cell"
                    + " (array<float>), pooling 'mean' (default) or 'cls'; model and vocabulary"
                    + " from spark.cellspark.model and spark.cellspark.vocabulary. One forward pass"
                    + " per row: for volume use geneformer_embed_table.",
                "",
                "",
                "",
                "",
                "",
                "",
                "java_udf"),
            builder(new SqlFunctions.EmbedBuilder())));
    extensions.injectTableFunction(
        new Tuple3<>(
            FunctionIdentifier.apply("geneformer_embed_table"),
            new ExpressionInfo(
                SqlFunctions.class.getName(),
                null,
                "geneformer_embed_table",
                "_FUNC_(table [, pooling]) - The table with an 'embedding' column, computed in"
                    + " length-grouped batches.",
                "",
                "",
                "",
                "",
                "",
                "",
                "java_udf"),
            builder(new SqlFunctions.EmbedTableBuilder())));
    return BoxedUnit.UNIT;
  }

  /**
   * A function builder as the extension point's type: a function of Scala's {@code Seq} of
   * arguments, which is {@code scala.collection.Seq} on Scala 2.12 and {@code
   * scala.collection.immutable.Seq} on 2.13. The builders take the first, which the second extends,
   * so one class serves both.
   */
  @SuppressWarnings("unchecked")
  private static <B> B builder(Object function) {
    return (B) function;
  }
}
