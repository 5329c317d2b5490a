package org.cellspark.spark;

import java.nio.file.Path;
import org.cellspark.model.BertConfig;
import org.cellspark.model.ModelLoader;

/**
 * A job's model as the driver sees it: the location the user gave, where it resolved to (a path on
 * this node, or among the files shipped with the job) and its configuration, read once. Checks,
 * logs and summaries take it from here. Executors resolve the location again on their own node
 * ({@link ModelCache}): a shipped model lies in each node's own SparkFiles folder.
 *
 * @param spec the model location as given ({@code --model})
 * @param path where it resolved to on the driver
 * @param config its config.json
 */
public record ResolvedModel(String spec, Path path, BertConfig config) {

  /** The config.json beside the weights (in the folder, or beside the file). */
  public Path configFile() {
    return java.nio.file.Files.isDirectory(path)
        ? path.resolve("config.json")
        : path.resolveSibling("config.json");
  }

  public static ResolvedModel of(String spec) {
    Path path = ShippedFiles.resolve(spec);
    return new ResolvedModel(spec, path, ModelLoader.readConfig(path));
  }
}
