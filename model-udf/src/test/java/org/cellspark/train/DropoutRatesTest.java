package org.cellspark.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dropout rates a config.json gives, with Hugging Face's defaults where it gives none. */
class DropoutRatesTest {
  @TempDir Path tmp;

  private Path config(String json) throws IOException {
    return Files.writeString(tmp.resolve("config.json"), json);
  }

  @Test
  void geneformersConfigGivesItsRates() {
    assertThat(DropoutRates.read(Fixtures.vocab("models/tiny-v1/config.json")))
        .isEqualTo(new DropoutRates(0.02, 0.02, 0.02));
  }

  @Test
  void missingRatesAreBertsDefaultsAndTheHeadFollowsTheHiddenRate() throws IOException {
    assertThat(DropoutRates.read(config("{\"model_type\": \"bert\"}")))
        .isEqualTo(new DropoutRates(0.1, 0.1, 0.1));
    assertThat(
            DropoutRates.read(
                config("{\"hidden_dropout_prob\": 0.05, \"classifier_dropout\": null}")))
        .isEqualTo(new DropoutRates(0.05, 0.1, 0.05));
    assertThat(
            DropoutRates.read(
                config(
                    "{\"hidden_dropout_prob\": 0.05, \"attention_probs_dropout_prob\": 0,"
                        + " \"classifier_dropout\": 0.3}")))
        .isEqualTo(new DropoutRates(0.05, 0, 0.3));
  }

  @Test
  void aRateOutsideZeroToOneIsRefusedNamingTheFileAndKey() throws IOException {
    Path bad = config("{\"attention_probs_dropout_prob\": 1.5}");
    assertThatThrownBy(() -> DropoutRates.read(bad))
        .isInstanceOf(UserException.class)
        .hasMessageContaining(bad.toString())
        .hasMessageContaining("'attention_probs_dropout_prob' is 1.5");
  }
}
