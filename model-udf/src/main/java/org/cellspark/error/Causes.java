package org.cellspark.error;

import java.util.function.Predicate;

/**
 * An exception's cause chain, walked once here for every caller: Spark wraps what a task threw
 * several levels deep (and passes executors' errors on as text in the messages).
 */
public final class Causes {
  private Causes() {}

  /** The first of {@code t} and its causes that {@code matches}, or null; stops at a self-cause. */
  public static Throwable first(Throwable t, Predicate<Throwable> matches) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (matches.test(c)) {
        return c;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }
}
