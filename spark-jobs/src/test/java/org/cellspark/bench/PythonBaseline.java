package org.cellspark.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs a benchmark's Python baseline with /usr/bin/python3 and returns its result line. */
final class PythonBaseline {
  private PythonBaseline() {}

  /**
   * The output line starting with {@code prefix}; the whole output in the exception when the script
   * fails.
   */
  static String run(String prefix, String script, String... args) throws Exception {
    String out = String.join("\n", lines(script, args));
    return out.lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException(script + " printed no '" + prefix + "' line:\n" + out));
  }

  /** Every line the script printed; the whole output in the exception when it fails. */
  static List<String> lines(String script, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        out.append(line).append('\n');
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException(script + " failed:\n" + out);
    }
    return out.toString().lines().toList();
  }
}
