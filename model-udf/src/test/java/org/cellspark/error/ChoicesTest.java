package org.cellspark.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cellspark.infer.Pooling;
import org.cellspark.model.Precision;
import org.cellspark.perturb.PerturbationType;
import org.junit.jupiter.api.Test;

/** Users' spellings of option values, as the commands receive them. */
class ChoicesTest {
  enum Mode {
    GOAL_STATE_SHIFT,
    VS_NULL
  }

  @Test
  void aValueIsFoundByItsLabelOrItsNameCaseAndDashesAside() {
    assertThat(Pooling.parse(" CLS ")).isEqualTo(Pooling.CLS);
    assertThat(Precision.parse("bf16")).isEqualTo(Precision.BF16);
    assertThat(PerturbationType.parse("Overexpress")).isEqualTo(PerturbationType.OVEREXPRESS);
    assertThat(Choices.parse("--mode", "goal-state-shift", Mode.values()))
        .isEqualTo(Mode.GOAL_STATE_SHIFT);
    assertThat(Choices.parse("--mode", "VS_NULL", Mode.values())).isEqualTo(Mode.VS_NULL);
  }

  @Test
  void anythingElseIsRefusedWithTheOptionAndWhatItTakes() {
    assertThatThrownBy(() -> Pooling.parse("max"))
        .isInstanceOf(UserException.class)
        .hasMessage("--pooling 'max' is not one of mean, cls");
    assertThatThrownBy(() -> PerturbationType.parse("knockout"))
        .isInstanceOf(UserException.class)
        .hasMessage(
            "--perturbation 'knockout' is not one of delete, overexpress, inhibit, activate");
    assertThatThrownBy(
            () ->
                Choices.parse(
                    "--mode", "null", Mode.values(), m -> m.name().toLowerCase().replace('_', '-')))
        .hasMessage("--mode 'null' is not one of goal-state-shift, vs-null");
  }
}
