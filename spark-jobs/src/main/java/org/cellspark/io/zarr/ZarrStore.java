package org.cellspark.io.zarr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
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
 */
final class ZarrStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path root;

  /** How messages name the store (the user's spelling of it). */
  private final String name;

  private ZarrStore(FileSystem fs, Path root, String name) {
    this.fs = fs;
    this.root = root;
    this.name = name;
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
