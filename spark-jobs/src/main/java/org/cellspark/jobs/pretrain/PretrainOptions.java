package org.cellspark.jobs.pretrain;

import java.io.Serializable;
import java.util.List;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.jobs.finetune.TrainingOptions;
import org.cellspark.train.Masking;

/**
 * What `cellspark pretrain` was asked to train: Geneformer's masked-language-model pretraining
 * (upstream's GeneformerPretrainer), continued from a checkpoint or started from a config alone.
 * Defaults: 3 epochs as upstream's pretraining runs, 15% of genes masked; the optimizer's as
 * finetune's (learning rate 5e-5, 500 warm-up steps, linear decay, weight decay 0.001), suited to
 * continuing a checkpoint; a new model wants upstream's own (e.g. V1's 1e-3 and 10,000 warm-up
 * steps).
 *
 * @param input a token table (cellspark tokenize's output, or upstream's .dataset)
 * @param model the Hugging Face checkpoint to continue; null with {@code newModel}
 * @param newModel a config.json to start a new model from; null with {@code model}
 * @param vocabulary the tokens' vocabulary; null = the one the table's summary names
 * @param maskFraction the share of each cell's genes masked
 * @param validationCells cells held out to score each epoch (at most a tenth of the cells)
 * @param maxCells at most this many training cells; 0 = all
 * @param filters only cells passing every filter are used
 * @param training how to train (its seed also picks the validation cells and the sample)
 */
public record PretrainOptions(
    String input,
    String model,
    String newModel,
    String vocabulary,
    String output,
    TrainingOptions training,
    double maskFraction,
    long validationCells,
    long maxCells,
    List<CellSelection.Filter> filters,
    boolean overwrite)
    implements Serializable {

  public PretrainOptions {
    filters = filters == null ? List.of() : List.copyOf(filters);
    OptionProblems problems = new OptionProblems();
    problems.requireValue(input, "--input is required (cellspark tokenize's output)");
    problems.requireValue(output, "--output is required");
    if ((model == null) == (newModel == null)) {
      problems.add(
          "give one of --model (a checkpoint to continue pretraining) and --new-model (a"
              + " config.json to start a new model from)");
    }
    training.addProblems(problems);
    training.refuseLora(problems);
    if (training.balanced()) {
      problems.add("--class-weights does not apply to pretraining: every masked gene weighs 1");
    }
    if (!(maskFraction > 0 && maskFraction < 1)) {
      problems.add("--mask-fraction must be above 0 and below 1 (BERT's and upstream's: 0.15)");
    }
    if (validationCells < 1 || maxCells < 0) {
      problems.add("--validation-cells must be at least 1 and --max-cells at least 0");
    }
    problems.throwIfAny();
  }

  public long seed() {
    return training.seed();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options by name, with the command line's defaults. */
  public static final class Builder extends TrainingOptions.Builder<Builder> {
    private String input;
    private String model;
    private String newModel;
    private String vocabulary;
    private String output;
    private double maskFraction = Masking.DEFAULT_FRACTION;
    private long validationCells = 1_000;
    private long maxCells;
    private List<CellSelection.Filter> filters = List.of();
    private boolean overwrite;

    private Builder() {
      super(3);
    }

    @Override
    protected Builder self() {
      return this;
    }

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder newModel(String v) {
      newModel = v;
      return this;
    }

    public Builder vocabulary(String v) {
      vocabulary = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder maskFraction(double v) {
      maskFraction = v;
      return this;
    }

    public Builder validationCells(long v) {
      validationCells = v;
      return this;
    }

    public Builder maxCells(long v) {
      maxCells = v;
      return this;
    }

    public Builder filters(List<CellSelection.Filter> v) {
      filters = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public PretrainOptions build() {
      return new PretrainOptions(
          input,
          model,
          newModel,
          vocabulary,
          output,
          training(),
          maskFraction,
          validationCells,
          maxCells,
          filters,
          overwrite);
    }
  }
}
