package org.cellspark.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A GPU benchmark's JSON file, rewritten after every run, so that a benchmark cut short by its time
 * limit (bench/gpu/device.sh) or stopped by one run's failure (say, out of device memory) still
 * leaves every figure measured before it: {@code {..header.., "runs": [...]}}.
 */
final class ResultsFile {
  private final Path path;
  private final JsonObject all;
  private final JsonArray runs = new JsonArray();

  ResultsFile(Path path, JsonObject header) {
    this.path = path;
    this.all = header.deepCopy();
    all.add("runs", runs);
    write();
  }

  void add(JsonObject run) {
    runs.add(run);
    write();
  }

  /** Records a run that failed, with what it was and why, and says so on the console. */
  void failed(JsonObject run, RuntimeException e) {
    run.addProperty("error", String.valueOf(e.getMessage()));
    System.out.println("  FAILED " + run + ": " + e);
    add(run);
  }

  private void write() {
    try {
      Path partial = path.resolveSibling(path.getFileName() + ".partial");
      Files.writeString(partial, all.toString());
      Files.move(
          partial, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
