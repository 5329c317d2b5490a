package org.cellspark.perturb;

import java.util.Locale;
import org.cellspark.error.Choices;

/**
 * How a gene is perturbed in silico (Geneformer's InSilicoPerturber perturbation types).
 *
 * <ul>
 *   <li>{@link #DELETE}: the gene's token is removed.
 *   <li>{@link #OVEREXPRESS}: the gene's token moves to the front (after {@code <cls>} in V2
 *       cells), as if it were the cell's most expressed gene; a gene the cell lacks is inserted
 *       there.
 *   <li>{@link #INHIBIT} / {@link #ACTIVATE}: declared but never implemented upstream. Here: the
 *       gene moves down (inhibit) or up (activate) by {@code rankShift} quarters of the cell's gene
 *       count, {@code ceil(rankShift * genes / 4)} positions, stopping at the last or first gene
 *       position; the other genes keep their order. A gene already at that end is not perturbed (no
 *       row).
 * </ul>
 */
public enum PerturbationType {
  DELETE,
  OVEREXPRESS,
  INHIBIT,
  ACTIVATE;

  public static PerturbationType parse(String s) {
    return Choices.parse("--perturbation", s, values(), PerturbationType::label);
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
