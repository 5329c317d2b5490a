package org.cellspark.io.hdf5;

import java.lang.reflect.Array;
import java.math.BigInteger;

/** Widening of the primitive arrays jHDF returns (one per HDF5 number type) to the ones we use. */
public final class ArrayConversions {
  private ArrayConversions() {}

  public static double[] toDoubles(Object array) {
    if (array instanceof double[] d) {
      return d;
    }
    int n = Array.getLength(array);
    double[] out = new double[n];
    if (array instanceof float[] f) {
      for (int i = 0; i < n; i++) {
        out[i] = f[i];
      }
    } else if (array instanceof int[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof long[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof short[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof byte[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof BigInteger[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i].doubleValue();
      }
    } else {
      throw new IllegalArgumentException("not a number array: " + array.getClass().getSimpleName());
    }
    return out;
  }

  public static long[] toLongs(Object array) {
    if (array instanceof long[] l) {
      return l;
    }
    int n = Array.getLength(array);
    long[] out = new long[n];
    if (array instanceof int[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof short[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof byte[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i];
      }
    } else if (array instanceof BigInteger[] a) {
      for (int i = 0; i < n; i++) {
        out[i] = a[i].longValueExact();
      }
    } else {
      throw new IllegalArgumentException(
          "not an integer array: " + array.getClass().getSimpleName());
    }
    return out;
  }

  public static int[] toInts(Object array) {
    if (array instanceof int[] i) {
      return i;
    }
    long[] l = toLongs(array);
    int[] out = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      out[i] = Math.toIntExact(l[i]);
    }
    return out;
  }
}
