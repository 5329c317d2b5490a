package org.cellspark.files;

import java.io.FileNotFoundException;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;

/**
 * Local copies of files and folders that live on a Hadoop file system (s3a://, gs://, hdfs://...),
 * for what must be read from local disk: HDF5 files read whole ({@code
 * spark.cellspark.hdf5.remote=copy}), and model and vocabulary folders (libtorch and the pickle
 * reader open local files). One copy per JVM (an executor, or the driver) and version: the first
 * task to need it downloads it into {@code java.io.tmpdir} (YARN points that at the container's own
 * folder), later ones reuse it, and it is deleted when the JVM exits. A version is the remote
 * files' names, lengths and modification times, so a changed file is fetched again. A copy is
 * written under a name of its own and moved into place whole: a task never reads half of one.
 */
public final class RemoteCopies {
  private static final ConcurrentHashMap<String, Path> COPIES = new ConcurrentHashMap<>();

  private RemoteCopies() {}

  /**
   * A local copy of the remote file {@code uri} as {@code status} describes it, counting the
   * request and bytes fetched.
   */
  public static Path file(
      String uri, FileStatus status, FileSystem fs, AtomicLong requests, AtomicLong bytes) {
    String key = uri + "\n" + status.getLen() + "\n" + status.getModificationTime();
    return COPIES.computeIfAbsent(
        key,
        k -> {
          try {
            Path dir = Files.createDirectories(root());
            Path target = dir.resolve(sha1(k) + "-" + status.getPath().getName());
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

  /**
   * A local copy of the model or vocabulary at {@code location} ({@code what} names it in messages:
   * "Model", "Vocabulary folder"): for a folder, the files directly in it (a model's config and
   * weights, a vocabulary's dictionaries; subfolders such as training checkpoints are left where
   * they are); for a file (a TorchScript model), the file and the {@code config.json} beside it, if
   * any; for a sharded checkpoint's index ({@code *.index.json}), the files beside it, as for its
   * folder. The copy has the remote folder's (or file's) name.
   */
  public static Path folderOrFile(String location, Configuration conf, String what) {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
    List<FileStatus> files = new ArrayList<>();
    boolean folder;
    try {
      FileSystem fs = FileSystems.of(path, conf);
      FileStatus status;
      try {
        status = fs.getFileStatus(path);
      } catch (FileNotFoundException e) {
        throw UserException.because(e, "%s %s does not exist", what, location);
      }
      folder = status.isDirectory();
      if (folder) {
        for (FileStatus f : fs.listStatus(path)) {
          if (f.isFile()) {
            files.add(f);
          }
        }
      } else if (path.getName().endsWith(".index.json")) {
        // A sharded checkpoint's index: its shards (and config.json) are the files beside it.
        for (FileStatus f : fs.listStatus(path.getParent())) {
          if (f.isFile()) {
            files.add(f);
          }
        }
      } else {
        files.add(status);
        org.apache.hadoop.fs.Path config =
            new org.apache.hadoop.fs.Path(path.getParent(), "config.json");
        if (!config.equals(path) && fs.exists(config)) {
          files.add(fs.getFileStatus(config));
        }
      }
      files.sort(Comparator.comparing(f -> f.getPath().getName()));
      StringBuilder version = new StringBuilder(location);
      for (FileStatus f : files) {
        version
            .append('\n')
            .append(f.getPath().getName())
            .append(' ')
            .append(f.getLen())
            .append(' ')
            .append(f.getModificationTime());
      }
      Path copy =
          COPIES.computeIfAbsent(version.toString(), k -> download(fs, files, k, path.getName()));
      return folder ? copy : copy.resolve(path.getName());
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read %s %s: %s", lower(what), location, FileSystemHints.explain(location, e));
    } catch (UncheckedIOException e) {
      throw UserException.because(
          e.getCause(),
          "Cannot copy %s %s to local disk (%s): %s",
          lower(what),
          location,
          System.getProperty("java.io.tmpdir"),
          FileSystemHints.explain(location, e.getCause()));
    }
  }

  /** "Model" as it reads within a sentence. */
  private static String lower(String what) {
    return Character.toLowerCase(what.charAt(0)) + what.substring(1);
  }

  /** Downloads {@code files} into a folder named {@code name}, moved into place when complete. */
  private static Path download(FileSystem fs, List<FileStatus> files, String version, String name) {
    try {
      Path dir = Files.createDirectories(root().resolve(sha1(version)));
      Path target = dir.resolve(name);
      Path partial = Files.createTempDirectory(dir, name + ".part");
      try {
        for (FileStatus f : files) {
          try (InputStream in = fs.open(f.getPath())) {
            Files.copy(in, partial.resolve(f.getPath().getName()));
          }
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        deleteTree(partial); // no half copy left on a full disk
        throw e;
      }
      // Deleted at exit in the reverse order of registration: the files, then the folders.
      dir.toFile().deleteOnExit();
      target.toFile().deleteOnExit();
      try (var copied = Files.list(target)) {
        copied.forEach(p -> p.toFile().deleteOnExit());
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes every copy this JVM made (the next use downloads again). */
  public static void clear() {
    for (Path p : COPIES.values()) {
      try {
        if (Files.isDirectory(p)) {
          deleteTree(p);
        } else {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        // best effort: the JVM deletes it on exit anyway
      }
    }
    COPIES.clear();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static volatile Path root;

  /**
   * This JVM's own folder for copies, named after its process: JVMs sharing a temporary folder
   * (runs side by side on one machine) never use, or delete on exit, each other's. A JVM that was
   * killed deleted nothing (a model copy is a gigabyte); the folders of processes no longer running
   * are deleted here, by the next JVM to make copies on the machine.
   */
  private static Path root() {
    if (root == null) {
      synchronized (RemoteCopies.class) {
        if (root == null) {
          try {
            Path base =
                Files.createDirectories(
                    Paths.get(System.getProperty("java.io.tmpdir"), "cellspark-copies"));
            deleteLeftBehind(base);
            Path own =
                Files.createTempDirectory(base, "jvm-" + ProcessHandle.current().pid() + "-");
            own.toFile().deleteOnExit(); // registered first: deleted last, once emptied
            root = own;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }
    return root;
  }

  /** Deletes the copy folders under {@code base} whose process ({@code jvm-PID-...}) has ended. */
  static void deleteLeftBehind(Path base) {
    try (var folders = Files.list(base)) {
      for (Path folder : folders.toList()) {
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("jvm-(\\d+)-.*")
                .matcher(folder.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          try {
            deleteTree(folder);
          } catch (IOException e) {
            // another JVM deleting it too, or not ours to delete: left as it is
          }
        }
      }
    } catch (IOException e) {
      // the copies still work without the cleaning
    }
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
