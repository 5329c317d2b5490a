package org.cellspark.bench;

import ai.djl.Device;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.cellspark.model.Encoder;
import org.cellspark.model.ModelLoader;
import org.cellspark.model.WeightsFile;

/**
 * How long a model takes to read from {@code pytorch_model.bin} against the same model's {@code
 * model.safetensors} (bench/checkpoint/make_inputs.py: V2-104M's shape), in rounds that alternate
 * which format goes first: the table of contents ({@link WeightsFile#open}), every weight read as
 * fp32 into memory, and the encoder loaded (the fused program on the CPU, weights checked and
 * bound). PyTorch's {@code torch.load(weights_only=True)} of the .bin, every tensor in memory, is
 * the baseline for contents + read. Prints each round and the medians' ratios.
 *
 * <p>{@code bench/checkpoint/run.sh [ROUNDS]}
 */
public final class WeightsLoadBenchmark {
  private static final Set<String> FLOATS = Set.of("F32", "F16", "BF16");

  private WeightsLoadBenchmark() {}

  /** One reading's times in seconds, and the sum of the encoder's weights (the same either way). */
  private record Timing(double contents, double read, double load, double sum) {}

  public static void main(String[] args) throws Exception {
    Path work = Paths.get(args[0]);
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path safetensors = work.resolve("safetensors");
    Path bin = work.resolve("bin");
    System.out.printf(
        Locale.ROOT,
        "model.safetensors %,d bytes, pytorch_model.bin %,d bytes%n",
        Files.size(safetensors.resolve("model.safetensors")),
        Files.size(bin.resolve("pytorch_model.bin")));
    List<Timing> st = new ArrayList<>();
    List<Timing> pt = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      boolean binFirst = r % 2 == 1;
      if (binFirst) {
        pt.add(time("pytorch_model.bin", bin.resolve("pytorch_model.bin"), bin, r));
      }
      st.add(time("model.safetensors", safetensors.resolve("model.safetensors"), safetensors, r));
      if (!binFirst) {
        pt.add(time("pytorch_model.bin", bin.resolve("pytorch_model.bin"), bin, r));
      }
    }
    List<Double> torch = torchLoad(bin.resolve("pytorch_model.bin"), rounds);
    double[] stm = medians(st);
    double[] ptm = medians(pt);
    System.out.printf(
        Locale.ROOT,
        "%nmedians (s)          contents   read all   load encoder%n"
            + "model.safetensors    %8.3f   %8.3f   %8.3f%n"
            + "pytorch_model.bin    %8.3f   %8.3f   %8.3f%n"
            + "ratio bin / safetensors (time): contents %.2f, read %.2f, load %.2f%n",
        stm[0],
        stm[1],
        stm[2],
        ptm[0],
        ptm[1],
        ptm[2],
        ptm[0] / stm[0],
        ptm[1] / stm[1],
        ptm[2] / stm[2]);
    System.out.printf(
        Locale.ROOT,
        "same weights from both files: %s%n",
        st.get(0).sum() == pt.get(0).sum() ? "yes (sums equal)" : "NO");
    if (torch.isEmpty()) {
      System.out.println("torch.load: not run (no /usr/bin/python3 with torch)");
    } else {
      double t = median(torch);
      System.out.printf(
          Locale.ROOT,
          "torch.load(weights_only=True), median %.3f s; ratio torch.load / Cellspark's"
              + " contents + read of the .bin (speed): %.2f%n",
          t,
          t / (ptm[0] + ptm[1]));
    }
  }

  private static Timing time(String label, Path file, Path folder, int round) {
    // The last reading's 400 MB of direct buffers are freed only by a collection; without one here,
    // an allocation inside the timing would wait for it (the JDK's direct-memory reservation).
    System.gc();
    long t0 = System.nanoTime();
    WeightsFile f = WeightsFile.open(file);
    long t1 = System.nanoTime();
    Map<String, FloatBuffer> weights = new TreeMap<>();
    for (WeightsFile.Tensor t : f.tensors().values()) {
      if (FLOATS.contains(t.dtype()) && t.name().startsWith("bert.")) {
        weights.put(t.name(), f.floats(t.name()));
      }
    }
    long t2 = System.nanoTime();
    try (Encoder e = ModelLoader.load(folder, Device.cpu())) {
      if (e.config().numLayers() <= 0) {
        throw new IllegalStateException("no layers");
      }
    }
    long t3 = System.nanoTime();
    double sum = 0; // outside the timing, in name order: the files order the tensors differently
    for (FloatBuffer b : weights.values()) {
      while (b.hasRemaining()) {
        sum += b.get();
      }
    }
    Timing t = new Timing((t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, sum);
    System.out.printf(
        Locale.ROOT,
        "round %d %-18s contents %.3f s, read %.3f s, load %.3f s (%d tensors)%n",
        round,
        label,
        t.contents(),
        t.read(),
        t.load(),
        f.tensors().size());
    return t;
  }

  private static double[] medians(List<Timing> ts) {
    return new double[] {
      median(ts.stream().map(Timing::contents).toList()),
      median(ts.stream().map(Timing::read).toList()),
      median(ts.stream().map(Timing::load).toList())
    };
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static List<Double> torchLoad(Path file, int rounds) {
    List<Double> out = new ArrayList<>();
    Path python = Paths.get("/usr/bin/python3");
    Path script = Paths.get("bench/checkpoint/torch_load.py").toAbsolutePath();
    if (!Files.isExecutable(python) || !Files.exists(script)) {
      return out;
    }
    try {
      Process p =
          new ProcessBuilder(
                  python.toString(), script.toString(), file.toString(), String.valueOf(rounds))
              .redirectErrorStream(true)
              .start();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          System.out.println("  " + line);
          if (line.startsWith("torch_load seconds=")) {
            out.add(Double.parseDouble(line.split(" ")[1].substring("seconds=".length())));
          }
        }
      }
      return p.waitFor() == 0 ? out : List.of();
    } catch (Exception e) {
      return List.of();
    }
  }
}
