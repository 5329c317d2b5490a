package org.cellspark.vocab;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cellspark.error.GitLfsPointer;
import org.cellspark.error.UserException;
import org.cellspark.pickle.AllowListUnpickler;

/**
 * Reads one dictionary file of a vocabulary folder into an ordered map of string keys to values:
 * Geneformer's {@code .pkl} (a pickled {@code dict}) or a two-column {@code .tsv}.
 *
 * <p>Pickle values come back as {@code Long}, {@code Double}, {@code Boolean} or {@code String};
 * TSV values as {@code String}. The typed checks (token ids are integers, medians positive, ...)
 * belong to {@link VocabularyLoader}, which knows what each file should hold.
 */
public final class DictionaryFileReader {
  private DictionaryFileReader() {}

  public static Map<String, Object> read(Path file) {
    String name = file.getFileName().toString();
    if (name.endsWith(".pkl") || name.endsWith(".pickle")) {
      return readPickle(file);
    }
    if (name.endsWith(".tsv")) {
      return readTsv(file);
    }
    throw UserException.of(
        "%s: unknown dictionary format; use a Geneformer .pkl file or a two-column .tsv file",
        file);
  }

  static Map<String, Object> readPickle(Path file) {
    Object top;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      top =
          unpickle(
              in,
              file.toString(),
              "A vocabulary pickle must be a plain dict of strings to numbers or strings, as"
                  + " Geneformer ships; re-create it with pickle.dump(dict(...)) or use a .tsv"
                  + " file.");
    } catch (IOException e) {
      throw UserException.because(e, "%s: cannot be read: %s", file, e.getMessage());
    }
    if (!(top instanceof Map<?, ?> map)) {
      throw UserException.of(
          "%s: the pickle holds a %s, not a dict; a vocabulary pickle must be a dict",
          file, pythonTypeName(top));
    }
    Map<String, Object> out = new LinkedHashMap<>(map.size() * 2);
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key)) {
        throw UserException.of(
            "%s: dict key %s is a %s; vocabulary keys must be strings",
            file, e.getKey(), pythonTypeName(e.getKey()));
      }
      out.put(key, plainValue(file, key, e.getValue()));
    }
    return out;
  }

  /**
   * A Python pickle of plain data (dicts, lists, tuples, sets, strings, numbers; numpy scalars),
   * read without running anything it names; anything else is refused.
   *
   * @param file the file's name, for messages
   * @param refusal what the user should know when the pickle holds something refused
   */
  public static Object unpickle(InputStream in, String file, String refusal) {
    try {
      InputStream marked = in.markSupported() ? in : new BufferedInputStream(in);
      marked.mark(64);
      byte[] head = marked.readNBytes(64);
      if (GitLfsPointer.is(head, head.length)) {
        throw GitLfsPointer.refusal(file);
      }
      marked.reset();
      return new RestrictedUnpickler().load(marked);
    } catch (AllowListUnpickler.RefusedPickleException e) {
      throw UserException.because(
          e, "%s: refused to read this pickle: %s. %s", file, e.getMessage(), refusal);
    } catch (EOFException e) {
      throw UserException.because(
          e, "%s: the pickle ends early (truncated file?); copy it again", file);
    } catch (UserException e) {
      throw e; // said already (a Git LFS pointer)
    } catch (IOException | RuntimeException e) {
      throw UserException.because(
          e,
          "%s: not a readable Python pickle (%s); check that it is one of Geneformer's .pkl"
              + " files",
          file,
          e.getMessage());
    }
  }

  private static Object plainValue(Path file, String key, Object v) {
    if (v instanceof Integer i) {
      return (long) i;
    }
    if (v instanceof Long || v instanceof Double || v instanceof String || v instanceof Boolean) {
      return v;
    }
    if (v instanceof Float f) {
      return (double) f;
    }
    if (v instanceof BigInteger) {
      throw UserException.of("%s: the value of '%s' (%s) does not fit in 64 bits", file, key, v);
    }
    throw UserException.of(
        "%s: the value of '%s' is a %s; vocabulary values must be numbers or strings",
        file, key, pythonTypeName(v));
  }

  private static String pythonTypeName(Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof List<?>) {
      return "list";
    }
    if (o instanceof Object[]) {
      return "tuple";
    }
    if (o instanceof Set<?>) {
      return "set";
    }
    return o.getClass().getSimpleName();
  }

  /**
   * Two tab-separated columns, key then value, UTF-8; blank lines and lines starting with '#' are
   * skipped (our own writers put the column names on a '#' line).
   */
  static Map<String, Object> readTsv(Path file) {
    Map<String, Object> out = new LinkedHashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int tab = line.indexOf('\t');
        if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
          throw UserException.of(
              "%s line %d: expected two tab-separated columns (key, value), found '%s'",
              file, lineNo, abbreviate(line));
        }
        String key = line.substring(0, tab);
        String value = line.substring(tab + 1);
        if (out.put(key, value) != null) {
          throw UserException.of("%s line %d: key '%s' appears twice", file, lineNo, key);
        }
      }
    } catch (MalformedInputException e) {
      throw UserException.because(e, "%s: not UTF-8 text; a .tsv dictionary must be UTF-8", file);
    } catch (IOException e) {
      throw UserException.because(e, "%s: cannot read (%s)", file, e.getMessage());
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
