package org.cellspark.collective;

/**
 * The workers of one data-parallel training: each knows its rank and the group's size, and they sum
 * arrays together (an all-reduce). Every worker calls the same sums in the same order with arrays
 * of the same length; each call returns when every worker holds the sum, the same values bit for
 * bit on every worker (so replicas that start equal take equal optimizer steps and stay equal).
 */
public interface Collective extends AutoCloseable {
  /** This worker's place in the group, 0 to {@code size() - 1}; worker 0 keeps the results. */
  int rank();

  /** The workers in the group. */
  int size();

  /** Replaces {@code values[from, from + length)} with its sum over the workers. */
  void sum(float[] values, int from, int length);

  /** Replaces {@code values} with its sum over the workers (a handful of numbers). */
  void sum(double[] values);

  @Override
  void close();

  /** A group of one: its sums are the values as they are. */
  Collective ALONE =
      new Collective() {
        @Override
        public int rank() {
          return 0;
        }

        @Override
        public int size() {
          return 1;
        }

        @Override
        public void sum(float[] values, int from, int length) {}

        @Override
        public void sum(double[] values) {}

        @Override
        public void close() {}
      };
}
