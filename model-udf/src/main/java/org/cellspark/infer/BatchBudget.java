package org.cellspark.infer;

import ai.djl.Device;
import java.util.Locale;
import org.cellspark.error.UserException;

/**
 * The padded tokens a batch may hold (cells x its longest cell) when the user sets none ({@code
 * --batch-tokens auto}), chosen where the model runs, for its device and attention:
 *
 * <ul>
 *   <li>CPU: {@value #CPU}. A CPU is busy with any batch: on a V1-10M-shaped model over cells of
 *       256-2,048 tokens, one thread, budgets of 4,096, 16,384 and 65,536 tokens ran within 1% of
 *       each other (bench/gpu's sweep run on the CPU); the smaller budget keeps a task's activation
 *       memory small.
 *   <li>GPU with fused attention (Cellspark's program, which runs Hugging Face folders): {@value
 *       #GPU_FUSED}. Larger batches keep a GPU busier: the encoder's forward on an H200
 *       (bench/perturb, V1-10M shape, fp16) ran 14% faster at 65,536 tokens than at 16,384 on
 *       2,048-token cells and 18% faster on 1,024-token cells. Fused attention holds no length x
 *       length scores, so a batch's activations stay near tokens x intermediate size (65,536 x
 *       4,608 x 2 bytes, 600 MB, for V2-316M in fp16).
 *   <li>GPU without it (the native engine; TorchScript files, which may have been traced with eager
 *       attention): {@value #GPU_UNFUSED}. Their attention scores grow with cells x heads x
 *       length^2: at 65,536 tokens of 4,096-token cells, 6.4 GB a layer for V2-104M in fp16 (25.7
 *       GiB at the peak, measured), more than a 16 GB GPU holds.
 * </ul>
 */
public final class BatchBudget {
  /** The setting's value that asks for the device's budget. */
  public static final long AUTO = 0;

  static final long CPU = 16_384;
  static final long GPU_FUSED = 65_536;
  static final long GPU_UNFUSED = 16_384;

  private BatchBudget() {}

  /** The budget for a batch on {@code device}: {@code requested}, or the device's if AUTO. */
  public static long resolve(long requested, Device device, boolean fusedAttention) {
    if (requested != AUTO) {
      return requested;
    }
    if (!device.isGpu()) {
      return CPU;
    }
    return fusedAttention ? GPU_FUSED : GPU_UNFUSED;
  }

  /**
   * Reads a budget as users write it: {@code auto}, or a positive number of tokens.
   *
   * @param what how messages name the setting (e.g. --batch-tokens)
   */
  public static long parse(String text, String what) {
    String t = text.trim();
    if (t.toLowerCase(Locale.ROOT).equals("auto")) {
      return AUTO;
    }
    long v;
    try {
      v = Long.parseLong(t.replace("_", "").replace(",", ""));
    } catch (NumberFormatException e) {
      throw UserException.of(
          "%s '%s' is not a number of tokens: give a positive whole number, or auto", what, text);
    }
    if (v <= 0) {
      throw UserException.of(
          "%s must be a positive number of tokens, or auto (the device's budget); got %s",
          what, text);
    }
    return v;
  }

  /** How the budget reads in summaries: the number, or {@code auto}. */
  public static String describe(long batchTokens) {
    return batchTokens == AUTO ? "auto" : Long.toString(batchTokens);
  }
}
