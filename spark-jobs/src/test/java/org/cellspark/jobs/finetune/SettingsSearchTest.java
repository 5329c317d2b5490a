package org.cellspark.jobs.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.cellspark.error.UserException;
import org.cellspark.train.LearningRateSchedule;
import org.junit.jupiter.api.Test;

/**
 * --search as a grid (every combination, in order) and as random draws (--search-trials): draws
 * inside their ranges, log-uniform where asked, whole numbers with both ends included, the same for
 * the same seed, distinct, each trial's options set to the values it lists; upstream's Ray Tune
 * forms and setting names read as Cellspark's; what is refused.
 */
class SettingsSearchTest {
  private static final TrainingOptions BASE =
      FinetuneOptions.builder().input("t").label("l").model("m").output("o").build().training();

  @Test
  void theGridsCombinationsInOrderAndItsRefusals() {
    SettingsSearch grid =
        SettingsSearch.parse(List.of("learning-rate=1e-5,1e-4", "schedule=linear,cosine,linear"));
    List<SettingsSearch.Trial> trials = grid.trials(BASE);
    assertThat(trials).hasSize(6);
    assertThat(trials.get(0).training().learningRate()).isEqualTo(1e-5);
    assertThat(trials.get(1).training().decay()).isEqualTo(LearningRateSchedule.Decay.COSINE);
    assertThat(trials.get(3).values())
        .containsEntry("learning-rate", "1e-4")
        .containsEntry("schedule", "linear");
    assertThat(trials.get(5).training().epochs()).as("the rest as given").isEqualTo(BASE.epochs());
    assertThat(grid.described())
        .isEqualTo(
            Map.of(
                "mode",
                "grid",
                "settings",
                Map.of(
                    "learning-rate",
                    List.of("1e-5", "1e-4"),
                    "schedule",
                    List.of("linear", "cosine", "linear"))));
    assertThat(SettingsSearch.parse(List.of()).trials(BASE))
        .singleElement()
        .extracting(SettingsSearch.Trial::training)
        .isEqualTo(BASE);
    refused(List.of("batch-size=8,16"), 0, "learning-rate, weight-decay");
    refused(List.of("epochs=2,2.5"), 0, "'2.5' is not a value --epochs takes");
    refused(List.of("schedule=linear,step"), 0, "step");
    refused(
        List.of("learning-rate=1,2,3,4", "weight-decay=0,1,2,3", "warmup-steps=0,1,2,3,4"),
        0,
        "makes 80 trials");
    refused(List.of("learning-rate="), 0, "gives no value");
  }

  /**
   * A trial's values iterate in --search order: they are part of a killed trial's fingerprint, so
   * an order that changed between JVMs would keep the trial from resuming.
   */
  @Test
  void aTrialsValuesKeepTheSearchsOrder() {
    List<String> names =
        List.of("schedule", "dropout", "learning-rate", "warmup-steps", "weight-decay", "epochs");
    List<String> specs = names.stream().map(n -> n + "=" + one(n)).toList();
    for (SettingsSearch s :
        List.of(SettingsSearch.parse(specs), SettingsSearch.parse(specs, 1, 3))) {
      assertThat(s.trials(BASE).get(0).values().keySet()).containsExactlyElementsOf(names);
      assertThat(s.names()).containsExactlyElementsOf(names);
    }
  }

  private static String one(String name) {
    return switch (name) {
      case "schedule" -> "cosine";
      case "dropout" -> "0.1";
      case "learning-rate" -> "1e-4";
      default -> "1";
    };
  }

  @Test
  void drawsFallInTheirRangesAsTheirDistributionsSay() {
    SettingsSearch s =
        SettingsSearch.parse(
            List.of(
                "learning-rate=log:1e-6..1e-2",
                "weight-decay=0..0.3",
                "warmup-steps=0..3",
                "schedule=linear,cosine"),
            64,
            7);
    List<SettingsSearch.Trial> trials = s.trials(BASE);
    assertThat(trials).hasSize(64);
    assertThat(s.shortfall()).isNull();
    assertThat(trials.stream().map(SettingsSearch.Trial::values).distinct()).hasSize(64);
    int belowGeometricMiddle = 0;
    double decaySum = 0;
    Set<String> warmups = new TreeSet<>();
    Set<String> schedules = new TreeSet<>();
    for (SettingsSearch.Trial t : trials) {
      String lr = t.values().get("learning-rate");
      assertThat(new BigDecimal(lr).precision()).as(lr).isLessThanOrEqualTo(3);
      assertThat(t.training().learningRate())
          .isEqualTo(Double.parseDouble(lr))
          .isBetween(1e-6, 1e-2);
      belowGeometricMiddle += t.training().learningRate() < 1e-4 ? 1 : 0;
      assertThat(t.training().weightDecay())
          .isEqualTo(Double.parseDouble(t.values().get("weight-decay")))
          .isBetween(0.0, 0.3);
      decaySum += t.training().weightDecay();
      warmups.add(t.values().get("warmup-steps"));
      assertThat(t.training().warmupSteps())
          .isEqualTo(Integer.parseInt(t.values().get("warmup-steps")));
      schedules.add(t.values().get("schedule"));
      assertThat(t.training().decay().name().toLowerCase(java.util.Locale.ROOT))
          .isEqualTo(t.values().get("schedule"));
      assertThat(t.training().epochs()).as("not searched: as given").isEqualTo(BASE.epochs());
    }
    // Log-uniform: half the draws below the geometric middle (1e-4); uniform would put ~1% there.
    assertThat(belowGeometricMiddle).isBetween(20, 44);
    // Uniform on 0..0.3: mean 0.15 (standard error 0.011 for 64 draws).
    assertThat(decaySum / 64).isBetween(0.11, 0.19);
    assertThat(warmups).as("both ends included").containsExactly("0", "1", "2", "3");
    assertThat(schedules).containsExactly("cosine", "linear");
    assertThat(s.described())
        .containsEntry("mode", "random")
        .containsEntry("trials_asked", 64)
        .containsEntry("seed", 7L)
        .containsEntry(
            "settings",
            Map.of(
                "learning-rate",
                "log-uniform 1e-6..0.01",
                "weight-decay",
                "uniform 0..0.3",
                "warmup-steps",
                "uniform 0..3",
                "schedule",
                List.of("linear", "cosine")));

    Function<Long, List<Map<String, String>>> drawnWith =
        seed ->
            SettingsSearch.parse(List.of("learning-rate=log:1e-6..1e-2"), 5, seed)
                .trials(BASE)
                .stream()
                .map(SettingsSearch.Trial::values)
                .toList();
    assertThat(drawnWith.apply(7L))
        .as("the same seed, the same trials")
        .isEqualTo(drawnWith.apply(7L));
    assertThat(drawnWith.apply(8L)).isNotEqualTo(drawnWith.apply(7L));
  }

