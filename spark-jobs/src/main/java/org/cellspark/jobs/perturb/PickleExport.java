package org.cellspark.jobs.perturb;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.Pickler;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;

/**
 * Upstream's raw pickles (reference 5.5), so Geneformer's InSilicoPerturberStats and notebooks can
 * read a Cellspark screen: every task writes {@code
 * in_silico_<type>_cellspark_dict_cell_embs_<n>batch0_raw.pickle} (and {@code
 * ..._dict_gene_embs_...} with gene shifts) for its share of the units; the stats step concatenates
 * the lists of all files, so how cells are spread over files does not matter.
 *
 * <ul>
 *   <li>cell dict, no states: {@code {(token, "cell_emb"): [cosine similarity per cell]}}; a
 *       group's key is the tuple of its tokens; with an anchor gene, the other gene's token (as
 *       upstream).
 *   <li>cell dict, states: {@code {state: {(token, "cell_emb"): [shift per cell]}}}, every state.
 *   <li>gene dict: {@code {(token, affected token): [cosine per cell]}}.
 * </ul>
 */
final class PickleExport
    implements Function2<Integer, Iterator<UnitResult>, Iterator<Long>>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String folder;
  private final String type;
  private final List<String> states;
  private final int anchor;
  private final boolean geneShifts;
  private final SerializableWritable<Configuration> hadoop;

  PickleExport(
      String folder,
      String type,
      List<String> states,
      int anchor,
      boolean geneShifts,
      Configuration hadoop) {
    this.folder = folder;
    this.type = type;
    this.states = List.copyOf(states);
    this.anchor = anchor;
    this.geneShifts = geneShifts;
    this.hadoop = new SerializableWritable<>(hadoop);
  }

  /** Writes the pickles; returns the number of files written. */
  static long write(JavaRDD<UnitResult> units, PickleExport export) {
    return units.mapPartitionsWithIndex(export, false).collect().stream()
        .mapToLong(Long::longValue)
        .sum();
  }

  @Override
  public Iterator<Long> call(Integer partition, Iterator<UnitResult> units) throws IOException {
    Map<List<Object>, List<Double>> cells = new LinkedHashMap<>();
    List<Map<List<Object>, List<Double>>> shifts = new ArrayList<>();
    for (int s = 0; s < states.size(); s++) {
      shifts.add(new LinkedHashMap<>());
    }
    Map<List<Object>, List<Double>> genes = new LinkedHashMap<>();
    boolean any = false;
    while (units.hasNext()) {
      for (UnitResult.Row r : units.next().rows()) {
        any = true;
        Object key = key(r.perturbed());
        List<Object> cellKey = Arrays.asList(key, "cell_emb");
        if (states.isEmpty()) {
          cells.computeIfAbsent(cellKey, k -> new ArrayList<>()).add(r.cosineSimilarity());
        } else {
          for (int s = 0; s < states.size(); s++) {
            shifts.get(s).computeIfAbsent(cellKey, k -> new ArrayList<>()).add(r.shifts()[s]);
          }
        }
        for (int j = 0; j < r.affected().length; j++) {
          genes
              .computeIfAbsent(Arrays.asList(key, r.affected()[j]), k -> new ArrayList<>())
              .add((double) r.geneCosines()[j]);
        }
      }
    }
    if (!any) {
      return List.<Long>of(0L).iterator();
    }
    Object cellDict;
    if (states.isEmpty()) {
      cellDict = tuples(cells);
    } else {
      Map<Object, Object> byState = new LinkedHashMap<>();
      for (int s = 0; s < states.size(); s++) {
        byState.put(states.get(s), tuples(shifts.get(s)));
      }
      cellDict = byState;
    }
    String prefix = "in_silico_" + type + "_cellspark_dict_";
    dump(cellDict, prefix + "cell_embs_" + partition + "batch0_raw.pickle");
    long files = 1;
    if (geneShifts) {
      dump(tuples(genes), prefix + "gene_embs_" + partition + "batch0_raw.pickle");
      files++;
    }
    return List.of(files).iterator();
  }

  /** The perturbed genes as upstream keys them: one token, the anchor's partner, or a tuple. */
  private Object key(int[] perturbed) {
    if (perturbed.length == 1) {
      return perturbed[0];
    }
    if (anchor >= 0 && perturbed.length == 2) {
      return perturbed[0] == anchor ? perturbed[1] : perturbed[0];
    }
    return Arrays.stream(perturbed).boxed().toList(); // a List while grouping; a tuple when written
  }

  /** Keys as Python tuples (Pyrolite pickles Object[] as a tuple, which Python can hash). */
  private static Map<Object, Object> tuples(Map<List<Object>, List<Double>> dict) {
    Map<Object, Object> out = new LinkedHashMap<>();
    dict.forEach((k, v) -> out.put(tuple(k), v));
    return out;
  }

  private static Object[] tuple(List<?> list) {
    Object[] out = new Object[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i) instanceof List<?> inner ? tuple(inner) : list.get(i);
    }
    return out;
  }

  private void dump(Object value, String name) throws IOException {
    Path p = new Path(folder, name);
    FileSystem fs = p.getFileSystem(hadoop.value());
    try (OutputStream out = new BufferedOutputStream(fs.create(p, true))) {
      new Pickler().dump(value, out);
    }
  }
}
