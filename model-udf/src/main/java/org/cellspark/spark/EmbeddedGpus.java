package org.cellspark.spark;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.cellspark.error.UserException;
import org.cellspark.infer.DeviceTurns;
import org.cellspark.model.GpuReach;

/**
 * The GPUs of embedded Spark ({@code local[...]}: {@code bin/cellspark} on one machine, a
 * notebook's local session). Spark's local scheduler offers tasks no GPUs (with {@code
 * spark.task.resource.gpu.amount} set its tasks are never scheduled), so without this a machine's
 * GPU went unused. {@code spark.cellspark.embedded.gpus}: {@code auto} (default) uses every GPU the
 * loaded libtorch can use (none with its CPU build, so a CPU machine is unchanged), {@code none}
 * the CPU, or a list of device numbers. Tasks are spread over the GPUs by partition, and take turns
 * on each ({@code spark.cellspark.embedded.tasksPerGpu} batches at once, {@link DeviceTurns}). Read
 * from the application's settings ({@code --conf}, spark-defaults) or, where a SQL query runs the
 * task, the session's. On clusters tasks use the GPUs Spark assigns them and this is not consulted.
 */
public final class EmbeddedGpus {
  /** auto: every GPU libtorch can use. */
  static final List<Integer> AUTO = List.of(-1);

  private EmbeddedGpus() {}

  /** Parses the setting: auto, none, or device numbers (comma-separated). */
  static List<Integer> parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (v.equals("auto")) {
      return AUTO;
    }
    if (v.equals("none")) {
      return List.of();
    }
    List<Integer> out = new ArrayList<>();
    for (String part : v.split(",", -1)) {
      int gpu;
      try {
        gpu = Integer.parseInt(part.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "must be auto, none or GPU numbers such as 0,1; '" + part.trim() + "' is none of them",
            e);
      }
      if (gpu < 0 || out.contains(gpu)) {
        throw new IllegalArgumentException(
            "GPU numbers are 0 or more, each listed once; " + gpu + " is not");
      }
      out.add(gpu);
    }
    return List.copyOf(out);
  }

  /** The setting as written back (for the settings page). */
  static String describe(List<Integer> gpus) {
    if (gpus.equals(AUTO)) {
      return "auto";
    }
    return gpus.isEmpty()
        ? "none"
        : gpus.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  /**
   * The device of a task of partition {@code partition} in embedded Spark: a GPU of the setting
   * (the partition's turn among them; their turns limited), else the CPU.
   *
   * @param conf the application's settings
   * @param session a setting as the session running the task has it (a task's local property), or
   *     null
   */
  static Device forTask(SparkConf conf, UnaryOperator<String> session, int partition) {
    List<Integer> gpus =
        chosen(
            parse(setting(CellsparkSettings.EMBEDDED_GPUS, conf, session)),
            EmbeddedGpus::detectedGpus);
    if (gpus.isEmpty()) {
      return Device.cpu();
    }
    Device device = Device.gpu(gpus.get(Math.floorMod(partition, gpus.size())));
    long turns = setting(CellsparkSettings.EMBEDDED_TASKS_PER_GPU, conf, session);
    DeviceTurns.limit(device, (int) Math.min(Integer.MAX_VALUE, turns));
    return device;
  }

  private static <T> T setting(
      CellsparkSettings.Key<T> key, SparkConf conf, UnaryOperator<String> session) {
    String raw = session.apply(key.name());
    return raw != null ? key.value(raw) : key.in(conf);
  }

  /** The GPUs to use: the listed ones, or for auto the first {@code detected} ones. */
  static List<Integer> chosen(List<Integer> setting, IntSupplier detected) {
    if (!setting.equals(AUTO)) {
      return setting;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < detected.getAsInt(); i++) {
      out.add(i);
    }
    return out;
  }

  /**
   * Refuses Spark's GPU scheduling in embedded Spark: with {@code spark.task.resource.gpu.amount}
   * set, its local scheduler never starts a task (the job hangs), or Spark refuses to start asking
   * for executor resource settings, which Cellspark reported as its own bug.
   *
   * @param taskGpus the setting's value, or null
   */
  public static void refuseTaskGpus(String master, String taskGpus) {
    if (taskGpus != null && embedded(master)) {
      throw UserException.of(
          "spark.task.resource.gpu.amount=%s asks Spark to schedule tasks by GPU, which embedded"
              + " Spark (master %s) cannot do: its tasks would never start. Cellspark uses this"
              + " machine's GPUs itself (spark.cellspark.embedded.gpus, default auto: every GPU"
              + " the loaded libtorch can use); drop the setting, or run on a cluster",
          taskGpus, master);
    }
  }

  /** Whether this is embedded Spark: a local master, not local-cluster (real executors). */
  static boolean embedded(SparkConf conf) {
    return embedded(conf.get("spark.master", ""));
  }

  private static boolean embedded(String master) {
    return master.equals("local") || master.startsWith("local[");
  }

  /** The GPUs libtorch can use here (asking starts the engine, after its thread settings). */
  private static int detectedGpus() {
    TorchThreads.configure();
    return GpuReach.gpus();
  }
}
