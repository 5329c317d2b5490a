package org.cellspark.io;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.cellspark.error.UserException;
import org.cellspark.files.FileNameEncoding;
import org.cellspark.files.FileSystemHints;
import org.cellspark.files.FileSystems;

/**
 * Expands the user's input specs (files, folders, globs, comma-separated lists) into the ordered
 * list of files to read, as Spark's file sources do: a folder means the files in it with the
 * format's extension (not recursive), results sorted by name, duplicates dropped. A spec naming a
 * file or folder that exists is that one even if its name holds glob characters.
 */
public final class InputFiles {
  private InputFiles() {}

  /**
   * One input file: its full URI (percent-encoded: a space is %20) and how the user named it (for
   * messages).
   */
  public record InputFile(String uri, String name) implements Serializable {
    /**
     * The file name without folder and extension: the cell-ID prefix when several files are read.
     */
    public String stem() {
      String file = hadoopPath().getName();
      int dot = file.lastIndexOf('.');
      return dot > 0 ? file.substring(0, dot) : file;
    }

    /** The file as a Hadoop path, made from the URI (so that "%20" is a space in the name). */
    public org.apache.hadoop.fs.Path hadoopPath() {
      return new org.apache.hadoop.fs.Path(URI.create(uri));
    }

    /**
     * The file as Spark and Hadoop take a path string (not percent-encoded: {@code new
     * Path(location())} is the file, where {@code new Path(uri())} would name one with "%20" in
     * it).
     */
    public String location() {
      return hadoopPath().toString();
    }

    /** The local path of a {@code file:} URI; other schemes are not readable by jHDF directly. */
    public Path localPath() {
      URI u = URI.create(uri);
      if (u.getScheme() == null || "file".equals(u.getScheme())) {
        // The decoded path, not Paths.get(URI): that refuses a URI whose path holds characters
        // outside ASCII as they are ("Bad escape" for a folder named "Müller"), which
        // Hadoop's URIs do.
        return Paths.get(u.getPath());
      }
      throw UserException.of(
          "Input %s is on %s://, which the HDF5 reader cannot open yet; copy it to a local or"
              + " shared disk first",
          name, u.getScheme());
    }
  }

  public static List<InputFile> expand(List<String> specs, String extension, Configuration conf) {
    Set<String> seen = new LinkedHashSet<>();
    List<InputFile> out = new ArrayList<>();
    for (String raw : specs) {
      for (String spec : raw.split(",", -1)) {
        spec = spec.trim();
        if (spec.isEmpty()) {
          continue;
        }
        for (FileStatus s : expandOne(spec, extension, conf)) {
          String uri = uri(s);
          if (seen.add(uri)) {
            out.add(
                new InputFile(uri, spec.equals(s.getPath().toString()) ? spec : displayName(s)));
          }
        }
      }
    }
    if (out.isEmpty()) {
      throw UserException.of("No input given; pass --input <file|folder|glob>[,...]");
    }
    return out;
  }

  /**
   * The files directly in folder {@code spec} whose names end with one of {@code extensions},
   * sorted by name.
   */
  public static List<InputFile> list(String spec, Configuration conf, String... extensions) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(spec);
    try {
      List<InputFile> out = new ArrayList<>();
      FileSystem fs = FileSystems.of(p, conf);
      requireReadableNames(fs, p);
      for (FileStatus f : fs.listStatus(p)) {
        String name = f.getPath().getName();
        if (f.isFile() && Arrays.stream(extensions).anyMatch(name::endsWith)) {
          out.add(new InputFile(uri(f), displayName(f)));
        }
      }
      out.sort((a, b) -> a.uri().compareTo(b.uri()));
      return out;
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot list input %s: %s", spec, FileSystemHints.explain(spec, e));
    }
  }

  /** A local folder's names, checked where the JVM cannot decode every name (FileNameEncoding). */
  private static void requireReadableNames(FileSystem fs, org.apache.hadoop.fs.Path folder) {
    if ("file".equals(fs.getScheme())) {
      FileNameEncoding.requireReadableNames(new java.io.File(folder.toUri().getPath()));
    }
  }

  /**
   * The file's URI in one spelling whichever way it was found: Hadoop's globbing names a local file
   * {@code file:///tmp/a.h5ad} for the pattern {@code file:/tmp/*.h5ad}, where looking the file up
   * names it {@code file:/tmp/a.h5ad}, and files are matched by URI between the job and the data
   * source that reads them (each cell's source file).
   */
  private static String uri(FileStatus s) {
    URI u = s.getPath().toUri();
    String authority =
        u.getAuthority() == null || u.getAuthority().isEmpty() ? null : u.getAuthority();
    return new org.apache.hadoop.fs.Path(u.getScheme(), authority, u.getPath()).toUri().toString();
  }

  private static String displayName(FileStatus s) {
    URI u = s.getPath().toUri();
    return "file".equals(u.getScheme()) ? u.getPath() : u.toString();
  }

  private static List<FileStatus> expandOne(String spec, String extension, Configuration conf) {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(spec);
    try {
      FileSystem fs = FileSystems.of(p, conf);
      FileStatus[] matches = PathGlobs.matches(fs, p);
      if (matches == null || matches.length == 0) {
        // A file whose name the JVM cannot decode is not matched: say so rather than "not there".
        org.apache.hadoop.fs.Path folder = p.getParent();
        while (folder != null && PathGlobs.hasGlob(folder.toString())) {
          folder = folder.getParent();
        }
        if (folder != null && fs.exists(folder) && fs.getFileStatus(folder).isDirectory()) {
          requireReadableNames(fs, folder);
        }
        throw UserException.of(
            "Input %s does not exist%s",
            spec,
            PathGlobs.hasGlob(spec)
                ? " (no file or folder has that name, and as a pattern it matches nothing"
                    + PathGlobs.escapeHint(fs, p)
                    + ")"
                : "");
      }
      List<FileStatus> files = new ArrayList<>();
      for (FileStatus m : matches) {
        if (m.isDirectory()) {
          requireReadableNames(fs, m.getPath());
          FileStatus[] inside = fs.listStatus(m.getPath());
          List<FileStatus> found = new ArrayList<>();
          for (FileStatus f : inside) {
            if (f.isFile() && f.getPath().getName().endsWith(extension)) {
              found.add(f);
            }
          }
          if (found.isEmpty()) {
            throw UserException.of("Input folder %s holds no %s files", spec, extension);
          }
          files.addAll(found);
        } else {
          files.add(m);
        }
      }
      files.sort((a, b) -> a.getPath().toString().compareTo(b.getPath().toString()));
      return files;
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot list input %s: %s", spec, FileSystemHints.explain(spec, e));
    }
  }
}
