package org.cellspark.jobs.demo;

import org.cellspark.error.UserException;

/**
 * @param workDir folder for the demo's input copy and outputs; the demo replaces its own
 *     sub-folders there on every run
 */
public record DemoOptions(String workDir) {
  public static final String DEFAULT_WORK_DIR = "cellspark-demo";

  public DemoOptions {
    if (workDir == null || workDir.isBlank()) {
      throw new UserException("--workdir must name a folder");
    }
  }
}
