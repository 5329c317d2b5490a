package org.cellspark.io.arrow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cellspark.error.UserException;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.FileSystems;

/**
 * A Hugging Face dataset as {@code Dataset.save_to_disk} leaves it, which is how upstream
 * Geneformer's tokenizer writes its token tables ({@code *.dataset}): a folder with {@code
 * state.json} (the order of its data files, {@code _data_files}), {@code dataset_info.json} (the
 * features) and the data files, each an Arrow IPC stream ({@code data-00000-of-00001.arrow}; {@code
 * dataset.arrow} from datasets 1.x). A single {@code .arrow} file, as {@code Dataset.from_file}
 * opens it, is accepted too.
 *
 * @param location the dataset as the user named it, for messages
 * @param files its data files in the dataset's order
 * @param arrowSchema the first file's schema (every file of a dataset has the same)
 */
public record HfDataset(String location, List<Path> files, Schema arrowSchema) {
  static final String STATE = "state.json";
  static final String DATASET_DICT = "dataset_dict.json";
  static final String ARROW = ".arrow";

  /** Whether {@code path} is a dataset folder, a DatasetDict folder or an Arrow file. */
  public static boolean isDataset(FileSystem fs, Path path) throws IOException {
    FileStatus status = fs.getFileStatus(path);
    if (status.isFile()) {
      return path.getName().toLowerCase(Locale.ROOT).endsWith(ARROW);
    }
    return fs.exists(new Path(path, STATE)) || fs.exists(new Path(path, DATASET_DICT));
  }

  /** Opens the dataset at {@code location}, reading its state and its first file's schema. */
  public static HfDataset open(Configuration conf, String location) {
    Path path = new Path(location);
    try {
      FileSystem fs = FileSystems.of(path, conf);
      List<Path> files =
          fs.getFileStatus(path).isFile() ? List.of(path) : dataFiles(fs, path, location);
      Schema schema = files.isEmpty() ? new Schema(List.of()) : schemaOf(fs, files.get(0));
      return new HfDataset(location, files, schema);
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read input %s: %s", location, FileSystemHints.explain(location, e));
    }
  }

  private static List<Path> dataFiles(FileSystem fs, Path dir, String location) throws IOException {
    Path state = new Path(dir, STATE);
    if (!fs.exists(state)) { // a DatasetDict: splits in subfolders
      List<String> splits = new ArrayList<>();
      try (InputStream in = fs.open(new Path(dir, DATASET_DICT))) {
        new ObjectMapper().readTree(in).path("splits").forEach(s -> splits.add(s.asText()));
      }
      throw UserException.of(
          "Input %s is a Hugging Face DatasetDict (splits: %s), not one dataset; pass one split's"
              + " folder, e.g. %s",
          location,
          String.join(", ", splits),
          new Path(dir, splits.isEmpty() ? "train" : splits.get(0)));
    }
    JsonNode json;
    try (InputStream in = fs.open(state)) {
      json = new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw UserException.because(
          e,
          "Input %s: %s is not a Hugging Face dataset state (%s); save the dataset again with"
              + " save_to_disk",
          location,
          state.getName(),
          e.getMessage());
    }
    JsonNode indices = json.path("_indices_data_files");
    if (indices.isArray() && !indices.isEmpty()) {
      throw UserException.of(
          "Input %s selects and orders its rows through an indices mapping (%s lists"
              + " _indices_data_files), which Cellspark does not apply; save it again with"
              + " dataset.flatten_indices().save_to_disk(...)",
          location, STATE);
    }
    JsonNode listed = json.path("_data_files");
    if (!listed.isArray()) {
      throw UserException.of(
          "Input %s: %s has no _data_files list; save the dataset again with save_to_disk",
          location, STATE);
    }
    List<Path> files = new ArrayList<>();
    for (JsonNode f : listed) {
      Path file = new Path(dir, f.path("filename").asText());
      if (!fs.exists(file)) {
        throw UserException.of(
            "Input %s: %s lists %s, which is not in the folder; the dataset is incomplete (copy it"
                + " again)",
            location, STATE, file.getName());
      }
      files.add(file);
    }
    return files;
  }

  private static Schema schemaOf(FileSystem fs, Path file) throws IOException {
    long length = fs.getFileStatus(file).getLen();
    try (FSDataInputStream in = fs.open(file)) {
      byte[] head = new byte[8];
      if (length < 8) {
        throw notArrow(file, "it has " + length + " bytes", null);
      }
      in.readFully(0, head);
      if (ArrowStreamLayout.isIpcFile(head)) {
        throw UserException.of(
            "%s is an Arrow IPC file (the random-access format, as Feather and pyarrow.ipc.new_file"
                + " write), not the IPC stream Hugging Face datasets writes; write the table as"
                + " Parquet (pyarrow.parquet.write_table) and pass that",
            file);
      }
      // Checked before Arrow reads it: the first word of other bytes would be taken for a length.
      long headerLength = ArrowStreamLayout.Prefix.of(head, head.length).headerLength();
      if (headerLength <= 0 || headerLength > length) {
        throw notArrow(file, "its first bytes are no Arrow message", null);
      }
      Schema schema;
      try {
        in.seek(0);
        schema = MessageSerializer.deserializeSchema(new ReadChannel(Channels.newChannel(in)));
      } catch (IOException | RuntimeException e) { // the flatbuffer reader fails on other bytes
        throw notArrow(file, e.getMessage(), e);
      }
      if (schema == null) {
        throw notArrow(file, "it holds no schema", null);
      }
      return schema;
    }
  }

  private static UserException notArrow(Path file, String why, Throwable cause) {
    return UserException.because(
        cause,
        "%s is not an Arrow IPC stream (%s); pass a dataset written by Hugging Face datasets"
            + " (save_to_disk) or one of its .arrow files",
        file,
        why);
  }

  /** The columns Spark can read, in the dataset's order. */
  public StructType sparkSchema() {
    List<StructField> fields = new ArrayList<>();
    for (Field f : arrowSchema.getFields()) {
      Optional<DataType> type = ArrowTypes.sparkType(f);
      type.ifPresent(t -> fields.add(new StructField(f.getName(), t, true, Metadata.empty())));
    }
    return new StructType(fields.toArray(StructField[]::new));
  }

  /** The columns left out, each with its Arrow type. */
  public Map<String, String> leftOut() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Field f : arrowSchema.getFields()) {
      if (ArrowTypes.sparkType(f).isEmpty()) {
        out.put(f.getName(), ArrowTypes.describe(f));
      }
    }
    return out;
  }
}
