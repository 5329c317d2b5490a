package org.cellspark.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * Local paths for files a job names, whether they are on every node already or shipped with the job
 * ({@code spark-submit --files model.pt} / {@code --archives model.zip#model}, or {@code
 * sc.addFile}): a path that exists is used as it is; a relative name that does not is looked up
 * among the shipped files (Spark unpacks archives there, on the driver and on each executor). Paths
 * are made absolute: on cluster executors SparkFiles answers relative to the task's working folder,
 * and DJL derives a model folder from the path, which must then be absolute.
 */
public final class ShippedFiles {
  private ShippedFiles() {}

  public static Path resolve(String spec) {
    Path p = Paths.get(spec);
    if (Files.exists(p) || p.isAbsolute()) {
      return p.toAbsolutePath().normalize();
    }
    if (SparkEnv.get()
        != null) { // a Spark JVM: SparkFiles has a root (the driver's temp folder, or the task's
      // folder)
      Path shipped = Paths.get(SparkFiles.get(spec)).toAbsolutePath().normalize();
      if (Files.exists(shipped)) {
        return shipped;
      }
    }
    return p.toAbsolutePath().normalize();
  }
}
