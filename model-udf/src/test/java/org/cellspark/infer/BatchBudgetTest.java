package org.cellspark.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;

class BatchBudgetTest {
  @Test
  void autoIsDecidedByTheDeviceAndItsAttention() {
    assertThat(BatchBudget.resolve(BatchBudget.AUTO, Device.cpu(), true)).isEqualTo(16_384);
    assertThat(BatchBudget.resolve(BatchBudget.AUTO, Device.cpu(), false)).isEqualTo(16_384);
    // Fused attention holds no length^2 scores, so a GPU gets batches four times larger.
    assertThat(BatchBudget.resolve(BatchBudget.AUTO, Device.gpu(1), true)).isEqualTo(65_536);
    assertThat(BatchBudget.resolve(BatchBudget.AUTO, Device.gpu(1), false)).isEqualTo(16_384);
  }

  @Test
  void aNumberTheUserGaveIsKeptOnEveryDevice() {
    assertThat(BatchBudget.resolve(4096, Device.cpu(), true)).isEqualTo(4096);
    assertThat(BatchBudget.resolve(4096, Device.gpu(), true)).isEqualTo(4096);
    assertThat(BatchBudget.resolve(200_000, Device.gpu(), false)).isEqualTo(200_000);
  }

  @Test
  void budgetsAreReadAsUsersWriteThem() {
    assertThat(BatchBudget.parse("auto", "--batch-tokens")).isEqualTo(BatchBudget.AUTO);
    assertThat(BatchBudget.parse(" AUTO ", "--batch-tokens")).isEqualTo(BatchBudget.AUTO);
    assertThat(BatchBudget.parse("65536", "--batch-tokens")).isEqualTo(65_536);
    assertThat(BatchBudget.parse("65,536", "--batch-tokens")).isEqualTo(65_536);
    assertThat(BatchBudget.parse("65_536", "--batch-tokens")).isEqualTo(65_536);
    assertThat(BatchBudget.describe(BatchBudget.AUTO)).isEqualTo("auto");
    assertThat(BatchBudget.describe(65_536)).isEqualTo("65536");
  }

  @Test
  void anythingElseIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> BatchBudget.parse("0", "--batch-tokens"))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--batch-tokens must be a positive number of tokens, or auto");
    assertThatThrownBy(() -> BatchBudget.parse("-5", "spark.cellspark.embed.batchTokens"))
        .hasMessageContaining("spark.cellspark.embed.batchTokens must be a positive number");
    assertThatThrownBy(() -> BatchBudget.parse("lots", "--batch-tokens"))
        .hasMessageContaining("--batch-tokens 'lots' is not a number of tokens");
  }
}
