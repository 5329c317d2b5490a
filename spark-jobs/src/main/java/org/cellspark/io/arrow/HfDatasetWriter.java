package org.cellspark.io.arrow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.Bug;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes rows as a Hugging Face dataset in {@code Dataset.save_to_disk}'s layout, the one
 * upstream's classes open with {@code load_from_disk}: one Arrow IPC stream per Spark partition
 * ({@code data-0000i-of-0000N.arrow}, record batches of 1,000 rows, as datasets writes them), the
 * features in each stream's schema metadata ({@code huggingface}) and in {@code dataset_info.json},
 * and {@code state.json} listing the files in partition order. datasets checks that the features
 * describe the Arrow types exactly, so the two are made from one mapping: strings, int32, int64,
 * float64, bools, and lists of int32 (a list's element field named {@code item}, as pyarrow names
 * it). Each task writes its file aside and renames it, so a retried task leaves one whole file.
 */
public final class HfDatasetWriter {
  private static final Logger LOG = LoggerFactory.getLogger(HfDatasetWriter.class);
  static final int BATCH_ROWS = 1000;
  private static final String ITEM = "item";

  private HfDatasetWriter() {}

  /** Writes {@code rows} (of {@code schema}) into {@code folder}; returns the rows written. */
  public static long write(
      SparkSession spark, JavaRDD<InternalRow> rows, StructType schema, String folder)
      throws IOException {
    Schema arrow = arrowSchema(schema);
    String arrowJson = arrow.toJson();
    int files = rows.getNumPartitions();
    Broadcast<SerializableWritable<Configuration>> conf =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .broadcast(new SerializableWritable<>(spark.sessionState().newHadoopConf()));
    List<Long> counts =
        rows.mapPartitionsWithIndex(
                (index, it) ->
                    List.of(
                            writeFile(
                                conf.value().value(),
                                new Path(folder, fileName(index, files)),
                                Schema.fromJSON(arrowJson),
                                schema,
                                it))
                        .iterator(),
                true)
            .collect();
    FileSystem fs = new Path(folder).getFileSystem(spark.sessionState().newHadoopConf());
    removeAsideFiles(fs, new Path(folder));
    ObjectMapper json = new ObjectMapper();
    ObjectNode state = json.createObjectNode();
    ArrayNode list = state.putArray("_data_files");
    for (int i = 0; i < files; i++) {
      list.addObject().put("filename", fileName(i, files));
    }
    state.put("_fingerprint", UUID.randomUUID().toString().replace("-", "").substring(0, 16));
    state.putNull("_format_columns");
    state.putObject("_format_kwargs");
    state.putNull("_format_type");
    state.put("_output_all_columns", false);
    state.putNull("_split");
    ObjectNode info = json.createObjectNode();
    info.put("citation", "");
    info.put("description", "");
    info.set("features", features(schema, json));
    info.put("homepage", "");
    info.put("license", "");
    writeJson(fs, new Path(folder, HfDataset.STATE), json, state);
    writeJson(fs, new Path(folder, "dataset_info.json"), json, info);
    return counts.stream().mapToLong(Long::longValue).sum();
  }

  /** A file a task writes before renaming it: {@code .NAME.UUID} (and its checksum file). */
  private static final Pattern ASIDE =
      Pattern.compile("^\\.+data-\\d{5,}-of-\\d{5,}\\.arrow\\.[0-9a-f]{8}-[0-9a-f-]{27}(\\.crc)?$");

  /**
   * Removes the files of task attempts that died before renaming theirs (an executor lost
   * mid-write): every task has finished, so none is still being written.
   */
  static void removeAsideFiles(FileSystem fs, Path folder) throws IOException {
    for (FileStatus f : fs.listStatus(folder)) {
      if (ASIDE.matcher(f.getPath().getName()).matches()) {
        LOG.info("{}: removed, left by a task attempt that died writing it", f.getPath());
        fs.delete(f.getPath(), false);
      }
    }
  }

  static String fileName(int index, int files) {
    return String.format(Locale.ROOT, "data-%05d-of-%05d.arrow", index, files);
  }

