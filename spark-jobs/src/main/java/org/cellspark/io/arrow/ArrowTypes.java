package org.cellspark.io.arrow;

import java.util.Optional;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * The Spark type of an Arrow column, for the types Spark's {@code ArrowColumnVector} reads the way
 * Spark itself maps them: signed integers, floats, booleans, strings, binaries and lists of those.
 * What a Hugging Face token dataset holds is among them (input_ids as a list of int64, length, the
 * attributes upstream's tokenizer copies from obs). Anything else (unsigned integers, half floats,
 * dates and times, structs, dictionary-encoded columns, the null type of a column that is null in
 * every row) has no place in a token table's jobs and is left out of the table, by name.
 */
final class ArrowTypes {
  private ArrowTypes() {}

  static Optional<DataType> sparkType(Field field) {
    if (field.getDictionary() != null) {
      return Optional.empty(); // its vector holds dictionary indices, not the values
    }
    ArrowType type = field.getType();
    if (type instanceof ArrowType.Int i) {
      if (!i.getIsSigned()) {
        return Optional.empty();
      }
      return Optional.of(
          switch (i.getBitWidth()) {
            case 8 -> DataTypes.ByteType;
            case 16 -> DataTypes.ShortType;
            case 32 -> DataTypes.IntegerType;
            default -> DataTypes.LongType;
          });
    }
    if (type instanceof ArrowType.FloatingPoint f) {
      return f.getPrecision() == FloatingPointPrecision.HALF
          ? Optional.empty()
          : Optional.of(
              f.getPrecision() == FloatingPointPrecision.SINGLE
                  ? DataTypes.FloatType
                  : DataTypes.DoubleType);
    }
    if (type instanceof ArrowType.Bool) {
      return Optional.of(DataTypes.BooleanType);
    }
    if (type instanceof ArrowType.Utf8 || type instanceof ArrowType.LargeUtf8) {
      return Optional.of(DataTypes.StringType);
    }
    if (type instanceof ArrowType.Binary || type instanceof ArrowType.LargeBinary) {
      return Optional.of(DataTypes.BinaryType);
    }
    if (type instanceof ArrowType.List) {
      return sparkType(field.getChildren().get(0))
          .map(element -> DataTypes.createArrayType(element, true));
    }
    return Optional.empty();
  }

  /** The type as Arrow writes it, for messages ({@code list<item: int64>} style). */
  static String describe(Field field) {
    String type =
        field.getType() instanceof ArrowType.List || field.getType() instanceof ArrowType.LargeList
            ? field.getType().getTypeID().name().toLowerCase(java.util.Locale.ROOT)
                + "<"
                + describe(field.getChildren().get(0))
                + ">"
            : field.getType().toString();
    return field.getDictionary() != null ? "dictionary<" + type + ">" : type;
  }
}
