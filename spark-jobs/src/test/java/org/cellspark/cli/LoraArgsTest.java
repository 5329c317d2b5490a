package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.cellspark.error.UserException;
import org.cellspark.jobs.finetune.FinetuneOptions;
import org.cellspark.jobs.pretrain.PretrainOptions;
import org.cellspark.model.LoraAdapters;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * --lora and its three settings on finetune's command line: upstream's peft settings unless given,
 * each one taken when given, none without --lora; pretrain has no --lora, and its options refuse
 * adapters.
 */
class LoraArgsTest {
  private static LoraAdapters.Settings parsed(String... lora) {
    List<String> args =
        new ArrayList<>(List.of("--input", "t", "--label", "l", "--model", "m", "--output", "o"));
    args.addAll(List.of(lora));
    FinetuneCommand c = new FinetuneCommand();
    new CommandLine(c).parseArgs(args.toArray(String[]::new));
    FinetuneOptions.Builder b =
        FinetuneOptions.builder().input("t").label("l").model("m").output("o");
    return c.lora.applyTo(c.training.applyTo(b)).build().training().lora();
  }

  @Test
  void upstreamsSettingsUnlessGiven() {
    assertThat(parsed()).isNull();
    assertThat(parsed("--lora")).isEqualTo(new LoraAdapters.Settings(64, 128, 0.1));
    assertThat(parsed("--lora", "--lora-rank", "8"))
        .isEqualTo(new LoraAdapters.Settings(8, 128, 0.1));
    assertThat(parsed("--lora", "--lora-alpha", "16", "--lora-dropout", "0.05"))
        .isEqualTo(new LoraAdapters.Settings(64, 16, 0.05));
  }

  @Test
  void pretrainHasNoLora() {
    CliRun run = CliRun.of("pretrain", "--input", "t", "--model", "m", "--output", "o", "--lora");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("Unknown option: '--lora'");
    assertThatThrownBy(
            () ->
                PretrainOptions.builder()
                    .input("t")
                    .model("m")
                    .output("o")
                    .lora(LoraAdapters.Settings.UPSTREAM)
                    .build())
        .isInstanceOf(UserException.class)
        .hasMessageContaining("pretrain trains the whole model: leave --lora out");
  }
}
