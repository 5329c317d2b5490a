package org.cellspark.perturb;

/**
 * One perturbed copy of a cell and how to compare it with the original.
 *
 * @param perturbedGenes the perturbed genes' tokens (one, a group, or anchor + gene)
 * @param perturbed the perturbed token sequence, run through the model
 * @param original the sequence to compare with: the cell itself, or (overexpression past the
 *     model's input size) the cell truncated like the perturbed copy, so both hold the same genes
 * @param originalIndex positions in {@code original} of the genes both sequences share, in the
 *     original's order (special tokens and perturbed genes excluded)
 * @param perturbedIndex the same genes' positions in {@code perturbed}, aligned with {@code
 *     originalIndex}
 */
public record Perturbation(
    int[] perturbedGenes,
    int[] perturbed,
    int[] original,
    int[] originalIndex,
    int[] perturbedIndex) {

  /** Whether the comparison original is the cell itself (it needs no forward pass of its own). */
  public boolean comparesWithCell(int[] cell) {
    return original == cell;
  }
}
