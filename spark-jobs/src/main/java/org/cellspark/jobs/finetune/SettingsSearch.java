package org.cellspark.jobs.finetune;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cellspark.error.Choices;
import org.cellspark.error.UserException;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.train.LearningRateSchedule;

/**
 * A fine-tune's settings search ({@code --search NAME=SPEC}, repeatable): trials, each trained in a
 * Spark task of its own, the one with the best validation macro-F1 kept. Either a grid (every
 * combination of listed values a trial) or, with {@code --search-trials N}, N random draws: listed
 * values drawn as choices and ranges ({@code LOW..HIGH}, {@code log:LOW..HIGH}) uniformly or
 * log-uniformly, as upstream's Ray Tune ({@code n_hyperopt_trials}, {@code tune.uniform}, {@code
 * tune.loguniform}, {@code tune.choice}) and Optuna ({@code n_trials}) searches draw them. The
 * draws are made here, on the driver, from the seed: a search run again draws the same trials (and
 * so resumes them).
 */
public final class SettingsSearch implements Serializable {
  private static final long serialVersionUID = 2L;

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

  /** Upstream's names for them (TrainingArguments', Ray configs' and Optuna configs' keys). */
  private static final Map<String, String> UPSTREAM_NAMES =
      Map.of(
          "learning_rate", "learning-rate",
          "weight_decay", "weight-decay",
          "warmup_steps", "warmup-steps",
          "num_train_epochs", "epochs",
          "max_layers_to_freeze", "freeze-layers",
          "dropout_rate", "dropout",
          "lr_scheduler_type", "schedule");

  /**
   * What {@code --search-trials N} draws from without --search: upstream Classifier's default Ray
   * Tune space (its hyperopt_classifier without a ray_config) but its seed and batch size (not
   * settings here) and its one epoch (--epochs is kept as given).
   */
  public static final List<String> UPSTREAM_DEFAULT_SPACE =
      List.of(
          "learning-rate=log:1e-6..1e-3",
          "weight-decay=0..0.3",
          "schedule=linear,cosine,polynomial",
          "warmup-steps=100..2000");

  /** Settings whose values are whole numbers: a range's draws are whole, both ends included. */
  private static final Set<String> WHOLE = Set.of("warmup-steps", "epochs", "freeze-layers");

  /** At most this many trials: each holds every training cell in its task. */
  public static final int MAX_TRIALS = 64;

  /**
   * Drawn numbers are rounded to this many significant digits, so trials.csv gives them as used.
   */
  private static final MathContext DRAWN = new MathContext(3);

  /**
   * One trial: its number (from 0), the values it sets (option name to value, in --search order)
   * and the training options they make.
   */
  public record Trial(int id, Map<String, String> values, TrainingOptions training)
      implements Serializable {}

  /**
   * One setting's values as given: listed values (a grid's, or choices to draw from), or a range to
   * draw from ({@code low}..{@code high}, log-uniformly when {@code log}).
   */
  record Space(List<String> listed, double low, double high, boolean log) implements Serializable {
    static Space of(List<String> listed) {
      return new Space(List.copyOf(listed), Double.NaN, Double.NaN, false);
    }

    boolean isRange() {
      return !Double.isNaN(low);
    }

    /** How the summary states it: the values, or "uniform LOW..HIGH" / "log-uniform LOW..HIGH". */
    Object described() {
      return isRange()
          ? (log ? "log-uniform " : "uniform ") + plain(low) + ".." + plain(high)
          : listed;
    }
  }

  private final Map<String, Space> spaces;
  private final int draws;
  private final long seed;
  private final List<Map<String, String>> combinations;
  private final String shortfall;

  private SettingsSearch(
      Map<String, Space> spaces,
      int draws,
      long seed,
      List<Map<String, String>> combinations,
      String shortfall) {
    this.spaces = spaces;
    this.draws = draws;
    this.seed = seed;
    this.combinations = combinations;
    this.shortfall = shortfall;
  }

