package org.cellspark.collective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Workers of a ring on this machine's loopback, each on a thread of its own: their sums against
 * sums computed here in double precision, the same bits on every worker, and the ways a ring
 * breaks.
 */
class RingAllReduceTest {
  private static final byte[] SECRET = "the group's secret".getBytes(StandardCharsets.UTF_8);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /** Runs {@code work} on {@code n} workers joined in a ring; each one's result, by rank. */
  private static <T> List<T> onRing(int n, Function<RingAllReduce, T> work) throws Exception {
    List<RingAllReduce.Endpoint> endpoints = new ArrayList<>();
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      RingAllReduce.Endpoint e = RingAllReduce.Endpoint.open();
      endpoints.add(e);
      addresses.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), e.port()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<T>> results = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        Callable<T> task =
            () -> {
              try (RingAllReduce ring =
                  RingAllReduce.join(rank, addresses, endpoints.get(rank), SECRET, TIMEOUT)) {
                return work.apply(ring);
              }
            };
        results.add(pool.submit(task));
      }
      List<T> out = new ArrayList<>();
      for (Future<T> f : results) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
      endpoints.forEach(RingAllReduce.Endpoint::close);
    }
  }

  private static float[] values(int rank, int length) {
    Random r = new Random(1000L * rank + length);
    float[] v = new float[length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian() * (1 + rank);
    }
    return v;
  }

  /**
   * Lengths shorter than the ring, not a multiple of it, and over a megabyte a segment (sent in
   * pieces); a part of an array (the rest untouched); every worker the same bits, within float
   * rounding of the exact sum.
   */
  @Test
  void everyWorkerEndsWithTheSameSum() throws Exception {
    for (int workers : new int[] {2, 3}) {
      for (int length : new int[] {0, 1, 2, 7, 1000, 700_001}) {
        List<float[]> sums =
            assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () ->
                    onRing(
                        workers,
                        ring -> {
                          float[] v = values(ring.rank(), length + 3);
                          ring.sum(v, 2, length);
                          return v;
                        }));
        for (int r = 0; r < workers; r++) {
          float[] mine = values(r, length + 3);
          assertThat(sums.get(r)[0]).isEqualTo(mine[0]);
          assertThat(sums.get(r)[1]).isEqualTo(mine[1]);
          assertThat(sums.get(r)[length + 2]).as("after the range").isEqualTo(mine[length + 2]);
          assertThat(Arrays.copyOfRange(sums.get(r), 2, length + 2))
              .as("worker %d of %d", r, workers)
              .isEqualTo(Arrays.copyOfRange(sums.get(0), 2, length + 2));
        }
        double[] exact = new double[length + 3];
        for (int r = 0; r < workers; r++) {
          float[] mine = values(r, length + 3);
          for (int i = 0; i < exact.length; i++) {
            exact[i] += mine[i];
          }
        }
        for (int i = 2; i < length + 2; i++) {
          if (Math.abs(sums.get(0)[i] - exact[i]) > 1e-5 * (1 + Math.abs(exact[i]))) {
            throw new AssertionError(
                workers + " workers, " + length + " values: " + i + ": " + sums.get(0)[i]);
          }
        }
      }
    }
  }

  @Test
  void doublesAreSummedExactlyWhereTheyCanBe() throws Exception {
    List<double[]> sums =
        onRing(
            3,
            ring -> {
              double[] v = {ring.rank(), 1, ring.rank() == 0 ? 0.25 : 0};
              ring.sum(v);
              return v;
            });
    for (double[] s : sums) {
      assertThat(s).containsExactly(3, 3, 0.25);
    }
  }

  /**
   * A stranger connecting to a worker first (no secret) is refused; the ring forms all the same.
   */
  @Test
  void aStrangerIsRefused() throws Exception {
    RingAllReduce.Endpoint first = RingAllReduce.Endpoint.open();
    RingAllReduce.Endpoint second = RingAllReduce.Endpoint.open();
    List<InetSocketAddress> addresses =
        List.of(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), first.port()),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), second.port()));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (Socket stranger = new Socket(InetAddress.getLoopbackAddress(), first.port())) {
      OutputStream out = stranger.getOutputStream();
      out.write(new byte[64]);
      out.flush();
      List<Future<double[]>> sums = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        RingAllReduce.Endpoint own = r == 0 ? first : second;
        sums.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring =
                      RingAllReduce.join(rank, addresses, own, SECRET, TIMEOUT)) {
                    double[] v = {1 + rank};
                    ring.sum(v);
                    return v;
                  }
                }));
      }
      assertThat(sums.get(0).get()).containsExactly(3);
      assertThat(sums.get(1).get()).containsExactly(3);
    } finally {
      pool.shutdownNow();
      first.close();
      second.close();
    }
  }

  /**
   * A worker that dies (its sockets closed) mid-training fails its neighbours' next sum, rather
   * than leaving them waiting; so does a worker whose sums went another way.
   */
  @Test
  void aLostWorkerFailsTheOthersSums() throws Exception {
    CountDownLatch gone = new CountDownLatch(1);
    List<String> outcomes =
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () ->
                onRing(
                    3,
                    ring -> {
                      double[] v = {1};
                      ring.sum(v);
                      if (ring.rank() == 1) {
                        ring.close();
                        gone.countDown();
                        return "left";
                      }
                      try {
                        gone.await();
                        ring.sum(new float[1000], 0, 1000);
                        return "summed";
                      } catch (UncheckedIOException e) {
                        return e.getMessage();
                      } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                      }
                    }));
    assertThat(outcomes.get(1)).isEqualTo("left");
    assertThat(outcomes.get(0)).contains("worker 0 lost its ring");
    assertThat(outcomes.get(2)).contains("worker 2 lost its ring");
  }

  @Test
  void workersSummingDifferentLengthsAreStopped() throws Exception {
    List<String> outcomes =
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () ->
                onRing(
                    2,
                    ring -> {
                      try {
                        ring.sum(new float[10], 0, ring.rank() == 0 ? 10 : 9);
                        return "summed";
                      } catch (IllegalStateException e) {
                        return e.getMessage();
                      }
                    }));
    assertThat(outcomes.get(0)).contains("worker 0's sum 1 is of 10 values");
    assertThat(outcomes.get(1)).contains("worker 1's sum 1 is of 9 values");
  }

  /** The killed task's thread is interrupted: its sum ends at once. */
  @Test
  void anInterruptEndsASum() throws Exception {
    List<String> outcomes =
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () ->
                onRing(
                    2,
                    ring -> {
                      if (ring.rank() == 1) {
                        return "never summed"; // its worker waits for a sum that never comes
                      }
                      Thread.currentThread().interrupt();
                      try {
                        ring.sum(new float[10], 0, 10);
                        return "summed";
                      } catch (UncheckedIOException e) {
                        return e.getCause().getClass().getSimpleName();
                      } finally {
                        Thread.interrupted();
                      }
                    }));
    assertThat(outcomes.get(0)).isEqualTo("ClosedByInterruptException");
  }

  @Test
  void aRankOutsideTheRingIsABug() {
    assertThatThrownBy(
            () ->
                RingAllReduce.join(
                    2,
                    List.of(new InetSocketAddress(1), new InetSocketAddress(2)),
                    null,
                    SECRET,
                    TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rank 2 of 2 workers");
  }
}
