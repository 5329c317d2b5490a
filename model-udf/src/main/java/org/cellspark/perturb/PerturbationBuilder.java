package org.cellspark.perturb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.cellspark.error.UserException;

/**
 * Builds a cell's perturbed copies as upstream's in silico perturber does (reference 5.3), with two
 * decisions of our own: inhibit/activate (see {@link PerturbationType}) and the overflow rule for
 * overexpressing genes a full cell lacks, {@code n_overflow = max(0, n + n_added - max_len)}
 * (upstream subtracts the inserted count twice when the cell is exactly full; 5.3).
 *
 * <p>Positions 0 / n-1 holding {@code <cls>} / {@code <eos>} (V2 cells, decided from the cell's own
 * tokens) are never perturbed and stay in place; V1 cells have no special tokens.
 */
public final class PerturbationBuilder {
  private final PerturbationType type;
  private final int rankShift;
  private final int maxLength;
  private final int clsId;
  private final int eosId;

  /**
   * @param rankShift quarters of the cell's genes to move by (inhibit/activate only, 1-3)
   * @param maxLength the model's max_position_embeddings
   * @param clsId the vocabulary's {@code <cls>}, or -1
   * @param eosId the vocabulary's {@code <eos>}, or -1
   */
  public PerturbationBuilder(
      PerturbationType type, int rankShift, int maxLength, int clsId, int eosId) {
    if ((type == PerturbationType.INHIBIT || type == PerturbationType.ACTIVATE)
        && (rankShift < 1 || rankShift > 3)) {
      throw UserException.of(
          "--rank-shift must be 1, 2 or 3 (quarters of the cell's genes) for %s, got %d",
          type.label(), rankShift);
    }
    this.type = type;
    this.rankShift = rankShift;
    this.maxLength = maxLength;
    this.clsId = clsId;
    this.eosId = eosId;
  }

  /** First gene position: 1 after {@code <cls>}, else 0. */
  int firstGene(int[] cell) {
    return cell.length > 0 && clsId >= 0 && cell[0] == clsId ? 1 : 0;
  }

  /** One past the last gene position: before {@code <eos>}, else the end. */
  int endOfGenes(int[] cell) {
    return cell.length > 0 && eosId >= 0 && cell[cell.length - 1] == eosId
        ? cell.length - 1
        : cell.length;
  }

  /** Gene positions this type perturbs one at a time ("all genes"): upstream's candidate sets. */
  public int[] candidates(int[] cell) {
    int first = firstGene(cell);
    int end = endOfGenes(cell);
    int from =
        type == PerturbationType.OVEREXPRESS ? first + 1 : first; // the top gene is already first
    return from >= end ? new int[0] : IntStream.range(from, end).toArray();
  }

  /** The gene at {@code position} perturbed alone; null when it would change nothing. */
  public Perturbation single(int[] cell, int position) {
    return positions(cell, new int[] {position}, new int[] {cell[position]});
  }

  /** The anchor gene (at {@code anchorPosition}) and the gene at {@code position} together. */
  public Perturbation withAnchor(int[] cell, int anchorPosition, int position) {
    if (type != PerturbationType.DELETE && type != PerturbationType.OVEREXPRESS) {
      throw UserException.of(
          "--anchor-gene combines genes for delete and overexpress, not %s", type.label());
    }
    int a = Math.min(anchorPosition, position);
    int b = Math.max(anchorPosition, position);
    return positions(cell, new int[] {a, b}, new int[] {cell[anchorPosition], cell[position]});
  }

  /**
   * A group of genes perturbed together (upstream's gene-list mode). Delete removes the listed
   * genes the cell has (null if it has none); overexpress puts all listed genes first, in list
   * order, inserting those the cell lacks and truncating to the model's input size.
   */
  public Perturbation group(int[] cell, int[] tokens) {
    int first = firstGene(cell);
    int end = endOfGenes(cell);
    List<Integer> present = new ArrayList<>();
    for (int t : tokens) {
      for (int p = first; p < end; p++) {
        if (cell[p] == t) {
          present.add(p);
          break;
        }
      }
    }
    int[] presentPositions = present.stream().mapToInt(Integer::intValue).sorted().toArray();
    switch (type) {
      case DELETE -> {
        return presentPositions.length == 0 ? null : positions(cell, presentPositions, tokens);
      }
      case OVEREXPRESS -> {
        return overexpressGroup(cell, presentPositions, tokens, first, end);
      }
      default -> {
        if (presentPositions.length != tokens.length) {
          return null; // inhibit/activate move genes the cell has
        }
        if (tokens.length != 1) {
          throw UserException.of(
              "%s moves one gene at a time; use it without --group", type.label());
        }
        return single(cell, presentPositions[0]);
      }
    }
  }