  /** No search: one trial, the options as given. */
  public static SettingsSearch none() {
    return new SettingsSearch(
        new LinkedHashMap<>(),
        0,
        0,
        List.of(Collections.unmodifiableMap(new LinkedHashMap<>())),
        null);
  }

  /** A grid: every combination of the values {@code specs} ({@code NAME=V1,V2,...} each) list. */
  public static SettingsSearch parse(List<String> specs) {
    return parse(specs, 0, 0);
  }

  /**
   * The search {@code specs} describe: a grid when {@code draws} is 0, else {@code draws} trials
   * drawn with {@code seed}. Refused, naming the spec, when a name is not a setting that can be
   * searched, a value or range does not parse or is outside what the setting takes, a name repeats,
   * a range is given for a grid, or there would be more than {@value #MAX_TRIALS} trials.
   */
  public static SettingsSearch parse(List<String> specs, int draws, long seed) {
    List<String> given = specs == null ? List.of() : specs;
    if (draws < 0 || draws > MAX_TRIALS) {
      throw UserException.of(
          "--search-trials %d: give 1 to %d (each trial's task holds every training cell)",
          draws, MAX_TRIALS);
    }
    if (draws > 0 && given.isEmpty()) {
      given = UPSTREAM_DEFAULT_SPACE;
    }
    Map<String, Space> spaces = new LinkedHashMap<>();
    for (String spec : given) {
      int eq = spec.indexOf('=');
      String named = eq < 0 ? spec.trim() : spec.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String name = UPSTREAM_NAMES.getOrDefault(named, named);
      if (eq < 0 || !SETTINGS.contains(name)) {
        throw UserException.of(
            "--search %s: give NAME=V1,V2,... or NAME=LOW..HIGH with NAME one of %s, e.g."
                + " --search learning-rate=1e-5,5e-5,1e-4",
            spec, String.join(", ", SETTINGS));
      }
      if (spaces.containsKey(name)) {
        throw UserException.of(
            "--search names %s twice: give its values once, comma-separated", name);
      }
      Space space = space(name, spec.substring(eq + 1).trim(), spec);
      if (space.isRange() && draws == 0) {
        throw UserException.of(
            "--search %s is a range: give --search-trials N to draw N trials from it, or list"
                + " values (V1,V2,...) for a grid",
            spec);
      }
      spaces.put(name, space);
    }
    if (draws == 0) {
      long trials =
          spaces.values().stream().mapToLong(s -> s.listed().size()).reduce(1, (a, b) -> a * b);
      if (trials > MAX_TRIALS) {
        throw UserException.of(
            "--search makes %d trials (%s); at most %d: each trial's task holds every training"
                + " cell. Give fewer values, or draw some with --search-trials N",
            trials, described(spaces), MAX_TRIALS);
      }
      return new SettingsSearch(spaces, 0, 0, grid(spaces), null);
    }
    return drawn(spaces, draws, seed);
  }

  /**
   * Adds a problem when {@code folds} folds, each trying every trial, make more than {@value
   * #MAX_TRIALS} trainings; {@code folds} described as {@code given} (the options that set it).
   */
  public void addFoldsProblem(OptionProblems problems, int folds, String given) {
    if ((long) folds * size() > MAX_TRIALS) {
      problems.add(
          String.format(
              Locale.ROOT,
              "%s: %d folds with --search's %d trials makes %d trainings; at most %d: give fewer"
                  + " folds or values",
              given,
              folds,
              size(),
              folds * size(),
              MAX_TRIALS));
    }
  }

