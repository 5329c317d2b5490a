package org.cellspark.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

  /** Starts the server with the given (empty) buckets and waits until it accepts connections. */
  public static S3Server start(Path work, String... buckets) throws IOException, InterruptedException {
    Path jar = Fixtures.repositoryRoot().resolve("spark-jobs/target/s3proxy/s3proxy.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: the build copies it in generate-test-resources (mvn test)");
    }
    Path root = Files.createDirectories(work.resolve("s3-store"));
    for (String b : buckets) {
      Files.createDirectories(root.resolve(b));
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path properties = work.resolve("s3proxy.properties");
    Files.writeString(properties, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + root) + "\n");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xmx256m", "-jar", jar.toString(), "--properties", properties.toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("s3proxy.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        break;
      } catch (IOException notYet) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IllegalStateException("s3proxy did not start; its log: " + Files.readString(work.resolve("s3proxy.log")));
        }
        Thread.sleep(100);
      }
    }
    return new S3Server(p, port, root);
  }

  /** The s3a settings that point Hadoop at this server (path-style access, the endpoint over plain HTTP, static credentials). */
  public Map<String, String> s3aSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.endpoint", "http://127.0.0.1:" + port);
    m.put("fs.s3a.path.style.access", "true");
    m.put("fs.s3a.connection.ssl.enabled", "false");
    m.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
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
