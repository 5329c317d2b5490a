package org.cellspark.cli;

/**
 * A command that failed while running as a cluster driver ({@code spark-submit --deploy-mode
 * cluster}), thrown out of {@link Main#main} so that the platform marks the application failed and
 * reports this message (YARN's diagnostics, EMR's step failure reason). A refusal of the input or
 * options carries only its one-line message, without a stack trace of its own; a bug carries its
 * cause, trace and all.
 */
public final class CommandFailedException extends RuntimeException {
  private final int exitCode;

  CommandFailedException(int exitCode, String message, Throwable bug) {
    super(
        message,
        bug,
        false,
        bug != null); // no trace of this frame for a refusal: the message says it all
    this.exitCode = exitCode;
  }

  /**
   * The exit code the same command would have had outside a cluster driver: 2 input or options, 1 a
   * bug.
   */
  public int exitCode() {
    return exitCode;
  }
}
