package org.cellspark.testing;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for tests: Hadoop's own NameNode and one DataNode (MiniDFSCluster, from
 * hadoop-client-minicluster) in this JVM, on free loopback ports, storing blocks in a temporary
 * folder. Clients reach it as any cluster's HDFS, through {@code hdfs://127.0.0.1:PORT/...} paths
 * and Hadoop's HDFS client: block reads from the DataNode, renames and listings by the NameNode.
 */
public final class HdfsCluster implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private HdfsCluster(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  /** Starts the cluster under {@code work} and returns once the DataNode has registered. */
  public static HdfsCluster start(Path work) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.resolve("hdfs").toString());
    // Small blocks, so a fixture atlas spans several and reads cross block boundaries as an
    // atlas's do on a real cluster (whose blocks are 128 MB).
    conf.setLong("dfs.blocksize", 128L << 10);
    conf.setLong("dfs.namenode.fs-limits.min-block-size", 64L << 10);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return new HdfsCluster(cluster);
  }

  /** {@code hdfs://HOST:PORT} followed by {@code path} (which starts with a slash). */
  public String uri(String path) {
    return cluster.getURI() + path;
  }

  /** The cluster's file system, as a client sees it. */
  public FileSystem fileSystem() throws IOException {
    return cluster.getFileSystem();
  }

  /** Copies a local file or folder to {@code path} (which starts with a slash); returns its URI. */
  public String upload(Path local, String path) throws IOException {
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(uri(path));
    fileSystem()
        .copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), target);
    return target.toString();
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
