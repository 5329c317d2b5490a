package org.cellspark.jobs.medians;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoSerializable;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.Serializable;

/**
 * What the exact medians' shuffle carries: one task's values of one group of {@link #GENES}
 * consecutive genes (the group is the shuffle key), gene {@code j}'s values at {@code
 * values[starts[j] .. starts[j + 1])}. A block per group and flush rather than an array per gene
 * and flush: 64 times fewer objects to serialize, group and read back, which cost more than the
 * values themselves when each gene's share of a flush is a few hundred values. A class rather than
 * a record, with a compact form of its own under Kryo (Spark's Kryo cannot build records).
 */
final class GeneBlock implements Serializable, KryoSerializable {
  private static final long serialVersionUID = 1L;

  /** Genes per group. */
  static final int GENES = 8;

  private int[] starts;
  private double[] values;

  GeneBlock(int[] starts, double[] values) {
    this.starts = starts;
    this.values = values;
  }

  /** The number of values of the group's {@code j}-th gene. */
  int count(int j) {
    return starts[j + 1] - starts[j];
  }

  /**
   * Copies the group's {@code j}-th gene's values into {@code to} at {@code at}; returns how many.
   */
  int copy(int j, double[] to, int at) {
    int n = count(j);
    System.arraycopy(values, starts[j], to, at, n);
    return n;
  }

  @Override
  public void write(Kryo kryo, Output out) {
    out.writeVarInt(starts.length, true);
    out.writeInts(starts);
    out.writeVarInt(values.length, true);
    out.writeDoubles(values);
  }

  @Override
  public void read(Kryo kryo, Input in) {
    starts = in.readInts(in.readVarInt(true));
    values = in.readDoubles(in.readVarInt(true));
  }
}
