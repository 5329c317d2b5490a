package org.cellspark.jobs.common;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;
import org.cellspark.vocab.DictionaryFileReader;

/**
 * A file of named lists, as upstream's Python passes them in dicts (a gene class's genes, a split's
 * donors), from local disk, HDFS or S3: a pickled dict of name to list ({@code .pkl} / {@code
 * .pickle}, read with a restricted unpickler that runs nothing), the same as a JSON object ({@code
 * .json}), or a table of two columns, member then name ({@code .csv}, {@code .tsv}, anything else:
 * comma or tab, {@code #} comments, a header line skipped when its first field is one of {@code
 * headers}; fields in double quotes may hold the separator). Lists keep the file's order; names
 * keep the file's order (a pickle's as the unpickler gives them).
 *
 * @param option the option naming the file, for messages
 * @param what what the lists are, for messages ("a dict of class names to lists of genes")
 * @param row what a table's line holds, for messages ("a gene and its class")
 */
public record NamedLists(String location, String option, String what, String row) {

  /**
   * The lists. A JSON or pickled value that is a single string or number is refused unless its name
   * is in {@code scalars}, where it is read as a list of one.
   */
  public Map<String, List<String>> read(
      Configuration hadoop, Set<String> headers, Set<String> scalars) {
    return parse(bytes(hadoop), headers, scalars);
  }

  /** The lists in {@code content}, the file's bytes (its name says its format). */
  public Map<String, List<String>> parse(byte[] content, Set<String> headers, Set<String> scalars) {
    String lower = location.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".pkl") || lower.endsWith(".pickle")) {
      return fromPickle(content, scalars);
    }
    if (lower.endsWith(".json")) {
      return fromJson(content, scalars);
    }
    return fromTable(new String(content, StandardCharsets.UTF_8), headers);
  }

  /** The file's bytes; refused when it is missing or a folder. */
  public byte[] bytes(Configuration hadoop) {
    try {
      Path p = new Path(location);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.exists(p) || !fs.getFileStatus(p).isFile()) {
        throw UserException.of(
            "%s %s is not a file: give a .pkl, .json or two-column table (%s)",
            option, location, what);
      }
      try (InputStream in = fs.open(p)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw UserException.because(e, "%s %s cannot be read: %s", option, location, e.getMessage());
    }
  }

  private Map<String, List<String>> fromPickle(byte[] content, Set<String> scalars) {
    Object top =
        DictionaryFileReader.unpickle(
            new ByteArrayInputStream(content), location, "The file must be " + what);
    if (!(top instanceof Map<?, ?> map)) {
      throw UserException.of(
          "%s %s holds a %s, not %s",
          option, location, top == null ? "None" : top.getClass().getSimpleName(), what);
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = String.valueOf(e.getKey());
      Object v = e.getValue();
      Collection<?> members =
          v instanceof Collection<?> c
              ? c
              : v instanceof Object[] a
                  ? List.of(a)
                  : scalars.contains(name) && v != null ? List.of(v) : null;
      if (members == null) {
        throw UserException.of(
            "%s %s: '%s' holds a %s, not a list (the file must be %s)",
            option, location, name, v == null ? "None" : v.getClass().getSimpleName(), what);
      }
      out.put(name, members.stream().map(NamedLists::text).toList());
    }
    return out;
  }

  private Map<String, List<String>> fromJson(byte[] content, Set<String> scalars) {
    JsonObject top;
    try {
      JsonElement e = JsonParser.parseString(new String(content, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw UserException.of("%s %s: expected a JSON object, %s", option, location, what);
      }
      top = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw UserException.because(
          e, "%s %s is not valid JSON: %s", option, location, e.getMessage());
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : top.entrySet()) {
      JsonElement v = e.getValue();
      List<String> members = new ArrayList<>();
      if (v.isJsonArray()) {
        v.getAsJsonArray().forEach(m -> members.add(m.getAsString()));
      } else if (v.isJsonPrimitive() && scalars.contains(e.getKey())) {
        members.add(v.getAsString());
      } else {
        throw UserException.of(
            "%s %s: '%s' is not a list (the file must be %s)", option, location, e.getKey(), what);
      }
      out.put(e.getKey(), members);
    }
    return out;
  }

  private Map<String, List<String>> fromTable(String text, Set<String> headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      List<String> fields = fields(line, line.contains("\t") ? '\t' : ',');
      if (out.isEmpty() && headers.contains(fields.get(0).strip().toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (fields.size() < 2 || fields.get(0).isBlank() || fields.get(1).isBlank()) {
        throw UserException.of(
            "%s %s line %d (%s): expected %s, separated by a comma or a tab",
            option, location, i + 1, line, row);
      }
      out.computeIfAbsent(fields.get(1).strip(), k -> new ArrayList<>()).add(fields.get(0).strip());
    }
    return out;
  }

  /**
   * A line's fields: split at {@code separator} outside double quotes, a quoted field's quotes
   * removed and its doubled quotes made single (as Cellspark's own CSV files quote a field holding
   * a comma, a quote or a line break).
   */
  static List<String> fields(String line, char separator) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == separator) {
        out.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    out.add(field.toString());
    return out;
  }

  /** A member as text: a whole number without a decimal point (a donor ID 1447, not 1447.0). */
  private static String text(Object v) {
    if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return String.valueOf(d.longValue());
    }
    return String.valueOf(v);
  }
}
