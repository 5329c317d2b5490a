package org.cellspark.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.cellspark.error.UserException;
import org.cellspark.files.HadoopConfs;
import org.cellspark.files.Locations;
import org.cellspark.files.RemoteCopies;

/**
 * Local paths for the models a job names, whether they are on every node already, shipped with the
 * job ({@code spark-submit --files model.pt} / {@code --archives model.zip#model}, or {@code
 * sc.addFile}) or on a Hadoop file system ({@code s3a://}, {@code gs://}, {@code hdfs://}): a path
 * that exists is used as it is; a relative name that does not is looked up among the shipped files
 * (Spark unpacks archives there, on the driver and on each executor); a remote one is copied to
 * this node's disk once per JVM ({@link RemoteCopies}). Paths are made absolute: on cluster
 * executors SparkFiles answers relative to the task's working folder, and DJL derives a model
 * folder from the path, which must then be absolute.
 */
public final class ShippedFiles {
  private ShippedFiles() {}

  public static Path resolve(String spec) {
    return resolve(spec, null);
  }

  /**
   * As {@link #resolve(String)}, a remote model read with {@code hadoop} (null: this JVM's, {@link
   * HadoopConfs#forThisJvm}); for callers without a Spark session to take the settings from.
   */
  public static Path resolve(String spec, Configuration hadoop) {
    if (Locations.isRemote(spec)) { // s3a://, gs://, hdfs://: a copy on this node's disk
      return RemoteCopies.folderOrFile(
          spec, hadoop != null ? hadoop : HadoopConfs.forThisJvm(), "Model");
    }
    SparkEnv env = SparkEnv.get();
    String executor =
        env == null || "driver".equals(env.executorId()) // SparkContext.DRIVER_IDENTIFIER
            ? null
            : env.executorId();
    return resolve(spec, env != null, executor);
  }

  /**
   * As {@link #resolve(String)}, in a JVM with Spark files ({@code sparkJvm}) that is executor
   * {@code executor} (null: the driver, or no Spark). On an executor a relative name found neither
   * in its working folder nor among the shipped files is refused there, saying why: the name was
   * most likely a path relative to where the job was started, which the executors do not share.
   */
  static Path resolve(String spec, boolean sparkJvm, String executor) {
    Path p = Paths.get(spec);
    if (Files.exists(p) || p.isAbsolute()) {
      return p.toAbsolutePath().normalize();
    }
    if (sparkJvm) { // SparkFiles has a root: the driver's temp folder, or the task's folder
      Path shipped = Paths.get(SparkFiles.get(spec)).toAbsolutePath().normalize();
      if (Files.exists(shipped)) {
        return shipped;
      }
    }
    if (executor != null) {
      throw UserException.of(
          "%s is not on executor %s (%s): a relative path is looked up in each executor's own"
              + " working folder and among the files shipped with the job, not in the folder"
              + " the job was started from. Give its absolute path (the same on every node), or"
              + " ship it with the job: --archives %s.zip#%s",
          spec, executor, hostName(), p.getFileName(), p.getFileName());
    }
    return p.toAbsolutePath().normalize();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "this node";
    }
  }
}