  @Test
  void aSmallSpaceGivesItsDistinctTrialsOnce() {
    SettingsSearch whole = SettingsSearch.parse(List.of("warmup-steps=0..3"), 10, 1);
    assertThat(whole.trials(BASE).stream().map(t -> t.values().get("warmup-steps")).sorted())
        .containsExactly("0", "1", "2", "3");
    assertThat(whole.shortfall())
        .isEqualTo("--search-trials 10: the values searched hold 4 distinct trials; running those");
    SettingsSearch listed =
        SettingsSearch.parse(List.of("schedule=linear,cosine", "epochs=1,2"), 3, 1);
    assertThat(listed.size()).isEqualTo(3);
    assertThat(listed.shortfall()).isNull();
  }

  @Test
  void upstreamsRayTuneFormsAndNamesDrawAsCellsparksOwn() {
    assertThat(drawn(List.of("learning_rate=tune.loguniform(1e-6, 1e-3)")))
        .isEqualTo(drawn(List.of("learning-rate=log:1e-6..1e-3")));
    assertThat(drawn(List.of("weight_decay=uniform(0.0, 0.3)")))
        .isEqualTo(drawn(List.of("weight-decay=0..0.3")));
    assertThat(drawn(List.of("warmup_steps=randint(100, 2000)")))
        .as("Ray's randint leaves its high end out")
        .isEqualTo(drawn(List.of("warmup-steps=100..1999")));
    assertThat(drawn(List.of("lr_scheduler_type=tune.choice([\"linear\", \"cosine\"])")))
        .isEqualTo(drawn(List.of("schedule=linear,cosine")));
    assertThat(drawn(List.of("num_train_epochs=choice([1])")))
        .isEqualTo(drawn(List.of("epochs=1")));
  }

  private static List<Map<String, String>> drawn(List<String> specs) {
    return SettingsSearch.parse(specs, 4, 42).trials(BASE).stream()
        .map(SettingsSearch.Trial::values)
        .toList();
  }

  @Test
  void whatARandomSearchRefuses() {
    refused(List.of("learning-rate=1e-6..1e-3"), 0, "is a range: give --search-trials N");
    refused(List.of("weight-decay=log:0..0.1"), 5, "needs a low end above 0");
    refused(List.of("learning-rate=1e-3..1e-6"), 5, "must be below its high end");
    refused(List.of("schedule=1..2"), 5, "schedule takes names, not a range");
    refused(List.of("epochs=1.5..3"), 5, "'1.5' is not a value --epochs takes");
    refused(List.of("dropout=0..1"), 5, "'1' is not a value --dropout takes");
    refused(List.of("learning-rate=uniform(1e-6)"), 5, "uniform takes two numbers");
    refused(List.of("learning-rate=1e-5"), 65, "--search-trials 65: give 1 to 64");
    assertThatThrownBy(
            () ->
                SettingsSearch.parse(
                        List.of("learning-rate=1e-8,1e-4", "schedule=polynomial"), 0, 1)
                    .trials(BASE))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("trial 0 {learning-rate=1e-8, schedule=polynomial}");
  }

  /** --search-trials alone draws from upstream Classifier's default Ray Tune space. */
  @Test
  void trialsAloneDrawFromUpstreamsDefaultSpace() {
    SettingsSearch s = SettingsSearch.parse(List.of(), 8, 3);
    assertThat(s.size()).isEqualTo(8);
    assertThat(s.described().get("settings"))
        .isEqualTo(
            Map.of(
                "learning-rate",
                "log-uniform 1e-6..0.001",
                "weight-decay",
                "uniform 0..0.3",
                "schedule",
                List.of("linear", "cosine", "polynomial"),
                "warmup-steps",
                "uniform 100..2000"));
    for (SettingsSearch.Trial t : s.trials(BASE)) {
      assertThat(t.training().warmupSteps()).isBetween(100, 2000);
      assertThat(t.training().epochs()).isEqualTo(BASE.epochs());
    }
  }

  private static void refused(List<String> specs, int draws, String message) {
    assertThatThrownBy(() -> SettingsSearch.parse(specs, draws, 1))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(message);
  }
}
