package org.cellspark.jobs.common;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.UserException;

/**
 * What is wrong with a job's options, collected by its one validation so that a user sees every
 * problem at once, in one format for every job: the problem itself when there is one, else "Invalid
 * options:" and one line per problem.
 */
public final class OptionProblems {
  private final List<String> problems = new ArrayList<>();

  /** Records a problem (a sentence naming the option and what it takes). */
  public void add(String problem) {
    problems.add(problem);
  }

  /** Records {@code problem} when {@code value} is missing or blank. */
  public void requireValue(String value, String problem) {
    if (value == null || value.isBlank()) {
      problems.add(problem);
    }
  }

  /** Refuses the options when any problem was recorded. */
  public void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new UserException(
          problems.size() == 1
              ? problems.get(0)
              : "Invalid options:\n  - " + String.join("\n  - ", problems));
    }
  }
}