  /** One setting's values: a range, upstream's Ray Tune form, or a list. */
  private static Space space(String name, String values, String spec) {
    Matcher range = RANGE.matcher(values);
    Matcher ray = RAY.matcher(values);
    Space space;
    if (range.matches()) {
      space = range(name, range.group(2), range.group(3), range.group(1) != null, spec);
    } else if (ray.matches()) {
      List<String> args = listed(ray.group(2).replaceAll("^\\s*\\[|]\\s*$", ""));
      String kind = ray.group(1).toLowerCase(Locale.ROOT);
      if (kind.equals("choice")) {
        space = Space.of(args);
      } else if (args.size() != 2) {
        throw UserException.of("--search %s: %s takes two numbers, LOW and HIGH", spec, kind);
      } else if (kind.equals("randint")) {
        // Ray's randint leaves HIGH out.
        space = range(name, args.get(0), wholeBelow(args.get(1), spec), false, spec);
      } else {
        space = range(name, args.get(0), args.get(1), kind.equals("loguniform"), spec);
      }
    } else {
      space = Space.of(listed(values));
    }
    if (!space.isRange() && space.listed().isEmpty()) {
      throw UserException.of("--search %s gives no value", spec);
    }
    for (String v : space.listed()) {
      with(null, name, v);
    }
    return space;
  }

  /** {@code LOW..HIGH} or {@code log:LOW..HIGH}, numbers as Java reads them. */
  private static final Pattern RANGE =
      Pattern.compile("(?i)(log:)?\\s*([-+0-9.eE]+)\\s*\\.\\.\\s*([-+0-9.eE]+)");

  /**
   * Ray Tune's {@code [tune.]uniform(a, b)}, {@code loguniform}, {@code randint}, {@code choice}.
   */
  private static final Pattern RAY =
      Pattern.compile("(?i)(?:tune\\.)?(uniform|loguniform|randint|choice)\\s*\\((.*)\\)");

  private static List<String> listed(String values) {
    List<String> list = new ArrayList<>();
    for (String v : values.split(",", -1)) {
      String t = v.trim().replaceAll("^[\"']|[\"']$", "");
      if (!t.isBlank()) {
        list.add(t);
      }
    }
    return list;
  }

  private static String wholeBelow(String high, String spec) {
    try {
      return plain(Double.parseDouble(high) - 1);
    } catch (NumberFormatException e) {
      throw UserException.of("--search %s: '%s' is not a number", spec, high);
    }
  }

  private static Space range(String name, String low, String high, boolean log, String spec) {
    if (name.equals("schedule")) {
      throw UserException.of(
          "--search %s: schedule takes names, not a range: list them, e.g. schedule=linear,cosine",
          spec);
    }
    with(null, name, low);
    with(null, name, high);
    double lo = Double.parseDouble(low);
    double hi = Double.parseDouble(high);
    if (!(lo < hi)) {
      throw UserException.of(
          "--search %s: the range's low end (%s) must be below its high end (%s)", spec, low, high);
    }
    if (log && lo <= 0) {
      throw UserException.of(
          "--search %s: a log-uniform range needs a low end above 0 (here %s)", spec, low);
    }
    return new Space(List.of(), lo, hi, log);
  }

