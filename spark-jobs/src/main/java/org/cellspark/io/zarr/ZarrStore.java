package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;

/**
 * A zarr store kept as a folder of files on any Hadoop file system (local, {@code s3a://}, {@code
 * gs://}, {@code hdfs://}): each key (".zattrs", "X/data/0") is a file below the root, and a key
 * with no file is absent (a chunk never written reads as the array's fill value).
 *
 * <p>Nodes (groups and arrays, named by their path: "obs", "X/data"; the root is "") are described
 * as the store's zarr format does: format 2 with a {@code .zgroup} or {@code .zarray} file and
 * attributes in {@code .zattrs}; format 3 (what zarr-python 3 writes, and anndata when asked, as
 * SpatialData does) with one {@code zarr.json} per node holding its kind, its array metadata and
 * its attributes. The format is the root's.
 */
final class ZarrStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String V3_METADATA = "zarr.json";

  private final FileSystem fs;
  private final Path root;

  /** How messages name the store (the user's spelling of it). */
  private final String name;

  /** 3 when the root has a zarr.json, else 2. */
  private final int format;

  /** Format 3's zarr.json documents read so far, by node (the stores read are never written). */
  private final Map<String, JsonNode> v3Nodes = new ConcurrentHashMap<>();

  private ZarrStore(FileSystem fs, Path root, String name) {
    this.fs = fs;
    this.root = root;
    this.name = name;
    this.format = exists(V3_METADATA) ? 3 : 2;
  }

  static ZarrStore open(String uri, String name, Configuration conf) {
    Path root = new Path(uri);
    try {
      return new ZarrStore(root.getFileSystem(conf), root, name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + uri, e);
    }
  }

  String name() {
    return name;
  }

  /** The store's zarr format: 2 or 3. */
  int format() {
    return format;
  }

  /** Whether {@code node} is a group. */
  boolean isGroup(String node) {
    return format == 3
        ? "group".equals(v3(node).path("node_type").asText())
        : exists(key(node, ".zgroup"));
  }

  /** Whether {@code node} is an array. */
  boolean isArray(String node) {
    return arrayMetadata(node) != null;
  }

  /**
   * An array's metadata: format 2's {@code .zarray}, or format 3's {@code zarr.json}; null when
   * {@code node} is not an array.
   */
  JsonNode arrayMetadata(String node) {
    if (format == 2) {
      return json(key(node, ".zarray"));
    }
    JsonNode meta = v3(node);
    return "array".equals(meta.path("node_type").asText()) ? meta : null;
  }

  /** A node's attributes; null when the store has no such node (or it has none, format 2). */
  JsonNode attributes(String node) {
    if (format == 2) {
      return json(key(node, ".zattrs"));
    }
    JsonNode meta = v3(node);
    return meta.isMissingNode() ? null : meta.path("attributes");
  }

  /**
   * Format 3's zarr.json of {@code node}; a missing node when there is none. Read once per store
   * object: a node's kind, metadata and attributes are all in it, and opening an array or a
   * dataframe asks for two of them (one request each on an object store otherwise).
   */
  private JsonNode v3(String node) {
    return v3Nodes.computeIfAbsent(
        node,
        n -> {
          JsonNode meta = json(key(n, V3_METADATA));
          return meta == null ? MissingNode.getInstance() : meta;
        });
  }

  private static String key(String node, String file) {
    return node.isEmpty() ? file : node + "/" + file;
  }

  boolean exists(String key) {
    try {
      return fs.exists(path(key));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path(key), e);
    }
  }

  /** The groups and arrays directly below {@code key} (folders), sorted; none when absent. */
  List<String> children(String key) {
    Path p = path(key);
    try {
      List<String> out = new ArrayList<>();
      for (FileStatus s : fs.listStatus(p)) {
        if (s.isDirectory()) {
          out.add(s.getPath().getName());
        }
      }
      out.sort(null);
      return out;
    } catch (FileNotFoundException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + p, e);
    }
  }

  /** The key's bytes; null when the store has no such key. */
  byte[] bytes(String key) {
    Path p = path(key);
    try (FSDataInputStream in = fs.open(p)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  /** The key's length in bytes; -1 when the store has no such key. */
  long length(String key) {
    Path p = path(key);
    try {
      return fs.getFileStatus(p).getLen();
    } catch (FileNotFoundException e) {
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  /**
   * Bytes {@code [offset, offset + length)} of a key that exists (a shard's index, one of its inner
   * chunks): a ranged read, so a shard is never held whole.
   */
  byte[] range(String key, long offset, int length) {
    Path p = path(key);
    byte[] out = new byte[length];
    try (FSDataInputStream in = fs.open(p)) {
      in.readFully(offset, out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  /** The key's JSON document (".zarray", ".zattrs"); null when absent. */
  JsonNode json(String key) {
    Path p = path(key);
    try (InputStream in = fs.open(p)) {
      return JSON.readTree(in);
    } catch (FileNotFoundException e) {
      return null;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw UserException.because(
          e,
          "Input %s: %s is not JSON (%s); the store is damaged or was not written by zarr. Copy it"
              + " again.",
          name,
          key,
          e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  private Path path(String key) {
    return new Path(root, key);
  }
}
