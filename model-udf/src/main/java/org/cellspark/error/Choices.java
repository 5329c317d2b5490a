package org.cellspark.error;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A user's spelling of one of an enum's values (an option such as {@code --pooling cls}): matched
 * by its label, case aside, or by its constant's name with dashes for underscores; anything else is
 * refused with the option, the spelling and the values it takes.
 */
public final class Choices {
  private Choices() {}

  /** {@code spelling} as one of {@code accepted}, each spelled {@code label}. */
  public static <E extends Enum<E>> E parse(
      String option, String spelling, E[] accepted, Function<E, String> label) {
    String s = spelling == null ? "" : spelling.trim();
    for (E e : accepted) {
      if (label.apply(e).equalsIgnoreCase(s) || e.name().equalsIgnoreCase(s.replace('-', '_'))) {
        return e;
      }
    }
    throw UserException.of(
        "%s '%s' is not one of %s",
        option, spelling, Arrays.stream(accepted).map(label).collect(Collectors.joining(", ")));
  }

  /** As above, each value spelled as its constant's name in lower case. */
  public static <E extends Enum<E>> E parse(String option, String spelling, E[] accepted) {
    return parse(option, spelling, accepted, e -> e.name().toLowerCase(Locale.ROOT));
  }
}
