package org.cellspark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pipeline literals of conf/airflow/cellspark_jobs.py ({@code PIPELINE}, a list of job names,
 * and {@code JOBS}, a dict of job name to argument list), read without Python: the file keeps them
 * as plain literals of double-quoted strings for this reason, so tests can run the very command
 * lines the DAGs submit.
 */
record AirflowJobs(List<String> pipeline, Map<String, List<String>> jobs) {
  private static final Pattern TOKEN =
      Pattern.compile("\\s*(?:#[^\\n]*|(\"[^\"\\\\]*\")|([\\[\\]{}:,]))");

  static AirflowJobs read(Path file) throws IOException {
    String text = Files.readString(file);
    List<String> pipeline = new ArrayList<>();
    for (Object o : (List<?>) literal(text, "PIPELINE")) {
      pipeline.add((String) o);
    }
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    ((Map<?, ?>) literal(text, "JOBS"))
        .forEach(
            (k, v) -> {
              List<String> args = new ArrayList<>();
              ((List<?>) v).forEach(a -> args.add((String) a));
              jobs.put((String) k, args);
            });
    return new AirflowJobs(pipeline, jobs);
  }

  /** The job's arguments with each {@code {{ params.NAME }}} replaced by {@code params}' value. */
  List<String> args(String job, Map<String, String> params) {
    List<String> out = new ArrayList<>();
    for (String a : jobs.get(job)) {
      for (Map.Entry<String, String> p : params.entrySet()) {
        a = a.replace("{{ params." + p.getKey() + " }}", p.getValue());
      }
      if (a.contains("{{")) {
        throw new IllegalArgumentException(
            "job " + job + ": no value for the template in '" + a + "'");
      }
      out.add(a);
    }
    return out;
  }

  private static Object literal(String text, String name) {
    Matcher start = Pattern.compile("(?m)^" + name + "\\s*=\\s*").matcher(text);
    if (!start.find()) {
      throw new IllegalStateException("cellspark_jobs.py has no literal " + name);
    }
    return new Parser(text, start.end()).value(0);
  }

  /**
   * Lists, dicts and double-quoted strings without escapes; comments and trailing commas allowed.
   */
  private static final class Parser {
    private final Matcher m;
    private String token;

    Parser(String text, int from) {
      m = TOKEN.matcher(text);
      m.region(from, text.length());
      advance();
    }

    private void advance() {
      do {
        if (!m.lookingAt()) {
          throw new IllegalStateException(
              "cellspark_jobs.py: not a plain literal at offset " + m.regionStart());
        }
        token = m.group(1) != null ? m.group(1) : m.group(2);
        m.region(m.end(), m.regionEnd());
      } while (token == null); // a comment
    }

    /**
     * The value at the current token; past it unless it ends the literal ({@code depth} 0: Python
     * code may follow).
     */
    Object value(int depth) {
      if (token.startsWith("\"")) {
        String s = token.substring(1, token.length() - 1);
        if (depth > 0) {
          advance();
        }
        return s;
      }
      String open = token;
      String close = open.equals("[") ? "]" : open.equals("{") ? "}" : null;
      if (close == null) {
        throw new IllegalStateException("cellspark_jobs.py: unexpected '" + token + "'");
      }
      advance();
      List<Object> items = new ArrayList<>();
      Map<Object, Object> entries = new LinkedHashMap<>();
      while (!token.equals(close)) {
        Object v = value(depth + 1);
        if (open.equals("{")) {
          expect(":");
          entries.put(v, value(depth + 1));
        } else {
          items.add(v);
        }
        if (token.equals(",")) {
          advance();
        }
      }
      if (depth > 0) {
        advance();
      }
      return open.equals("{") ? entries : items;
    }

    private void expect(String t) {
      if (!token.equals(t)) {
        throw new IllegalStateException(
            "cellspark_jobs.py: expected '" + t + "', found '" + token + "'");
      }
      advance();
    }
  }
}
