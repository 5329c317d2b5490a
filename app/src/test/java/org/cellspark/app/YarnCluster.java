package org.cellspark.app;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real YARN in this JVM: Hadoop's own ResourceManager and one NodeManager (MiniYARNCluster, from
 * the shaded minicluster jar), whose containers are processes of their own started from launch
 * scripts as on a cluster's nodes. Applications are submitted by spark-submit in a JVM of its own,
 * with only a Hadoop configuration folder (HADOOP_CONF_DIR) to find the ResourceManager, as on an
 * EMR or Dataproc master; Spark's jars are on the node already ({@code spark.yarn.jars} with the
 * {@code local:} scheme, as a distribution installed on every node), the app jar, libtorch and
 * archives travel through YARN's staging folder and are localised into each container.
 */
final class YarnCluster implements AutoCloseable {
  private static final Pattern APPLICATION_ID = Pattern.compile("application_\\d+_\\d+");

  private final MiniYARNCluster cluster;
  private final YarnClient client;
  private final Path confDir;
  private final Path work;

  private YarnCluster(MiniYARNCluster cluster, YarnClient client, Path confDir, Path work) {
    this.cluster = cluster;
    this.client = client;
    this.confDir = confDir;
    this.work = work;
  }

  /**
   * Starts a ResourceManager and one NodeManager (their folders: MiniYARNCluster's, under
   * target/test/data), with the Hadoop configuration folder and YARN's staging folder under {@code
   * work}.
   */
  static YarnCluster start(Path work) throws IOException, InterruptedException {
    YarnConfiguration conf = new YarnConfiguration();
    // The test machine's disk may be fuller than YARN's default 90% health limit, which would mark
    // the only node unhealthy and leave every application waiting for a container.
    conf.set(
        "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
    // A JVM's virtual memory (and libtorch's resident memory beside a 1 GB heap) would trip YARN's
    // memory checks on containers sized for a test; those checks are about the cluster's tuning,
    // not about the application.
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    // The capacity scheduler's queues (a cluster has them in capacity-scheduler.xml): one queue,
    // the whole cluster's.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    // Stopping the NodeManager waits this long for the finished applications it still lists (5 s
    // of a 17 s stop by default); containers here end by themselves.
    conf.setLong(YarnConfiguration.NM_SLEEP_DELAY_BEFORE_SIGKILL_MS, 100);
    conf.setLong(YarnConfiguration.NM_PROCESS_KILL_WAIT_MS, 100);
    // The containers' logs, which the tests read after each application, are kept by the deletion
    // service's delay (left undone when it stops) rather than by the log handler's (whose pending
    // deletions the stop waits 10 s for).
    conf.setLong(YarnConfiguration.NM_LOG_RETAIN_SECONDS, 0);
    conf.setInt(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC, 3600);
    // The node's memory (MiniYARNCluster sets it from its own key, 4 GB by default): a driver's
    // container and executors' of 1 GB heap and 384 MB overhead each fit, three at once.
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 6144);
    conf.setInt(YarnConfiguration.NM_VCORES, 4);
    MiniYARNCluster cluster = new MiniYARNCluster("cellspark-yarn", 1, 1, 1);
    cluster.init(conf);
    cluster.start();
    Configuration running = cluster.getConfig();
    // start() may return before the ResourceManager has written its real port into the
    // configuration.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (running.get(YarnConfiguration.RM_ADDRESS, ":0").endsWith(":0")) {
      if (System.nanoTime() > deadline) {
        cluster.stop();
        throw new IllegalStateException("the ResourceManager did not publish its address");
      }
      Thread.sleep(100);
    }
    Path confDir = Files.createDirectories(work.resolve("hadoop-conf"));
    try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
      running.writeXml(out);
    }
    YarnClient client = YarnClient.createYarnClient();
    client.init(running);
    client.start();
    return new YarnCluster(cluster, client, confDir, work);
  }

  /** What spark-submit left: its exit code and output, and the application it submitted. */
  record Submitted(int exitCode, String clientOutput, ApplicationId application) {}

  /**
   * spark-submit of Cellspark's {@code job} to this YARN in cluster deploy mode (the driver in
   * YARN's ApplicationMaster, as EMR steps run it), with the extra spark-submit arguments; waits
   * for spark-submit, which waits for the application to finish and exits non-zero when it failed.
   */
  Submitted submit(List<String> sparkSubmitArgs, String... job)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp"));
    // As bin/spark-class puts it: the Hadoop configuration folder first, then Spark's jars.
    cmd.add(confDir + ":" + LocalCluster.SPARK_HOME.resolve("jars") + "/*");
    cmd.addAll(LocalCluster.java17Options());
    String javaHome = System.getProperty("java.home");
    String javaOptions =
        "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"
            + " -Dai.djl.pytorch.num_interop_threads=1 -XX:TieredStopAtLevel=1";
    cmd.addAll(
        List.of(
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            "yarn",
            "--deploy-mode",
            "cluster",
            "--driver-memory",
            "1g",
            "--executor-memory",
            "1g",
            // One executor: this machine's two cores start the driver's JVM and the executors'
            // at once (two executors and their spread over tasks: LocalCluster's tests).
            "--num-executors",
            "1",
            "--executor-cores",
            "1",
            "--conf",
            "spark.yarn.jars=local:" + LocalCluster.SPARK_HOME.resolve("jars") + "/*",
            "--conf",
            "spark.yarn.stagingDir=" + work.resolve("staging").toUri(),
            "--conf",
            "spark.ui.enabled=false",
            // This machine's nodes have Java where this JVM's is, not where JAVA_HOME would be set.
            "--conf",
            "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
            "--conf",
            "spark.executorEnv.JAVA_HOME=" + javaHome,
            // Driver and executors on the loopback address, whatever this machine's network.
            "--conf",
            "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
            "--conf",
            "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
            "--conf",
            "spark.yarn.appMasterEnv.DJL_OFFLINE=true",
            "--conf",
            "spark.executorEnv.DJL_OFFLINE=true",
            "--conf",
            "spark.driver.extraJavaOptions=" + javaOptions,
            "--conf",
            "spark.executor.extraJavaOptions=" + javaOptions,
            "--jars",
            LocalCluster.LIBTORCH.toString(),
            "--class",
            "org.cellspark.cli.Main"));
    cmd.addAll(sparkSubmitArgs);
    cmd.add(LocalCluster.APP.toString());
    cmd.addAll(List.of(job));
    Path log = work.resolve(job[0] + "-" + System.nanoTime() + ".log");
    System.out.println("YarnCluster: " + String.join(" ", job) + " log at " + log);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("HADOOP_CONF_DIR", confDir.toString());
    env.put("SPARK_HOME", LocalCluster.SPARK_HOME.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    long start = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(6, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException(
          "spark-submit " + job[0] + " ran over 6 minutes; its output:\n" + Files.readString(log));
    }
    System.out.printf("YarnCluster: %s took %.1f s%n", job[0], (System.nanoTime() - start) / 1e9);
    String out = Files.readString(log);
    Matcher m = APPLICATION_ID.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("spark-submit named no YARN application:\n" + out);
    }
    return new Submitted(p.exitValue(), out, ApplicationId.fromString(m.group()));
  }

  /** The ResourceManager's record of an application: its final status and diagnostics. */
  ApplicationReport report(ApplicationId application) throws Exception {
    return client.getApplicationReport(application);
  }

  /** Every attempt the ResourceManager made at running an application. */
  List<ApplicationAttemptReport> attempts(ApplicationId application) throws Exception {
    return client.getApplicationAttempts(application);
  }

  /**
   * What every container of an application wrote to stderr (where Spark's driver and executors log
   * on YARN), joined, each headed by its container's name.
   */
  String containerLogs(ApplicationId application) throws IOException {
    // The NodeManager deletes a finished container's private files (its pid file, its launch
    // script) while this walks: a file that vanishes under the walk is passed over, not a failure.
    List<Path> stderr = new ArrayList<>();
    Files.walkFileTree(
        cluster.getTestWorkDir().toPath(),
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
            if (f.getFileName().toString().equals("stderr")
                && f.toString().contains(application.toString())) {
              stderr.add(f);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e == null || e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }
        });
    Collections.sort(stderr);
    StringBuilder out = new StringBuilder();
    for (Path f : stderr) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append("== ").append(f.getParent().getFileName()).append('\n');
      out.append(Files.readString(f)); // a container's log stays until the cluster stops
    }
    return out.toString();
  }

  /**
   * Stops the cluster and deletes its folders (each application's localised app jar and libtorch:
   * over 100 MB an application).
   */
  @Override
  public void close() throws IOException {
    long t0 = System.nanoTime();
    client.stop();
    cluster.stop();
    System.out.printf("YarnCluster: stopped in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    LocalCluster.deleteTree(cluster.getTestWorkDir().toPath());
  }
}
