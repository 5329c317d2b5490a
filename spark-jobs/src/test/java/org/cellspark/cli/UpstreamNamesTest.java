package org.cellspark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Upstream's argument names accepted as aliases (docs/from-geneformer.md): they set the same
 * options as Cellspark's names.
 */
class UpstreamNamesTest {
  @Test
  void embedTakesUpstreamsNames() {
    EmbedCommand e = new EmbedCommand();
    new CommandLine(e)
        .parseArgs(
            "--input",
            "t",
            "--model",
            "m",
            "--output",
            "o",
            "--emb-layer",
            "0",
            "--max-ncells",
            "1000",
            "--filter-data",
            "donor=D1,D2",
            "--emb-label",
            "cell_type",
            "--pooling",
            "cell");
    assertThat(e.job.layer).isZero();
    assertThat(e.cells.maxCells).isEqualTo(1000);
    assertThat(e.cells.filters.filters).containsExactly("donor=D1,D2");
    assertThat(e.labels).containsExactly("cell_type");
  }

  @Test
  void perturbTakesUpstreamsNames() {
    PerturbCommand p = new PerturbCommand();
    new CommandLine(p)
        .parseArgs(
            "--input",
            "t",
            "--model",
            "m",
            "--output",
            "o",
            "--perturb-type",
            "overexpress",
            "--genes-to-perturb",
            "CD14,LYZ");
    assertThat(p.perturbation).isEqualTo("overexpress");
    assertThat(p.genes).containsExactly("CD14", "LYZ");
  }

  @Test
  void pretrainTakesUpstreamsNames() {
    PretrainCommand p = new PretrainCommand();
    new CommandLine(p)
        .parseArgs(
            "--input",
            "t",
            "--model",
            "m",
            "--output",
            "o",
            "--mlm-probability",
            "0.2",
            "--filter-data",
            "donor=D1");
    assertThat(p.maskFraction).isEqualTo(0.2);
    assertThat(p.filters.filters).containsExactly("donor=D1");
  }

  @Test
  void finetuneMultitaskTakesUpstreamsNames() {
    FinetuneMultitaskCommand f = new FinetuneMultitaskCommand();
    new CommandLine(f)
        .parseArgs(
            "--input",
            "t",
            "--pretrained-path",
            "m",
            "--output",
            "o",
            "--task-columns",
            "cell_type,disease",
            "--task-weights",
            "1,0.5");
    assertThat(f.model).isEqualTo("m");
    assertThat(f.tasks).containsExactly("cell_type", "disease");
    assertThat(f.taskWeights).containsExactly(1.0, 0.5);
    assertThat(f.pooling).as("upstream's use_attention_pooling=True").isEqualTo("attention");
  }

  @Test
  void finetuneTakesUpstreamsNumberOfSplits() {
    FinetuneCommand f = new FinetuneCommand();
    new CommandLine(f)
        .parseArgs(
            "--input",
            "t",
            "--label",
            "l",
            "--model",
            "m",
            "--output",
            "o",
            "--num-crossval-splits",
            "5",
            "--attr-to-balance",
            "age,sex",
            "--max-trials",
            "50",
            "--pval-threshold",
            "0.05",
            "--stratify-splits-col",
            "label");
    assertThat(f.folds).isEqualTo(5);
    assertThat(f.splits.stratify).isEqualTo("label");
    assertThat(f.splits.balance())
        .isEqualTo(new org.cellspark.jobs.classify.Balance(List.of("age", "sex"), 50, 0.05));
  }

  /**
   * Upstream's random searches: the Classifier's n_hyperopt_trials with a Ray Tune range, the
   * multi-task classifier's n_trials with Optuna's names; both draw from the seed.
   */
  @Test
  void searchesTakeUpstreamsTrialCountsAndNames() {
    FinetuneCommand f = new FinetuneCommand();
    new CommandLine(f)
        .parseArgs(
            "--input",
            "t",
            "--label",
            "l",
            "--model",
            "m",
            "--output",
            "o",
            "--search",
            "learning_rate=tune.loguniform(1e-6, 1e-3)",
            "--n-hyperopt-trials",
            "5",
            "--seed",
            "9");
    org.cellspark.jobs.finetune.SettingsSearch s = f.search.parse(f.training.seed);
    assertThat(s.size()).isEqualTo(5);
    assertThat(s.names()).containsExactly("learning-rate");
    assertThat(s.described()).containsEntry("mode", "random").containsEntry("seed", 9L);
    FinetuneMultitaskCommand m = new FinetuneMultitaskCommand();
    new CommandLine(m)
        .parseArgs(
            "--input",
            "t",
            "--tasks",
            "a,b",
            "--model",
            "m",
            "--output",
            "o",
            "--search",
            "dropout_rate=0..0.7",
            "--n-trials",
            "15");
    assertThat(m.search.parse(m.training.seed).size()).isEqualTo(15);
  }

  @Test
  void classifyTakesUpstreamsNumberOfSplits() {
    ClassifyCommand c = new ClassifyCommand();
    new CommandLine(c)
        .parseArgs(
            "--embeddings",
            "e",
            "--label",
            "l",
            "--output",
            "o",
            "--num-crossval-splits",
            "5",
            "--stratify-splits-col",
            "l");
    assertThat(c.folds).isEqualTo(5);
    assertThat(c.splits.stratify).isEqualTo("l");
  }

  @Test
  void plotTakesUpstreamsNames() {
    PlotCommand p = new PlotCommand();
    new CommandLine(p)
        .parseArgs(
            "--input",
            "e",
            "--output",
            "o",
            "--labels-to-plot",
            "cell_type,disease",
            "--plot-style",
            "heatmap",
            "--max-ncells-to-plot",
            "500",
            "--n-neighbors",
            "30");
    assertThat(p.labels).containsExactly("cell_type", "disease");
    assertThat(p.style).isEqualTo("heatmap");
    assertThat(p.maxCells).isEqualTo(500);
    assertThat(p.neighbors).isEqualTo(30);
  }

  @Test
  void classifyApplyTakesUpstreamsClassDictionary() {
    ClassifyCommand.Apply a = new ClassifyCommand.Apply();
    new CommandLine(a)
        .parseArgs(
            "--model",
            "m",
            "--tokens",
            "t",
            "--id-class-dict-file",
            "run_id_class_dict.pkl",
            "--label",
            "disease",
            "--output",
            "o");
    assertThat(a.classes).isEqualTo("run_id_class_dict.pkl");
    assertThat(a.labels).containsExactly("disease");
  }
}
