package org.cellspark.collective;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An all-reduce over TCP between the workers of a ring, each connected to the next: the sum is cut
 * into one segment per worker; in {@code size - 1} steps each worker sends a segment to the next
 * while adding the one it receives from the previous (after which each holds one segment summed
 * over every worker), then in {@code size - 1} more the summed segments travel round the ring. Each
 * worker sends and receives {@code 2 (size - 1) / size} of the array whatever the group's size (the
 * algorithm of Horovod and NCCL's rings), and a segment's sum is computed once and copied, so every
 * worker ends with the same bits.
 *
 * <p>Blocking channels: a task killed by Spark is interrupted, which closes the channel it waits on
 * and ends its sum; a worker whose JVM dies closes its sockets, and its neighbours' sums fail
 * rather than wait. Every connection starts with the group's secret (made by the driver and shipped
 * in the task over Spark's own RPC), so a stray connection is refused; the data itself crosses
 * unencrypted, as Spark's shuffle does unless its network encryption is on: the executors' network
 * must be one the cluster trusts.
 */
public final class RingAllReduce implements Collective {
  private static final Logger LOG = LoggerFactory.getLogger(RingAllReduce.class);
  private static final int MAGIC = 0x43535231; // "CSR1"

  /** Bytes a read or a write moves at a time. */
  private static final int PIECE = 1 << 20;

