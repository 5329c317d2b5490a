package org.cellspark.spark;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.cellspark.collective.Collective;
import org.cellspark.collective.RingAllReduce;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers of a data-parallel training as the tasks of one Spark barrier stage see them: task
 * {@code i} is worker {@code i}; each opens a listening socket, the tasks exchange their executors'
 * addresses through Spark's barrier (the only traffic through the driver), and they join a {@link
 * RingAllReduce}.
 */
public final class DataParallelWorkers {
  private static final Logger LOG = LoggerFactory.getLogger(DataParallelWorkers.class);

  /** How long a worker waits for its neighbours to connect once all know the addresses. */
  private static final Duration JOIN_TIMEOUT = Duration.ofMinutes(2);

  private DataParallelWorkers() {}

  /**
   * This task's ring, and where every worker trains ({@link TaskDevice#where}: "executor ID,
   * DEVICE"), by rank.
   */
  public record Joined(Collective ring, List<String> where) {
    public Joined {
      where = List.copyOf(where);
    }
  }

  /**
   * This barrier task's place in the ring of its stage's tasks; {@code secret} null: a task that
   * trains alone (not in a barrier stage).
   */
  public static Joined join(byte[] secret) {
    String here = TaskDevice.where(TaskDevice.current());
    if (secret == null) {
      return new Joined(Collective.ALONE, List.of(here));
    }
    BarrierTaskContext task = BarrierTaskContext.get();
    int workers = task.getTaskInfos().length;
    if (workers == 1) {
      return new Joined(Collective.ALONE, List.of(here));
    }
    String host = SparkEnv.get().blockManager().blockManagerId().host();
    try (RingAllReduce.Endpoint own = RingAllReduce.Endpoint.open()) {
      String[] all = task.allGather(host + " " + own.port() + " " + here);
      List<InetSocketAddress> addresses = new ArrayList<>();
      List<String> where = new ArrayList<>();
      Set<String> executors = new LinkedHashSet<>();
      for (String worker : all) {
        String[] parts = worker.split(" ", 3);
        addresses.add(new InetSocketAddress(parts[0], Integer.parseInt(parts[1])));
        where.add(parts[2]);
        executors.add(parts[2].substring(0, Math.max(0, parts[2].indexOf(','))));
      }
      int rank = task.partitionId();
      if (rank == 0 && executors.size() < workers) {
        LOG.warn(
            "data-parallel training: {} workers on {} executor(s) ({}); workers sharing an"
                + " executor take turns, one batch at a time: give each executor one task (one GPU"
                + " each, or spark.task.cpus equal to spark.executor.cores) for the speed-up",
            workers,
            executors.size(),
            String.join(", ", executors));
      }
      LOG.info("data-parallel training: worker {} of {} at {}:{}", rank, workers, host, own.port());
      return new Joined(RingAllReduce.join(rank, addresses, own, secret, JOIN_TIMEOUT), where);
    }
  }
}
