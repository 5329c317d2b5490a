package org.cellspark.error;

import java.util.Locale;

/**
 * A problem the user can fix: bad input data, a wrong option, a vocabulary or model that does not
 * match. The message names the file, column, gene or cell concerned and says what to do. The CLI
 * maps it to exit code 2; a {@link Bug}, or any other exception, is a bug in Cellspark and maps to
 * exit code 1. Keep what went wrong underneath as the cause ({@link #because}).
 *
 * <p>Thrown on executors too: Spark ships the (serializable) exception back to the driver as the
 * cause of the task failure, where the CLI finds it in the cause chain.
 */
public class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int EXIT_CODE = 2;

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Formats with {@link java.util.Locale#ROOT} so numbers read the same on every machine. */
  public static UserException of(String format, Object... args) {
    return new UserException(String.format(Locale.ROOT, format, args));
  }

  /**
   * As {@link #of}, keeping what went wrong underneath as the cause: the message is the user's, the
   * cause is for the log file and {@code --verbose} (never printed as a trace for a user error).
   */
  public static UserException because(Throwable cause, String format, Object... args) {
    return new UserException(String.format(Locale.ROOT, format, args), cause);
  }

  /** The first {@code UserException} in the cause chain of {@code t}, or null. */
  public static UserException findIn(Throwable t) {
    return (UserException) Causes.first(t, UserException.class::isInstance);
  }
}
