package org.cellspark.jobs.perturb;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cellspark.error.UserException;
import org.cellspark.infer.BatchBudget;
import org.cellspark.infer.Pooling;
import org.cellspark.jobs.common.CellSelection;
import org.cellspark.jobs.common.OptionProblems;
import org.cellspark.model.Precision;
import org.cellspark.perturb.PerturbationType;

/**
 * Everything {@code cellspark perturb} needs (upstream's names in brackets), validated at once.
 *
 * @param genes "all", or Ensembl IDs / symbols [genes_to_perturb]
 * @param group perturb the listed genes together (upstream's list mode) instead of one screen per
 *     gene
 * @param anchorGene perturbed together with every other gene [anchor_gene, combos=1]
 * @param states the state column and its start, goal and alternative values [cell_states_to_model]
 * @param stateEmbeddings embed --summary output (a folder with state_embeddings/) [state_embs_dict]
 * @param geneShifts also the effect on every other gene [emb_mode *_and_gene]
 * @param exportPickle also write upstream's raw pickles here, for Geneformer's own stats
 * @param partitions tasks to spread the work units over; 0 = twice the default parallelism
 * @param resume keep an output that already holds this very screen (the plan fingerprint in its
 *     _cellspark.json matches) and finish at once; for orchestrators that run a task again
 */
