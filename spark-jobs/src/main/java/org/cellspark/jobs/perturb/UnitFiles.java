package org.cellspark.jobs.perturb;

import java.util.Locale;

/** Names of work-unit checkpoint files. */
final class UnitFiles {
  private UnitFiles() {}

  static String name(int unit) {
    return String.format(Locale.ROOT, "unit-%08d.bin", unit);
  }

  /** The unit number of a finished unit's file name, or -1 for anything else (temporaries). */
  static int unitOf(String fileName) {
    if (!fileName.startsWith("unit-") || !fileName.endsWith(".bin")) {
      return -1;
    }
    try {
      return Integer.parseInt(fileName.substring(5, fileName.length() - 4));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
