package org.cellspark.jobs.perturb;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything one work unit produced, as written to its checkpoint file: one row per perturbation,
 * in the unit's order. A file starts and ends with a magic number, so a truncated file is never
 * taken for a finished unit (files are also written aside and renamed).
 */
record UnitResult(int unit, List<Row> rows) implements Serializable {

  /**
   * One perturbation of one cell.
   *
   * @param perturbed the perturbed genes' tokens
   * @param shifts one shift per state (empty without states)
   * @param affected the other genes' tokens (empty without gene shifts)
   * @param geneCosines each affected gene's cosine between perturbed and original
   */
  record Row(
      String cellId,
      int[] perturbed,
      double cosineSimilarity,
      double[] shifts,
      int[] affected,
      float[] geneCosines)
      implements Serializable {}

  private static final int MAGIC = 0x43535055; // "CSPU"

  void write(DataOutputStream out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(unit);
    out.writeInt(rows.size());
    for (Row r : rows) {
      out.writeUTF(r.cellId());
      ints(out, r.perturbed());
      out.writeDouble(r.cosineSimilarity());
      out.writeInt(r.shifts().length);
      for (double s : r.shifts()) {
        out.writeDouble(s);
      }
      ints(out, r.affected());
      for (float c : r.geneCosines()) {
        out.writeFloat(c);
      }
    }
    out.writeInt(MAGIC);
  }

  static UnitResult read(DataInputStream in, String name) throws IOException {
    if (in.readInt() != MAGIC) {
      throw new IOException(name + " is not a Cellspark work-unit file");
    }
    int unit = in.readInt();
    int n = in.readInt();
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String cell = in.readUTF();
      int[] perturbed = ints(in);
      double cos = in.readDouble();
      double[] shifts = new double[in.readInt()];
      for (int s = 0; s < shifts.length; s++) {
        shifts[s] = in.readDouble();
      }
      int[] affected = ints(in);
      float[] cosines = new float[affected.length];
      for (int j = 0; j < cosines.length; j++) {
        cosines[j] = in.readFloat();
      }
      rows.add(new Row(cell, perturbed, cos, shifts, affected, cosines));
    }
    if (in.readInt() != MAGIC) {
      throw new IOException(name + " is incomplete");
    }
    return new UnitResult(unit, rows);
  }

  private static void ints(DataOutputStream out, int[] a) throws IOException {
    out.writeInt(a.length);
    for (int v : a) {
      out.writeInt(v);
    }
  }

  private static int[] ints(DataInputStream in) throws IOException {
    int[] a = new int[in.readInt()];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readInt();
    }
    return a;
  }
}