  private static List<Map<String, String>> grid(Map<String, Space> spaces) {
    List<Map<String, String>> combinations = new ArrayList<>();
    combinations.add(new LinkedHashMap<>());
    for (Map.Entry<String, Space> e : spaces.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> c : combinations) {
        for (String v : e.getValue().listed()) {
          Map<String, String> one = new LinkedHashMap<>(c);
          one.put(e.getKey(), v);
          next.add(one);
        }
      }
      combinations = next;
    }
    return combinations.stream().map(Collections::unmodifiableMap).toList();
  }

  /**
   * {@code draws} distinct trials drawn with {@code seed}, each setting independently, in --search
   * order. A draw equal to an earlier one is drawn again, so a small space (listed values, a short
   * whole-number range) gives fewer trials than asked once every combination is drawn.
   */
  private static SettingsSearch drawn(Map<String, Space> spaces, int draws, long seed) {
    Random random = new Random(seed);
    Set<Map<String, String>> distinct = new LinkedHashSet<>();
    for (int attempt = 0; distinct.size() < draws && attempt < 100 * draws; attempt++) {
      Map<String, String> one = new LinkedHashMap<>();
      spaces.forEach((name, space) -> one.put(name, draw(name, space, random)));
      distinct.add(Collections.unmodifiableMap(one));
    }
    String shortfall =
        distinct.size() < draws
            ? String.format(
                Locale.ROOT,
                "--search-trials %d: the values searched hold %d distinct trials; running those",
                draws,
                distinct.size())
            : null;
    return new SettingsSearch(spaces, draws, seed, List.copyOf(distinct), shortfall);
  }

  private static String draw(String name, Space space, Random random) {
    if (!space.isRange()) {
      return space.listed().get(random.nextInt(space.listed().size()));
    }
    double u = random.nextDouble();
    if (WHOLE.contains(name)) {
      long lo = (long) space.low();
      long hi = (long) space.high();
      long v =
          space.log()
              ? Math.round(Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))))
              : lo + (long) Math.floor(u * (hi - lo + 1));
      return Long.toString(Math.min(hi, Math.max(lo, v)));
    }
    double v =
        space.log()
            ? Math.exp(Math.log(space.low()) + u * (Math.log(space.high()) - Math.log(space.low())))
            : space.low() + u * (space.high() - space.low());
    double rounded = new BigDecimal(v).round(DRAWN).doubleValue();
    return plain(Math.min(space.high(), Math.max(space.low(), rounded)));
  }

  /** A number as trials.csv and the summary give it: the shortest form that reads back equal. */
  private static String plain(double v) {
    BigDecimal d = BigDecimal.valueOf(v).stripTrailingZeros();
    double a = Math.abs(v);
    if (a == 0 || a >= 1e-3 && a < 1e7) {
      return d.toPlainString();
    }
    // 1.23e-5 rather than BigDecimal's 0.0000123 (it writes exponents only below 1e-6).
    String digits = d.unscaledValue().abs().toString();
    int exponent = digits.length() - d.scale() - 1;
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (v < 0 ? "-" : "") + mantissa + "e" + exponent;
  }

  public boolean isEmpty() {
    return spaces.isEmpty();
  }

  /** How many trials: the grid's combinations, or the distinct draws. */
  public int size() {
    return combinations.size();
  }

  /** The settings searched, in --search order. */
  public List<String> names() {
    return List.copyOf(spaces.keySet());
  }

  /**
   * Why there are fewer trials than {@code --search-trials} asked (every distinct combination
   * drawn), or null.
   */
  public String shortfall() {
    return shortfall;
  }

  /**
   * The summary's statement of the search: how trials were made ("grid", or "random" with the
   * number asked and the seed) and each setting's values or range, in --search order.
   */
  public Map<String, Object> described() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", draws == 0 ? "grid" : "random");
    if (draws > 0) {
      m.put("trials_asked", draws);
      m.put("seed", seed);
    }
    m.put("settings", described(spaces));
    return m;
  }

  private static Map<String, Object> described(Map<String, Space> spaces) {
    Map<String, Object> m = new LinkedHashMap<>();
    spaces.forEach((name, space) -> m.put(name, space.described()));
    return m;
  }

  /**
   * The trials, as options varied from {@code base}: a grid's combinations (the first setting named
   * varies slowest) or the draws in the order drawn; one trial, {@code base} itself, when nothing
   * is searched.
   */
  public List<Trial> trials(TrainingOptions base) {
    List<Trial> out = new ArrayList<>();
    for (Map<String, String> c : combinations) {
      TrainingOptions t = base;
      for (Map.Entry<String, String> e : c.entrySet()) {
        t = with(t, e.getKey(), e.getValue());
      }
      if (t != null
          && t.decay() == LearningRateSchedule.Decay.POLYNOMIAL
          && !(t.learningRate() > LearningRateSchedule.POLYNOMIAL_END)) {
        throw UserException.of(
            "--search trial %d %s: the polynomial schedule decays to 1e-7 (the Trainer's lr_end),"
                + " so its learning rate must be above it: search learning rates above 1e-7",
            out.size(), c);
      }
      out.add(new Trial(out.size(), c, t));
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
          t.gradientAccumulation(),
          t.dataParallel(),
          t.lora());
    } catch (NumberFormatException e) {
      throw UserException.of(
          "--search %s=%s: '%s' is not a value %s takes", name, value, value, "--" + name);
    }
  }
}
