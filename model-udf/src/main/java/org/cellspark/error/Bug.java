package org.cellspark.error;

import java.util.Locale;

/**
 * Something Cellspark's own code guarantees did not hold: an invariant between two of its parts, a
 * resource missing from its jar, a JDK algorithm every Java 17 has. Not the user's to fix; the CLI
 * reports it as a bug (exit code 1, with the trace and the log file for the report). Throw it where
 * the code knows the failure is its own; an exception from a library that Cellspark did not turn
 * into a {@link UserException} is reported the same way, since nothing told it apart.
 */
public class Bug extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int EXIT_CODE = 1;

  public Bug(String message) {
    super(message);
  }

  public Bug(String message, Throwable cause) {
    super(message, cause);
  }

  /** Formats with {@link java.util.Locale#ROOT}. */
  public static Bug of(String format, Object... args) {
    return new Bug(String.format(Locale.ROOT, format, args));
  }

  /** The first {@code Bug} in the cause chain of {@code t}, or null. */
  public static Bug findIn(Throwable t) {
    return (Bug) Causes.first(t, Bug.class::isInstance);
  }
}
