package org.cellspark.jobs.finetune;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.error.Choices;
import org.cellspark.error.UserException;
import org.cellspark.train.LearningRateSchedule;

/**
 * A fine-tune's settings search ({@code --search NAME=V1,V2,...}, repeatable): every combination of
 * the values given is a trial, trained in a Spark task of its own, the one with the best validation
 * macro-F1 kept. Upstream's Classifier searches with Ray Tune ({@code n_hyperopt_trials}); here the
 * grid is explicit and the trials run at once across the cluster's executors (one training per
 * executor JVM at a time).
 */
public final class SearchGrid implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The settings a search may vary, by their option names. */
  public static final List<String> SETTINGS =
      List.of(
          "learning-rate",
          "weight-decay",
          "warmup-steps",
          "epochs",
          "freeze-layers",
          "dropout",
          "schedule");

  /** At most this many trials: each holds every training cell in its task. */
  public static final int MAX_TRIALS = 64;

  /**
   * One trial: its number (from 0), the values it sets (option name to value, in --search order)
   * and the training options they make.
   */
  public record Trial(int id, Map<String, String> values, TrainingOptions training)
      implements Serializable {}

  private final Map<String, List<String>> values;

  private SearchGrid(Map<String, List<String>> values) {
    this.values = values;
  }

  /** No search: one trial, the options as given. */
  public static SearchGrid none() {
    return new SearchGrid(new LinkedHashMap<>());
  }

  /**
   * The grid {@code specs} ({@code NAME=V1,V2,...} each) describe; refused, naming the spec, when a
   * name is not a setting that can be searched, a value does not parse, a name repeats, or the grid
   * has more than {@value #MAX_TRIALS} trials.
   */
  public static SearchGrid parse(List<String> specs) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (String spec : specs == null ? List.<String>of() : specs) {
      int eq = spec.indexOf('=');
      String name = eq < 0 ? spec.trim() : spec.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      if (eq < 0 || !SETTINGS.contains(name)) {
        throw UserException.of(
            "--search %s: give NAME=V1,V2,... with NAME one of %s, e.g. --search"
                + " learning-rate=1e-5,5e-5,1e-4",
            spec, String.join(", ", SETTINGS));
      }
      if (values.containsKey(name)) {
        throw UserException.of(
            "--search names %s twice: give its values once, comma-separated", name);
      }
      List<String> list = new ArrayList<>();
      for (String v : spec.substring(eq + 1).split(",", -1)) {
        if (!v.isBlank()) {
          list.add(v.trim());
        }
      }
      if (list.isEmpty()) {
        throw UserException.of("--search %s gives no value", spec);
      }
      values.put(name, List.copyOf(list));
    }
    long trials = values.values().stream().mapToLong(List::size).reduce(1, (a, b) -> a * b);
    if (trials > MAX_TRIALS) {
      throw UserException.of(
          "--search makes %d trials (%s); at most %d: each trial's task holds every training"
              + " cell. Give fewer values",
          trials, values, MAX_TRIALS);
    }
    SearchGrid grid = new SearchGrid(values);
    grid.trials(null); // every value parsed now, before any Spark job
    return grid;
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** The settings searched, in --search order, with their values. */
  public Map<String, List<String>> values() {
    return new LinkedHashMap<>(values);
  }

  /**
   * Every combination, as options varied from {@code base} (the first setting named varies
   * slowest); one trial, {@code base} itself, when nothing is searched.
   */
  public List<Trial> trials(TrainingOptions base) {
    List<Map<String, String>> combinations = new ArrayList<>();
    combinations.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<String>> e : values.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> c : combinations) {
        for (String v : e.getValue()) {
          Map<String, String> one = new LinkedHashMap<>(c);
          one.put(e.getKey(), v);
          next.add(one);
        }
      }
      combinations = next;
    }
    List<Trial> out = new ArrayList<>();
    for (Map<String, String> c : combinations) {
      TrainingOptions t = base;
      for (Map.Entry<String, String> e : c.entrySet()) {
        t = with(t, e.getKey(), e.getValue());
      }
      out.add(new Trial(out.size(), Map.copyOf(c), t));
    }
    return out;
  }

  /** {@code t} with one setting changed ({@code t} null: the value only checked). */
  private static TrainingOptions with(TrainingOptions t, String name, String value) {
    try {
      double d = name.equals("schedule") ? 0 : Double.parseDouble(value);
      LearningRateSchedule.Decay decay =
          name.equals("schedule")
              ? Choices.parse("--search schedule", value, LearningRateSchedule.Decay.values())
              : null;
      boolean whole = d == Math.rint(d) && d >= 0;
      boolean ok =
          switch (name) {
            case "learning-rate" -> d > 0;
            case "weight-decay" -> d >= 0;
            case "dropout" -> d >= 0 && d < 1;
            case "epochs" -> whole && d >= 1;
            case "warmup-steps", "freeze-layers" -> whole;
            default -> true;
          };
      if (!ok) {
        throw new NumberFormatException();
      }
      if (t == null) {
        return null;
      }
      return new TrainingOptions(
          name.equals("epochs") ? (int) d : t.epochs(),
          name.equals("learning-rate") ? d : t.learningRate(),
          name.equals("weight-decay") ? d : t.weightDecay(),
          name.equals("warmup-steps") ? (int) d : t.warmupSteps(),
          decay != null ? decay : t.decay(),
          t.batchTokens(),
          name.equals("freeze-layers") ? (int) d : t.freezeLayers(),
          t.balanced(),
          t.patience(),
          t.maxGradNorm(),
          t.precision(),
          name.equals("dropout") ? Double.valueOf(d) : t.dropout(),
          t.seed(),
          t.checkpointMinutes(),
          t.gradientAccumulation());
    } catch (NumberFormatException e) {
      throw UserException.of(
          "--search %s=%s: '%s' is not a value %s takes", name, value, value, "--" + name);
    }
  }
}