  /**
   * A worker's connection to its ring broke part-way through a sum: most often because another
   * worker's task failed (its sockets close as it ends) or was killed, sometimes the network
   * itself. Its own type, so that whoever runs the worker can tell this consequence from a cause.
   */
  public static final class LostRing extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    LostRing(String message, IOException cause) {
      super(message, cause);
    }
  }

  /**
   * A worker's listening socket, opened before the workers learn each other's addresses, so that a
   * worker knowing the address can connect at once.
   */
  public static final class Endpoint implements AutoCloseable {
    private final ServerSocketChannel server;

    private Endpoint(ServerSocketChannel server) {
      this.server = server;
    }

    /** A socket listening on every interface, on a port the system picks. */
    public static Endpoint open() {
      try {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(0));
        return new Endpoint(server);
      } catch (IOException e) {
        throw new UncheckedIOException("data-parallel training: cannot open a listening socket", e);
      }
    }

    public int port() {
      return server.socket().getLocalPort();
    }

    @Override
    public void close() {
      try {
        server.close();
      } catch (IOException e) {
        LOG.debug("closing the listening socket", e);
      }
    }
  }

  private final int rank;
  private final List<InetSocketAddress> workers;
  private final SocketChannel next;
  private final SocketChannel previous;
  private final ExecutorService sender;
  private final ByteBuffer outgoing =
      ByteBuffer.allocateDirect(PIECE).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer incoming =
      ByteBuffer.allocateDirect(PIECE).order(ByteOrder.LITTLE_ENDIAN);
  private long calls;

  private RingAllReduce(
      int rank, List<InetSocketAddress> workers, SocketChannel next, SocketChannel previous) {
    this.rank = rank;
    this.workers = List.copyOf(workers);
    this.next = next;
    this.previous = previous;
    this.sender =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cellspark-ring-sender-" + rank);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Joins the ring: connects to the next worker and accepts the previous one's connection (each
   * proving it knows {@code secret}), within {@code timeout}.
   *
   * @param workers every worker's address, by rank ({@code own} listens at this worker's)
   */
  public static RingAllReduce join(
      int rank, List<InetSocketAddress> workers, Endpoint own, byte[] secret, Duration timeout) {
    int size = workers.size();
    if (rank < 0 || rank >= size) {
      throw new IllegalArgumentException("rank " + rank + " of " + size + " workers");
    }
    if (size == 1) {
      return new RingAllReduce(rank, workers, null, null);
    }
    SocketChannel next = null;
    SocketChannel previous = null;
    try {
      InetSocketAddress to = workers.get((rank + 1) % size);
      next = SocketChannel.open();
      next.socket().connect(to, (int) timeout.toMillis());
      next.socket().setTcpNoDelay(true);
      ByteBuffer hello = ByteBuffer.allocate(16 + secret.length).order(ByteOrder.LITTLE_ENDIAN);
      hello.putInt(MAGIC).putInt(size).putInt(rank).putInt(secret.length).put(secret).flip();
      writeFully(next, hello);
      previous = accept(own, rank, size, secret, workers, timeout);
      return new RingAllReduce(rank, workers, next, previous);
    } catch (IOException e) {
      closeQuietly(next);
      closeQuietly(previous);
      throw new UncheckedIOException(
          String.format(
              Locale.ROOT,
              "data-parallel training: worker %d of %d cannot join its ring (workers at %s): %s;"
                  + " the workers' executors must reach each other on any port (as Spark's own"
                  + " shuffle does)",
              rank,
              size,
              workers,
              e.getMessage()),
          e);
    }
  }

  /** The previous worker's connection; strangers (no magic, a wrong secret) are refused. */
  private static SocketChannel accept(
      Endpoint own,
      int rank,
      int size,
      byte[] secret,
      List<InetSocketAddress> workers,
      Duration timeout)
      throws IOException {
    int expected = (rank + size - 1) % size;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      own.server.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      Socket socket;
      try {
        socket = own.server.socket().accept();
      } catch (SocketTimeoutException e) {
        throw new IOException(
            "worker "
                + expected
                + " (at "
                + workers.get(expected)
                + ") did not connect within "
                + timeout.toSeconds()
                + " s",
            e);
      }
      socket.setSoTimeout((int) Math.max(1000, Math.min(Integer.MAX_VALUE, left)));
      DataInputStream in = new DataInputStream(socket.getInputStream());
      try {
        int magic = Integer.reverseBytes(in.readInt());
        int theirSize = Integer.reverseBytes(in.readInt());
        int theirRank = Integer.reverseBytes(in.readInt());
        int secretLength = Integer.reverseBytes(in.readInt());
        if (magic != MAGIC || secretLength != secret.length) {
          throw new IOException("not a Cellspark worker");
        }
        byte[] theirs = new byte[secretLength];
        in.readFully(theirs);
        if (!MessageDigest.isEqual(theirs, secret)) {
          throw new IOException("not a worker of this training (another secret)");
        }
        if (theirSize != size || theirRank != expected) {
          socket.close();
          throw new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "data-parallel training: worker %d of %d was reached by worker %d of %d; the"
                      + " workers disagree on the ring",
                  rank,
                  size,
                  theirRank,
                  theirSize));
        }
      } catch (IOException e) {
        LOG.warn(
            "data-parallel training: refused a connection from {}: {}",
            socket.getRemoteSocketAddress(),
            e.getMessage());
        socket.close();
        continue;
      }
      socket.setSoTimeout(0);
      socket.setTcpNoDelay(true);
      return socket.getChannel();
    }
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return workers.size();
  }

  @Override
  public void sum(float[] values, int from, int length) {
    if (from < 0 || length < 0 || from + length > values.length) {
      throw new IndexOutOfBoundsException(from + "+" + length + " of " + values.length);
    }
    ring(new Floats(values), from, length);
  }

  @Override
  public void sum(double[] values) {
    ring(new Doubles(values), 0, values.length);
  }

  /** Reduce-scatter, then all-gather, over {@code [from, from + length)}. */
  private void ring(Elements e, int from, int length) {
    int size = workers.size();
    if (size == 1) {
      return;
    }
    try {
      agree(e, length);
      for (int k = 0; k < size - 1; k++) {
        exchange(
            e,
            from,
            length,
            Math.floorMod(rank - k, size),
            Math.floorMod(rank - k - 1, size),
            true);
      }
      for (int k = 0; k < size - 1; k++) {
        exchange(
            e,
            from,
            length,
            Math.floorMod(rank + 1 - k, size),
            Math.floorMod(rank - k, size),
            false);
      }
    } catch (IOException x) {
      throw new LostRing(
          String.format(
              Locale.ROOT,
              "data-parallel training: worker %d lost its ring (the previous worker at %s, the next"
                  + " at %s): %s; a worker's task failed or was killed, and Spark runs every"
                  + " worker's task again",
              rank,
              workers.get(Math.floorMod(rank - 1, size)),
              workers.get((rank + 1) % size),
              x),
          x);
    }
  }

  /** Every worker sums the same kind of array of the same length in its n-th call, or none does. */
  private void agree(Elements e, int length) throws IOException {
    calls++;
    ByteBuffer mine = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    mine.putLong(calls).putInt(e.bytes()).putInt(length).flip();
    writeFully(next, mine);
    ByteBuffer theirs = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    readFully(previous, theirs);
    theirs.flip();
    long theirCall = theirs.getLong();
    int theirBytes = theirs.getInt();
    int theirLength = theirs.getInt();
    if (theirCall != calls || theirBytes != e.bytes() || theirLength != length) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "data-parallel training: worker %d's sum %d is of %d values of %d bytes, the previous"
                  + " worker's %d of %d values of %d bytes; the workers took different paths (a"
                  + " bug in Cellspark)",
              rank,
              calls,
              length,
              e.bytes(),
              theirCall,
              theirLength,
              theirBytes));
    }
  }

  /**
   * Sends segment {@code send} to the next worker while receiving segment {@code receive} from the
   * previous one, adding it in (or copying it over, once the segments are summed).
   */
  private void exchange(Elements e, int from, int length, int send, int receive, boolean add)
      throws IOException {
    int[] out = segment(from, length, send);
    Future<?> sent =
        sender.submit(
            () -> {
              stream(e, out[0], out[1]);
              return null;
            });
    int[] in = segment(from, length, receive);
    int perPiece = PIECE / e.bytes();
    for (int at = in[0]; at < in[1]; at += perPiece) {
      int n = Math.min(perPiece, in[1] - at);
      incoming.clear().limit(n * e.bytes());
      readFully(previous, incoming);
      incoming.flip();
      e.take(incoming, at, n, add);
    }
    try {
      sent.get();
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
      sent.cancel(true);
      throw new java.io.InterruptedIOException("interrupted while sending");
    } catch (ExecutionException x) {
      Throwable cause = x.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(cause);
    }
  }

  /** Writes {@code [start, end)} to the next worker (on the sender thread). */
  private void stream(Elements e, int start, int end) throws IOException {
    int perPiece = PIECE / e.bytes();
    for (int at = start; at < end; at += perPiece) {
      int n = Math.min(perPiece, end - at);
      outgoing.clear();
      e.give(outgoing, at, n);
      outgoing.flip();
      writeFully(next, outgoing);
    }
  }

  /** Segment {@code j}'s bounds: the range cut into {@code size} near-equal parts. */
  private int[] segment(int from, int length, int j) {
    int size = workers.size();
    return new int[] {
      from + (int) ((long) length * j / size), from + (int) ((long) length * (j + 1) / size)
    };
  }

  private static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  private static void readFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        throw new IOException("the connection was closed");
      }
    }
  }

  @Override
  public void close() {
    sender.shutdownNow();
    closeQuietly(next);
    closeQuietly(previous);
  }

  private static void closeQuietly(SocketChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.debug("closing a ring connection", e);
      }
    }
  }

  /** An array's elements to and from little-endian bytes. */
  private interface Elements {
    int bytes();

    /** Puts {@code n} elements from {@code at} into {@code b}. */
    void give(ByteBuffer b, int at, int n);

    /** Adds {@code b}'s {@code n} elements into the array from {@code at}, or copies them over. */
    void take(ByteBuffer b, int at, int n, boolean add);
  }

  private record Floats(float[] values) implements Elements {
    @Override
    public int bytes() {
      return Float.BYTES;
    }

    @Override
    public void give(ByteBuffer b, int at, int n) {
      b.asFloatBuffer().put(values, at, n);
      b.position(b.position() + n * Float.BYTES);
    }

    @Override
    public void take(ByteBuffer b, int at, int n, boolean add) {
      java.nio.FloatBuffer f = b.asFloatBuffer();
      if (add) {
        for (int i = 0; i < n; i++) {
          values[at + i] += f.get(i);
        }
      } else {
        f.get(values, at, n);
      }
    }
  }

  private record Doubles(double[] values) implements Elements {
    @Override
    public int bytes() {
      return Double.BYTES;
    }

    @Override
    public void give(ByteBuffer b, int at, int n) {
      b.asDoubleBuffer().put(values, at, n);
      b.position(b.position() + n * Double.BYTES);
    }

    @Override
    public void take(ByteBuffer b, int at, int n, boolean add) {
      java.nio.DoubleBuffer d = b.asDoubleBuffer();
      if (add) {
        for (int i = 0; i < n; i++) {
          values[at + i] += d.get(i);
        }
      } else {
        d.get(values, at, n);
      }
    }
  }
}
