package org.cellspark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.cellspark.error.UserException;
import org.cellspark.model.SafetensorsWriter;
import org.cellspark.model.WeightsFile;

/**
 * A fine-tune's state after an epoch, or part-way through one, as one {@code .safetensors} file:
 * its tensors (the model's weights, the best epoch's weights, AdamW's moments, each under a prefix)
 * written straight from the arrays one at a time, and the numbers (epochs so far with their losses
 * and metric, the optimizer's step, the best score and epochs since it, and how far the epoch under
 * way had come) as JSON under the metadata key {@code cellspark_state}. Safetensors rather than
 * Java serialization: nothing is held twice in the heap (a V2-316M state is about 5 GB), and any
 * safetensors reader can open it.
 */
final class TrainingState {
  static final String KEY = "cellspark_state";
  private static final int VERSION = 1;

  private TrainingState() {}

  /** Writes {@code tensors} (by name) and {@code progress} to {@code file}. */
  static void write(Path file, FineTuner.Progress progress, Map<String, NDArray> tensors) {
    try {
      SafetensorsWriter.write(file, Map.of(KEY, json(progress).toString()), tensors);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the training state " + file, e);
    }
  }

  /**
   * Reads a state written by {@link #write} into {@code into} (the same names and shapes) and
   * returns its progress. A file that does not match is refused, naming it.
   */
  static FineTuner.Progress read(Path file, Map<String, NDArray> into) {
    WeightsFile f = WeightsFile.open(file);
    String state = f.metadata().get(KEY);
    if (state == null) {
      throw UserException.of(
          "%s is not a Cellspark training state (no '%s' in its metadata)", file, KEY);
    }
    FineTuner.Progress progress = progress(file, state);
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false); // weights that record gradients are set in place
    try {
      for (Map.Entry<String, NDArray> e : into.entrySet()) {
        WeightsFile.Tensor t = f.tensors().get(e.getKey());
        long[] want = e.getValue().getShape().getShape();
        if (t == null || !Arrays.equals(t.shape(), want)) {
          throw UserException.of(
              "%s does not match this fine-tune: tensor '%s' %s, the model has shape %s",
              file,
              e.getKey(),
              t == null ? "is missing" : "has shape " + Arrays.toString(t.shape()),
              Arrays.toString(want));
        }
        try (NDArray saved =
            e.getValue().getManager().create(f.floats(e.getKey()), e.getValue().getShape())) {
          assign(e.getValue(), saved);
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    return progress;
  }

  /**
   * {@code target}'s values replaced by {@code value}'s (same shape), in place on the device, with
   * gradient recording off. Not {@code NDArray.set(Buffer)}: DJL's JNI for it goes through the host
   * and makes libtorch print a deprecation warning on the user's console.
   */
  static void assign(NDArray target, NDArray value) {
    long[] shape = target.getShape().getShape();
    long[] step = new long[shape.length];
    Arrays.fill(step, 1);
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      JniUtils.indexSet((PtNDArray) target, (PtNDArray) value, new long[shape.length], shape, step);
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  private static JsonObject json(FineTuner.Progress p) {
    JsonObject o = new JsonObject();
    o.addProperty("version", VERSION);
    o.addProperty("steps", p.steps());
    if (Double.isFinite(p.best())) {
      o.addProperty("best", p.best());
    }
    o.addProperty("since_best", p.sinceBest());
    JsonArray epochs = new JsonArray();
    for (FineTuner.Epoch e : p.epochs()) {
      JsonObject x = new JsonObject();
      x.addProperty("epoch", e.epoch());
      x.add("train_loss", number(e.trainLoss()));
      x.add("validation_loss", number(e.validationLoss()));
      x.add("validation_metric", number(e.validationMetric()));
      epochs.add(x);
    }
    o.add("epochs", epochs);
    if (p.current().batches() > 0) { // saved part-way through an epoch
      JsonObject c = new JsonObject();
      c.addProperty("batches", p.current().batches());
      c.add("loss_sum", number(p.current().lossSum()));
      c.addProperty("cells", p.current().cells());
      o.add("current_epoch", c);
    }
    return o;
  }

  /** Text for a double, so that NaN (a loss over no cells) survives JSON. */
  private static JsonElement number(double v) {
    return new JsonPrimitive(Double.toString(v));
  }

  private static FineTuner.Progress progress(Path file, String text) {
    try {
      JsonObject o = JsonParser.parseString(text).getAsJsonObject();
      if (o.get("version").getAsInt() != VERSION) {
        throw UserException.of(
            "%s is a training state of version %s; this Cellspark reads version %d",
            file, o.get("version"), VERSION);
      }
      List<FineTuner.Epoch> epochs = new ArrayList<>();
      for (JsonElement e : o.getAsJsonArray("epochs")) {
        JsonObject x = e.getAsJsonObject();
        epochs.add(
            new FineTuner.Epoch(
                x.get("epoch").getAsInt(),
                Double.parseDouble(x.get("train_loss").getAsString()),
                Double.parseDouble(x.get("validation_loss").getAsString()),
                // "validation_macro_f1": what states written before the metric was named said
                Double.parseDouble(
                    x.get(x.has("validation_metric") ? "validation_metric" : "validation_macro_f1")
                        .getAsString())));
      }
      FineTuner.Current current = FineTuner.Current.NONE;
      if (o.has("current_epoch")) {
        JsonObject c = o.getAsJsonObject("current_epoch");
        current =
            new FineTuner.Current(
                c.get("batches").getAsInt(),
                Double.parseDouble(c.get("loss_sum").getAsString()),
                c.get("cells").getAsLong());
      }
      return new FineTuner.Progress(
          epochs,
          o.get("steps").getAsInt(),
          o.has("best") ? o.get("best").getAsDouble() : Double.NEGATIVE_INFINITY,
          o.get("since_best").getAsInt(),
          current);
    } catch (JsonParseException // not JSON
        | IllegalStateException // a value of another kind than asked
        | UnsupportedOperationException
        | NullPointerException // a key missing
        | NumberFormatException e) {
      throw UserException.because(
          e, "%s: its '%s' metadata is malformed (%s)", file, KEY, e.getMessage());
    }
  }
}