  private static void writeJson(FileSystem fs, Path file, ObjectMapper json, ObjectNode node)
      throws IOException {
    try (OutputStream out = fs.create(file, true)) {
      out.write(
          json.writerWithDefaultPrettyPrinter()
              .writeValueAsString(node)
              .getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The Arrow type of a Spark type this writer takes. */
  private static ArrowType arrowType(DataType t, String column) {
    if (t == DataTypes.StringType) {
      return ArrowType.Utf8.INSTANCE;
    }
    if (t == DataTypes.IntegerType) {
      return new ArrowType.Int(32, true);
    }
    if (t == DataTypes.LongType) {
      return new ArrowType.Int(64, true);
    }
    if (t == DataTypes.DoubleType) {
      return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
    }
    if (t == DataTypes.BooleanType) {
      return ArrowType.Bool.INSTANCE;
    }
    throw Bug.of("HfDatasetWriter: column %s has type %s, which it does not write", column, t);
  }

  /** A list column's items: int32 (tokens) or float32 (counts). */
  private static ArrowType itemType(ArrayType a, String column) {
    if (a.elementType() == DataTypes.IntegerType) {
      return new ArrowType.Int(32, true);
    }
    if (a.elementType() == DataTypes.FloatType) {
      return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    }
    throw Bug.of("HfDatasetWriter: column %s is %s, not a list of int32 or float32", column, a);
  }

  private static String datasetsType(ArrowType t) {
    if (t instanceof ArrowType.Utf8) {
      return "string";
    }
    if (t instanceof ArrowType.Int i) {
      return i.getBitWidth() == 32 ? "int32" : "int64";
    }
    if (t instanceof ArrowType.FloatingPoint f) {
      return f.getPrecision() == FloatingPointPrecision.SINGLE ? "float32" : "float64";
    }
    return "bool";
  }

  static Schema arrowSchema(StructType schema) {
    List<Field> fields = new ArrayList<>();
    for (StructField f : schema.fields()) {
      if (f.dataType() instanceof ArrayType a) {
        Field item = Field.nullable(ITEM, itemType(a, f.name()));
        fields.add(new Field(f.name(), FieldType.nullable(new ArrowType.List()), List.of(item)));
      } else {
        fields.add(Field.nullable(f.name(), arrowType(f.dataType(), f.name())));
      }
    }
    String features =
        "{\"info\": {\"features\": " + features(schema, new ObjectMapper()).toString() + "}}";
    return new Schema(fields, Map.of("huggingface", features));
  }

  /** datasets' features: {"col": {"dtype": "int32", "_type": "Value"}, ...}, lists as Sequence. */
  static ObjectNode features(StructType schema, ObjectMapper json) {
    ObjectNode out = json.createObjectNode();
    for (StructField f : schema.fields()) {
      ObjectNode feature = out.putObject(f.name());
      if (f.dataType() instanceof ArrayType a) {
        ObjectNode value = feature.putObject("feature");
        value.put("dtype", datasetsType(itemType(a, f.name())));
        value.put("_type", "Value");
        feature.put("_type", "Sequence");
      } else {
        feature.put("dtype", datasetsType(arrowType(f.dataType(), f.name())));
        feature.put("_type", "Value");
      }
    }
    return out;
  }

  /** Writes one partition's rows to {@code file} (aside, then renamed); returns how many. */
  private static long writeFile(
      Configuration conf, Path file, Schema arrow, StructType schema, Iterator<InternalRow> rows)
      throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    Path aside = new Path(file.getParent(), "." + file.getName() + "." + UUID.randomUUID());
    long written = 0;
    try (RootAllocator allocator = ArrowMemory.newAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(arrow, allocator);
        OutputStream out = fs.create(aside, false);
        ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
      writer.start();
      StructField[] fields = schema.fields();
      int n = 0;
      root.allocateNew();
      while (rows.hasNext()) {
        InternalRow row = rows.next();
        for (int c = 0; c < fields.length; c++) {
          set(root.getVector(c), fields[c].dataType(), row, c, n);
        }
        n++;
        written++;
        if (n == BATCH_ROWS) {
          flush(root, writer, n);
          n = 0;
        }
      }
      if (n > 0 || written == 0) { // an empty partition still holds a schema and no rows
        flush(root, writer, n);
      }
      writer.end();
    } catch (IOException | RuntimeException e) {
      fs.delete(aside, false);
      throw e;
    }
    fs.delete(file, false); // a file an earlier attempt of this task left
    if (!fs.rename(aside, file)) {
      throw new IOException("cannot rename " + aside + " to " + file);
    }
    return written;
  }

  private static void flush(VectorSchemaRoot root, ArrowStreamWriter writer, int rows)
      throws IOException {
    for (FieldVector v : root.getFieldVectors()) {
      v.setValueCount(rows);
    }
    root.setRowCount(rows);
    if (rows > 0) {
      writer.writeBatch();
    }
    root.allocateNew();
  }

  private static void set(FieldVector v, DataType type, InternalRow row, int c, int i) {
    if (row.isNullAt(c)) {
      v.setNull(i);
      return;
    }
    if (type instanceof ArrayType a) {
      ListVector list = (ListVector) v;
      int offset = list.startNewValue(i);
      int n;
      if (a.elementType() == DataTypes.FloatType) {
        float[] values = row.getArray(c).toFloatArray();
        Float4Vector items = (Float4Vector) list.getDataVector();
        for (int k = 0; k < values.length; k++) {
          items.setSafe(offset + k, values[k]);
        }
        n = values.length;
      } else {
        int[] values = row.getArray(c).toIntArray();
        IntVector items = (IntVector) list.getDataVector();
        for (int k = 0; k < values.length; k++) {
          items.setSafe(offset + k, values[k]);
        }
        n = values.length;
      }
      list.endValue(i, n);
    } else if (type == DataTypes.StringType) {
      ((VarCharVector) v).setSafe(i, row.getUTF8String(c).getBytes());
    } else if (type == DataTypes.IntegerType) {
      ((IntVector) v).setSafe(i, row.getInt(c));
    } else if (type == DataTypes.LongType) {
      ((BigIntVector) v).setSafe(i, row.getLong(c));
    } else if (type == DataTypes.DoubleType) {
      ((Float8Vector) v).setSafe(i, row.getDouble(c));
    } else {
      ((BitVector) v).setSafe(i, row.getBoolean(c) ? 1 : 0);
    }
  }
}
