package org.cellspark.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3-compatible server for tests: s3proxy (copied to target/s3proxy by the build) in its own
 * JVM on a free loopback port, storing objects in a temporary folder (a bucket is a sub-folder).
 * Its own JVM because s3proxy's Jetty 12 and Jackson 3 clash with Spark's on one classpath.
 */
public final class S3Server implements AutoCloseable {
  public static final String ACCESS_KEY = "test-access";
  public static final String SECRET_KEY = "test-secret";

  private final Process process;
  private final int port;
  private final Path root;

  private S3Server(Process process, int port, Path root) {
    this.process = process;
    this.port = port;
    this.root = root;
  }

  /**
   * Jetty's line for the connector it started: "Started ...ServerConnector@...{HTTP/1.1,
   * ...}{127.0.0.1:PORT}".
   */
  private static final Pattern BOUND =
      Pattern.compile("Started \\S*ServerConnector@\\S*\\{[^}]*\\}\\{127\\.0\\.0\\.1:(\\d+)\\}");

  /**
   * Starts the server with the given (empty) buckets and returns once it listens (on the port its
   * log names).
   */
  public static S3Server start(Path work, String... buckets)
      throws IOException, InterruptedException {
    // Where this build put it (Maven says, as a build for Spark 4.0 builds under target/spark-4.0),
    // else the default build's place (a benchmark run outside Maven).
    String built = System.getProperty("s3proxy.jar");
    Path jar =
        built != null
            ? Path.of(built)
            : Fixtures.repositoryRoot().resolve("spark-jobs/target/s3proxy/s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          jar + " is missing: the build copies it in generate-test-resources (mvn test)");
    }
    Path root = Files.createDirectories(work.resolve("s3-store"));
    for (String b : buckets) {
      Files.createDirectories(root.resolve(b));
    }
    // Port 0: the server binds a free port itself and its log says which (picking a free port here
    // and passing it on would leave a moment in which another process can take it).
    Path properties = work.resolve("s3proxy.properties");
    Files.writeString(
        properties,
        String.join(
                "\n",
                "s3proxy.endpoint=http://127.0.0.1:0",
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + root)
            + "\n");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path log = work.resolve("s3proxy.log");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "-Xmx256m",
                "-jar",
                jar.toString(),
                "--properties",
                properties.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int port = -1;
    while (port < 0) {
      Matcher bound = BOUND.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (bound.find()) {
        port = Integer.parseInt(bound.group(1));
      } else if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IllegalStateException("s3proxy did not start; its log: " + Files.readString(log));
      } else {
        Thread.sleep(100);
      }
    }
    return new S3Server(p, port, root);
  }

  /**
   * The s3a settings that point Hadoop at this server (path-style access, the endpoint over plain
   * HTTP, static credentials).
   */
  public Map<String, String> s3aSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.endpoint", "http://127.0.0.1:" + port);
    m.put("fs.s3a.path.style.access", "true");
    m.put("fs.s3a.connection.ssl.enabled", "false");
    m.put(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    m.put("fs.s3a.access.key", ACCESS_KEY);
    m.put("fs.s3a.secret.key", SECRET_KEY);
    m.put("fs.s3a.endpoint.region", "us-east-1");
    m.put("fs.s3a.attempts.maximum", "2");
    m.put("fs.s3a.retry.limit", "2");
    // Each server has its own port: a cached FileSystem would keep talking to an earlier one.
    m.put("fs.s3a.impl.disable.cache", "true");
    return m;
  }

  public void configure(Configuration conf) {
    s3aSettings().forEach(conf::set);
  }

  /** Where the server keeps a bucket's objects (for checks that bypass S3). */
  public Path bucketFolder(String bucket) {
    return root.resolve(bucket);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
