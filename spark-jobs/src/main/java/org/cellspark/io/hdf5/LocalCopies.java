package org.cellspark.io.hdf5;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.cellspark.error.Bug;

/**
 * Whole-file local copies of remote HDF5 files, one per JVM (executor) and file version: the first
 * task to need a file downloads it (into {@code java.io.tmpdir}, which YARN points at the
 * container's own folder), later tasks of the same executor reuse it; the copy is deleted when the
 * JVM exits. A copy is keyed by URI, length and modification time, so a changed file is fetched
 * again.
 */
final class LocalCopies {
  private static final ConcurrentHashMap<String, Path> COPIES = new ConcurrentHashMap<>();

  private LocalCopies() {}

  static Path of(
      String uri, FileStatus status, FileSystem fs, AtomicLong requests, AtomicLong bytes) {
    String key = uri + "\n" + status.getLen() + "\n" + status.getModificationTime();
    return COPIES.computeIfAbsent(
        key,
        k -> {
          try {
            Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "cellspark-hdf5");
            Files.createDirectories(dir);
            String name = status.getPath().getName();
            Path target = dir.resolve(sha1(k) + "-" + name);
            Path partial = dir.resolve(target.getFileName() + ".part");
            try (InputStream in = fs.open(status.getPath())) {
              Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            requests.incrementAndGet();
            bytes.addAndGet(status.getLen());
            Files.move(
                partial,
                target,
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
            target.toFile().deleteOnExit();
            return target;
          } catch (IOException e) {
            throw new UncheckedIOException(
                "Cannot copy " + uri + " to local disk: " + e.getMessage(), e);
          }
        });
  }

  /** Deletes every copy this JVM made (the next open downloads again). */
  static void clear() {
    for (Path p : COPIES.values()) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // best effort: the JVM deletes it on exit anyway
      }
    }
    COPIES.clear();
  }

  private static String sha1(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)))
          .substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new Bug("SHA-1 is missing from this JDK", e);
    }
  }
}