  /** Perturbs the genes at the given positions (ascending); single-gene and anchor modes. */
  private Perturbation positions(int[] cell, int[] at, int[] genes) {
    int first = firstGene(cell);
    int end = endOfGenes(cell);
    int n = cell.length;
    List<Integer> out = new ArrayList<>(n);
    boolean[] perturbedSlot; // positions in the perturbed sequence holding perturbed genes
    switch (type) {
      case DELETE -> {
        for (int p = 0; p < n; p++) {
          if (Arrays.binarySearch(at, p) < 0) {
            out.add(cell[p]);
          }
        }
        perturbedSlot = new boolean[out.size()];
      }
      case OVEREXPRESS -> {
        for (int p = 0; p < first; p++) {
          out.add(cell[p]);
        }
        for (int p : at) {
          out.add(cell[p]);
        }
        for (int p = first; p < n; p++) {
          if (Arrays.binarySearch(at, p) < 0) {
            out.add(cell[p]);
          }
        }
        perturbedSlot = new boolean[out.size()];
        Arrays.fill(perturbedSlot, first, first + at.length, true);
      }
      default -> {
        int i = at[0];
        int genesInCell = end - first;
        int k = (int) Math.ceil(rankShift * genesInCell / 4.0);
        int j =
            type == PerturbationType.INHIBIT ? Math.min(i + k, end - 1) : Math.max(i - k, first);
        if (j == i) {
          return null;
        }
        for (int p = 0; p < n; p++) {
          if (p != i) {
            out.add(cell[p]);
          }
        }
        out.add(j, cell[i]);
        perturbedSlot = new boolean[out.size()];
        perturbedSlot[j] = true;
      }
    }
    int[] perturbed = out.stream().mapToInt(Integer::intValue).toArray();
    if (endOfGenes(perturbed) - firstGene(perturbed) <= 0) {
      return null; // nothing left to embed
    }
    return align(genes, cell, at, perturbed, perturbedSlot);
  }

  private Perturbation overexpressGroup(
      int[] cell, int[] present, int[] tokens, int first, int end) {
    int n = cell.length;
    boolean eos = end < n;
    List<Integer> out = new ArrayList<>();
    for (int p = 0; p < first; p++) {
      out.add(cell[p]);
    }
    for (int t : tokens) {
      out.add(t);
    }
    for (int p = first; p < n; p++) {
      if (Arrays.binarySearch(present, p) < 0) {
        out.add(cell[p]);
      }
    }
    int added = tokens.length - present.length;
    int overflow = Math.max(0, n + added - maxLength);
    int[] original = overflow > 0 ? toArray(truncate(toList(cell), eos, n - overflow)) : cell;
    if (overflow > 0) {
      out = truncate(out, eos);
    }
    int[] perturbed = out.stream().mapToInt(Integer::intValue).toArray();
    boolean[] slot = new boolean[perturbed.length];
    Arrays.fill(slot, first, Math.min(first + tokens.length, slot.length), true);
    int kept = original.length;
    int[] removed = Arrays.stream(present).filter(p -> p < kept).toArray();
    return align(tokens, original, removed, perturbed, slot);
  }

  private List<Integer> truncate(List<Integer> seq, boolean keepEos) {
    return truncate(seq, keepEos, maxLength);
  }

  /** The first {@code length} tokens; with an {@code <eos>}, the first length-1 and the eos. */
  private static List<Integer> truncate(List<Integer> seq, boolean keepEos, int length) {
    if (seq.size() <= length) {
      return seq;
    }
    if (!keepEos) {
      return new ArrayList<>(seq.subList(0, length));
    }
    List<Integer> out = new ArrayList<>(seq.subList(0, length - 1));
    out.add(seq.get(seq.size() - 1));
    return out;
  }

  /**
   * Pairs the genes both sequences keep, in order: the original's genes less the perturbed
   * positions, and the perturbed copy's genes less the slots holding perturbed genes. Every
   * perturbation keeps the other genes' relative order, and truncation cuts tails, so a zip of the
   * two lists pairs each gene with itself.
   */
  private Perturbation align(
      int[] genes, int[] original, int[] removed, int[] perturbed, boolean[] perturbedSlot) {
    int oFirst = firstGene(original);
    int oEnd = endOfGenes(original);
    int pFirst = firstGene(perturbed);
    int pEnd = endOfGenes(perturbed);
    List<Integer> o = new ArrayList<>();
    for (int p = oFirst; p < oEnd; p++) {
      if (Arrays.binarySearch(removed, p) < 0) {
        o.add(p);
      }
    }
    List<Integer> q = new ArrayList<>();
    for (int p = pFirst; p < pEnd; p++) {
      if (!perturbedSlot[p]) {
        q.add(p);
      }
    }
    int m = Math.min(o.size(), q.size());
    return new Perturbation(
        genes.clone(), perturbed, original, toArray(o.subList(0, m)), toArray(q.subList(0, m)));
  }

  private static List<Integer> toList(int[] a) {
    List<Integer> out = new ArrayList<>(a.length);
    for (int v : a) {
      out.add(v);
    }
    return out;
  }

  private static int[] toArray(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
