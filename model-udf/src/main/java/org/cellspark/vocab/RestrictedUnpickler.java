package org.cellspark.vocab;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import org.cellspark.pickle.AllowListUnpickler;

/**
 * An unpickler that builds nothing but plain data and numpy scalars. Geneformer's dictionaries need
 * exactly three callables: {@code numpy.core.multiarray.scalar} and {@code numpy.dtype} (their
 * values are numpy scalars, e.g. {@code numpy.int16} token ids) and, in protocol-2 pickles, {@code
 * _codecs.encode} (how numpy's raw bytes are spelled there). Every other global, and every opcode
 * that builds an object without naming a callable, is refused ({@link AllowListUnpickler}).
 *
 * <p>Not thread-safe (as {@link net.razorvine.pickle.Unpickler}); make one per file.
 */
final class RestrictedUnpickler extends AllowListUnpickler {

  private static final IObjectConstructor SCALAR = RestrictedUnpickler::numpyScalar;
  private static final IObjectConstructor DTYPE = args -> NumpyDtype.of(args);
  private static final IObjectConstructor CODECS_ENCODE = RestrictedUnpickler::codecsEncode;

  private static final Map<String, IObjectConstructor> ALLOWED =
      Map.of(
          "numpy.core.multiarray.scalar", SCALAR,
          "numpy._core.multiarray.scalar", SCALAR, // numpy >= 2
          "numpy.dtype", DTYPE,
          "_codecs.encode", CODECS_ENCODE);

  @Override
  protected Object global(String module, String name) {
    IObjectConstructor c = ALLOWED.get(module + "." + name);
    if (c == null) {
      throw new RefusedPickleException(
          "it asks Python to call "
              + module
              + "."
              + name
              + " (only plain dicts of numbers and strings,"
              + " with numpy scalar values, are accepted)");
    }
    return c;
  }

  /** {@code numpy.core.multiarray.scalar(dtype, raw_bytes)}: one numpy number. */
  private static Object numpyScalar(Object[] args) {
    if (args.length != 2
        || !(args[0] instanceof NumpyDtype dtype)
        || !(args[1] instanceof byte[] raw)) {
      throw new RefusedPickleException("a numpy scalar without the usual (dtype, bytes) arguments");
    }
    return dtype.decode(raw);
  }

  /** {@code _codecs.encode(text, "latin1")}: how protocol 2 spells bytes. */
  private static Object codecsEncode(Object[] args) {
    if (args.length != 2 || !(args[0] instanceof String text) || !"latin1".equals(args[1])) {
      throw new RefusedPickleException("_codecs.encode with arguments other than (str, 'latin1')");
    }
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * A numpy dtype as pickled: {@code numpy.dtype("i2", False, True)} then a BUILD whose state tuple
   * holds the byte order at index 1. Only the number and boolean kinds, and the fixed-length text
   * kinds (numpy {@code str_}, {@code U<chars>}: UTF-32; {@code bytes_}, {@code S<bytes>}) are
   * accepted: a dictionary built from a numpy string array pickles its keys as such scalars.
   */
  public static final class NumpyDtype {
    private final char kind;
    private final int size;
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

    private NumpyDtype(char kind, int size) {
      this.kind = kind;
      this.size = size;
    }

    static NumpyDtype of(Object[] args) {
      if (args.length < 1 || !(args[0] instanceof String code) || code.length() < 2) {
        throw new RefusedPickleException("a numpy dtype without a type code");
      }
      char kind = code.charAt(0);
      int size;
      try {
        size = Integer.parseInt(code.substring(1));
      } catch (NumberFormatException e) {
        throw new RefusedPickleException("numpy dtype '" + code + "' is not a number or text type");
      }
      boolean ok =
          switch (kind) {
            case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'f' -> size == 4 || size == 8;
            case 'b' -> size == 1;
            case 'U' -> size >= 0 && size <= (1 << 20); // characters of 4 bytes
            case 'S' -> size >= 0 && size <= (1 << 22);
            default -> false;
          };
      if (!ok) {
        throw new RefusedPickleException(
            "numpy dtype '" + code + "' is not a plain number or text type");
      }
      return new NumpyDtype(kind, kind == 'U' ? 4 * size : size);
    }

    /** numpy str_: UTF-32 code points padded with zeros to the dtype's length. */
    private static String text(ByteBuffer b) {
      int[] points = new int[b.remaining() / 4];
      int n = 0;
      while (b.remaining() >= 4) {
        int c = b.getInt();
        if (c == 0) {
          break; // numpy pads with NUL and drops the padding when reading
        }
        if (!Character.isValidCodePoint(c)) {
          throw new RefusedPickleException(
              "a numpy str_ holding an invalid code point " + Integer.toHexString(c));
        }
        points[n++] = c;
      }
      return new String(points, 0, n);
    }

    /**
     * numpy bytes_: the bytes up to the padding, as UTF-8 text (dictionary keys and gene IDs are
     * text).
     */
    private static String bytesText(byte[] raw) {
      int n = raw.length;
      while (n > 0 && raw[n - 1] == 0) {
        n--;
      }
      return new String(raw, 0, n, StandardCharsets.UTF_8);
    }

    /** Called by Pyrolite's BUILD opcode; the state is numpy's dtype state tuple. */
    public void __setstate__(Object[] state) {
      if (state.length > 1 && state[1] instanceof String endian) {
        order = ">".equals(endian) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      }
    }

    Object decode(byte[] raw) {
      if (raw.length != size) {
        throw new RefusedPickleException(
            "a numpy scalar of " + raw.length + " bytes for a dtype of " + size + " bytes");
      }
      ByteBuffer b = ByteBuffer.wrap(raw).order(order);
      return switch (kind) {
        case 'U' -> text(b);
        case 'S' -> bytesText(raw);
        case 'b' -> raw[0] != 0;
        case 'f' -> size == 4 ? (double) b.getFloat() : b.getDouble();
        case 'i' ->
            switch (size) {
              case 1 -> (long) b.get();
              case 2 -> (long) b.getShort();
              case 4 -> (long) b.getInt();
              default -> b.getLong();
            };
        default ->
            switch (size) { // 'u'
              case 1 -> (long) (b.get() & 0xFF);
              case 2 -> (long) (b.getShort() & 0xFFFF);
              case 4 -> b.getInt() & 0xFFFFFFFFL;
              default -> {
                long v = b.getLong();
                if (v < 0) {
                  throw new RefusedPickleException("a numpy uint64 beyond the signed 64-bit range");
                }
                yield v;
              }
            };
      };
    }
  }
}