public record PerturbOptions(
    String input,
    String model,
    String output,
    String vocabulary,
    PerturbationType type,
    int rankShift,
    List<String> genes,
    boolean group,
    String anchorGene,
    States states,
    String stateEmbeddings,
    Pooling pooling,
    int layer,
    List<CellSelection.Filter> filters,
    long maxCells,
    long seed,
    boolean geneShifts,
    String exportPickle,
    long batchTokens,
    Precision precision,
    int partitions,
    boolean overwrite,
    boolean resume) {

  /** {@code column:start=A,goal=B[,alt=C...]}. */
  public record States(String column, String start, String goal, List<String> alternatives)
      implements Serializable {
    public static States parse(String spec) {
      int colon = spec.indexOf(':');
      if (colon <= 0) {
        throw UserException.of("--states '%s' must be column:start=A,goal=B[,alt=C...]", spec);
      }
      String start = null;
      String goal = null;
      List<String> alts = new ArrayList<>();
      for (String part : spec.substring(colon + 1).split(",", -1)) {
        if (part.isBlank()) {
          continue; // "goal=B," as "goal=B"
        }
        int eq = part.indexOf('=');
        if (eq <= 0) {
          throw UserException.of("--states '%s': '%s' is not key=value", spec, part);
        }
        String key = part.substring(0, eq).trim();
        String value = part.substring(eq + 1).trim();
        switch (key) {
          case "start" -> start = value;
          case "goal" -> goal = value;
          case "alt" -> alts.add(value);
          default ->
              throw UserException.of("--states '%s': '%s' is not start, goal or alt", spec, key);
        }
      }
      if (start == null || goal == null) {
        throw UserException.of("--states '%s' needs start= and goal=", spec);
      }
      List<String> all = new ArrayList<>(List.of(start, goal));
      all.addAll(alts);
      if (all.stream().distinct().count() != all.size()) {
        throw UserException.of(
            "--states '%s': start, goal and alternative states must differ", spec);
      }
      return new States(spec.substring(0, colon).trim(), start, goal, List.copyOf(alts));
    }

    @Override
    public String toString() {
      StringBuilder b =
          new StringBuilder(column).append(":start=").append(start).append(",goal=").append(goal);
      alternatives.forEach(a -> b.append(",alt=").append(a));
      return b.toString();
    }

    /**
     * A state's column in cell_shifts: {@code shift_} and the state in lower case, other characters
     * as '_'.
     */
    public static String shiftColumn(String state) {
      return "shift_"
          + state.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
    }

    /** Every state, start first, then goal, then the alternatives: the shift columns' order. */
    public List<String> all() {
      List<String> out = new ArrayList<>(List.of(start, goal));
      out.addAll(alternatives);
      return out;
    }
  }

  public PerturbOptions {
    genes = genes == null || genes.isEmpty() ? List.of("all") : List.copyOf(genes);
    filters = filters == null ? List.of() : List.copyOf(filters);
    OptionProblems problems = new OptionProblems();
    if (input == null || input.isBlank()) {
      problems.add("--input is required (a token table)");
    }
    if (model == null || model.isBlank()) {
      problems.add("--model is required");
    }
    if (output == null || output.isBlank()) {
      problems.add("--output is required");
    }
    if (type == null) {
      problems.add("--perturbation is required: delete, overexpress, inhibit or activate");
    }
    boolean moves = type == PerturbationType.INHIBIT || type == PerturbationType.ACTIVATE;
    if (moves && (rankShift < 1 || rankShift > 3)) {
      problems.add("--rank-shift must be 1, 2 or 3 for " + type.label());
    }
    boolean all = genes.size() == 1 && genes.get(0).equalsIgnoreCase("all");
    if (group && all) {
      problems.add("--group needs a list of genes, not all");
    }
    if (anchorGene != null && !anchorGene.isBlank()) {
      if (!all) {
        problems.add("--anchor-gene pairs the anchor with every gene: use it with --genes all");
      }
      if (states != null) {
        problems.add("--anchor-gene cannot be combined with --states (as upstream)");
      }
      if (moves) {
        problems.add("--anchor-gene combines genes for delete and overexpress only");
      }
    }
    if ((states == null) != (stateEmbeddings == null || stateEmbeddings.isBlank())) {
      problems.add("--states and --state-embeddings go together");
    }
    if (layer != -1 && layer != 0) {
      problems.add("--layer must be -1 or 0, got " + layer);
    }
    if (maxCells < 0 || partitions < 0 || batchTokens < 0) {
      problems.add("--max-cells, --partitions and --batch-tokens must be positive");
    }
    problems.throwIfAny();
  }

  public boolean allGenes() {
    return genes.size() == 1 && genes.get(0).equalsIgnoreCase("all");
  }

  /** Defaults as the CLI's. */
  public static PerturbOptions of(
      String input, String model, String output, PerturbationType type) {
    return builder().input(input).model(model).output(output).type(type).build();
  }

  public PerturbOptions withType(PerturbationType t, int shift) {
    return toBuilder().type(t).rankShift(shift).build();
  }

  public PerturbOptions withGenes(List<String> g, boolean together, String anchor) {
    return toBuilder().genes(g).group(together).anchorGene(anchor).build();
  }

  public PerturbOptions withStates(States s, String embeddings) {
    return toBuilder().states(s).stateEmbeddings(embeddings).build();
  }

  public PerturbOptions withPooling(Pooling p, int l) {
    return toBuilder().pooling(p).layer(l).build();
  }

  public PerturbOptions withSelection(
      String vocab, List<CellSelection.Filter> f, long max, long s) {
    return toBuilder().vocabulary(vocab).filters(f).maxCells(max).seed(s).build();
  }

  public PerturbOptions withOutputs(boolean genesToo, String pickles, boolean replace) {
    return toBuilder().geneShifts(genesToo).exportPickle(pickles).overwrite(replace).build();
  }

  public PerturbOptions withExecution(long tokens, Precision p, int tasks) {
    return toBuilder().batchTokens(tokens).precision(p).partitions(tasks).build();
  }

  public PerturbOptions withResume(boolean r) {
    return toBuilder().resume(r).build();
  }

  /**
   * A builder with every option at its default (the command line's); {@link Builder#build} checks
   * them all.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these options, to change some. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.input = input;
    b.model = model;
    b.output = output;
    b.vocabulary = vocabulary;
    b.type = type;
    b.rankShift = rankShift;
    b.genes = genes;
    b.group = group;
    b.anchorGene = anchorGene;
    b.states = states;
    b.stateEmbeddings = stateEmbeddings;
    b.pooling = pooling;
    b.layer = layer;
    b.filters = filters;
    b.maxCells = maxCells;
    b.seed = seed;
    b.geneShifts = geneShifts;
    b.exportPickle = exportPickle;
    b.batchTokens = batchTokens;
    b.precision = precision;
    b.partitions = partitions;
    b.overwrite = overwrite;
    b.resume = resume;
    return b;
  }

  /** The options by name; unset ones keep their defaults. */
  public static final class Builder {
    private String input;
    private String model;
    private String output;
    private String vocabulary;
    private PerturbationType type;
    private int rankShift = 1;
    private List<String> genes = List.of("all");
    private boolean group;
    private String anchorGene;
    private States states;
    private String stateEmbeddings;
    private Pooling pooling = Pooling.MEAN;
    private int layer = -1;
    private List<CellSelection.Filter> filters = List.of();
    private long maxCells;
    private long seed = CellSelection.DEFAULT_SEED;
    private boolean geneShifts;
    private String exportPickle;
    private long batchTokens = BatchBudget.AUTO;
    private Precision precision = Precision.FP32;
    private int partitions;
    private boolean overwrite;
    private boolean resume;

    private Builder() {}

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder vocabulary(String v) {
      vocabulary = v;
      return this;
    }

    public Builder type(PerturbationType v) {
      type = v;
      return this;
    }

    public Builder rankShift(int v) {
      rankShift = v;
      return this;
    }

    public Builder genes(List<String> v) {
      genes = v;
      return this;
    }

    public Builder group(boolean v) {
      group = v;
      return this;
    }

    public Builder anchorGene(String v) {
      anchorGene = v;
      return this;
    }

    public Builder states(States v) {
      states = v;
      return this;
    }

    public Builder stateEmbeddings(String v) {
      stateEmbeddings = v;
      return this;
    }

    public Builder pooling(Pooling v) {
      pooling = v;
      return this;
    }

    public Builder layer(int v) {
      layer = v;
      return this;
    }

    public Builder filters(List<CellSelection.Filter> v) {
      filters = v;
      return this;
    }

    public Builder maxCells(long v) {
      maxCells = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder geneShifts(boolean v) {
      geneShifts = v;
      return this;
    }

    public Builder exportPickle(String v) {
      exportPickle = v;
      return this;
    }

    public Builder batchTokens(long v) {
      batchTokens = v;
      return this;
    }

    public Builder precision(Precision v) {
      precision = v;
      return this;
    }

    public Builder partitions(int v) {
      partitions = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public Builder resume(boolean v) {
      resume = v;
      return this;
    }

    public PerturbOptions build() {
      return new PerturbOptions(
          input,
          model,
          output,
          vocabulary,
          type,
          rankShift,
          genes,
          group,
          anchorGene,
          states,
          stateEmbeddings,
          pooling,
          layer,
          filters,
          maxCells,
          seed,
          geneShifts,
          exportPickle,
          batchTokens,
          precision,
          partitions,
          overwrite,
          resume);
    }
  }
}
