package org.cellspark.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.cellspark.error.UserException;
import org.cellspark.model.TorchCheckpointUnpickler.TensorRef;
import org.cellspark.pickle.AllowListUnpickler;

/**
 * A PyTorch checkpoint's table of contents ({@code pytorch_model.bin}, or any state dict {@code
 * torch.save} wrote since PyTorch 1.6): a zip archive, stored without compression, holding {@code
 * <name>/data.pkl} (the state dict, pickled, tensors referring to storages by key), {@code
 * <name>/data/<key>} (each storage's raw bytes) and, from PyTorch 2.1, {@code <name>/byteorder}.
 * Each tensor becomes a byte range of the file: its storage's place in the archive plus its offset,
 * so reading it is the same as reading safetensors. Tied weights (the masked-LM decoder and the
 * word embeddings) share one storage, and so one range.
 */
final class TorchCheckpoint {
  static final String FORMAT = "PyTorch checkpoint";

  private TorchCheckpoint() {}

  // ZipFile(File) is deprecated from Commons Compress 1.26 (Spark 4.0's version) in favour of a
  // builder that 1.23 (Spark 3.5's) does not have; it works the same in both.
  @SuppressWarnings("deprecation")
  static WeightsFile read(Path path) {
    try (ZipFile zip = new ZipFile(path.toFile())) {
      String prefix = prefix(path, zip);
      checkByteOrder(path, zip, prefix);
      Map<?, ?> stateDict = stateDict(path, zip, prefix + "data.pkl");
      Map<String, WeightsFile.Tensor> tensors = new LinkedHashMap<>();
      SortedMap<String, String> others = new TreeMap<>();
      for (Map.Entry<?, ?> e : stateDict.entrySet()) {
        String name = String.valueOf(e.getKey());
        if (e.getValue() instanceof TensorRef ref) {
          tensors.put(name, tensor(path, zip, prefix, name, ref));
        } else {
          others.put(name, describe(e.getValue()));
        }
      }
      if (!others.isEmpty()) {
        throw UserException.of(
            "%s holds more than tensors (%s); Cellspark reads a model's state dict (what"
                + " save_pretrained or torch.save(model.state_dict(), f) writes), not a training"
                + " checkpoint holding one",
            path,
            others.entrySet().stream()
                .limit(5)
                .map(e -> "'" + e.getKey() + "' is " + e.getValue())
                .collect(Collectors.joining(", ")));
      }
      return new WeightsFile(path, FORMAT, tensors, Map.of());
    } catch (IOException e) {
      throw UserException.because(
          e, "Cannot read %s as a PyTorch checkpoint (a zip archive): %s", path, e.getMessage());
    }
  }

  /** The archive's one top-level folder: {@code pytorch_model/} or {@code archive/}, say. */
  private static String prefix(Path path, ZipFile zip) {
    List<String> pickles = new ArrayList<>();
    for (ZipArchiveEntry entry : Collections.list(zip.getEntries())) {
      String name = entry.getName();
      if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
        pickles.add(name);
      }
    }
    if (pickles.size() != 1) {
      throw UserException.of(
          "%s is a zip archive but not a PyTorch checkpoint (%s); pass the model's"
              + " model.safetensors or the pytorch_model.bin that torch.save wrote",
          path, pickles.isEmpty() ? "no <name>/data.pkl in it" : "several data.pkl: " + pickles);
    }
    return pickles.get(0).substring(0, pickles.get(0).length() - "data.pkl".length());
  }

  private static void checkByteOrder(Path path, ZipFile zip, String prefix) throws IOException {
    ZipArchiveEntry entry = zip.getEntry(prefix + "byteorder");
    if (entry == null) {
      return; // before PyTorch 2.1: always little-endian
    }
    try (InputStream in = zip.getInputStream(entry)) {
      String order = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
      if (!"little".equals(order)) {
        throw UserException.of(
            "%s was saved on a %s-endian machine; load it and save it again on a little-endian"
                + " one (x86, ARM)",
            path, order);
      }
    }
  }

  private static Map<?, ?> stateDict(Path path, ZipFile zip, String pickle) throws IOException {
    Object root;
    try (InputStream in = zip.getInputStream(zip.getEntry(pickle))) {
      root = new TorchCheckpointUnpickler().load(in);
    } catch (AllowListUnpickler.RefusedPickleException e) {
      throw UserException.because(
          e,
          "%s is refused: %s. Cellspark reads only tensors from a checkpoint, as"
              + " torch.load(f, weights_only=True) does; a file that holds anything else may run"
              + " code when Python loads it. Save the model's weights again with"
              + " save_pretrained(dir) (model.safetensors)",
          path,
          e.getMessage());
    } catch (RuntimeException e) { // Pyrolite on a malformed or unexpected pickle
      throw UserException.because(
          e,
          "%s: its data.pkl is not a state dict of tensors (%s); save the model again with"
              + " save_pretrained(dir)",
          path,
          e.getMessage());
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw UserException.of(
          "%s holds %s, not a state dict (a dict of tensors by name); save the model with"
              + " save_pretrained(dir), or torch.save(model.state_dict(), f)",
          path, describe(root));
    }
    return map;
  }

  /** The tensor's byte range in the file, checked against its storage's entry. */
  private static WeightsFile.Tensor tensor(
      Path path, ZipFile zip, String prefix, String name, TensorRef ref) {
    String dtype = ref.storage().dtype();
    int width = WeightsFile.width(dtype);
    ZipArchiveEntry entry = zip.getEntry(prefix + "data/" + ref.storage().key());
    if (entry == null) {
      throw UserException.of(
          "%s: the bytes of tensor '%s' (data/%s) are missing from the archive; the file is"
              + " truncated or damaged: download or save it again",
          path, name, ref.storage().key());
    }
    if (entry.getMethod() != ZipArchiveEntry.STORED) {
      throw UserException.of(
          "%s: the bytes of tensor '%s' are compressed in the archive, which torch.save never"
              + " does (was it re-zipped?); save it again with torch.save",
          path, name);
    }
    long elements = 1;
    for (long d : ref.size()) {
      elements *= d;
    }
    long first = ref.offset() * width;
    long last = first + elements * width;
    if (ref.offset() < 0 || last > entry.getSize()) {
      throw UserException.of(
          "%s: tensor '%s' (shape %s) reaches beyond its storage's %d bytes; the file is damaged",
          path, name, Arrays.toString(ref.size()), entry.getSize());
    }
    if (!rowMajor(ref.size(), ref.stride())) {
      throw UserException.of(
          "%s: tensor '%s' is stored as a strided view (shape %s, strides %s), not row-major;"
              + " save the state dict again with every tensor made .contiguous(), or with"
              + " save_pretrained(dir)",
          path, name, Arrays.toString(ref.size()), Arrays.toString(ref.stride()));
    }
    long start = entry.getDataOffset();
    return new WeightsFile.Tensor(name, dtype, ref.size(), start + first, start + last);
  }

  /** Whether the strides are a row-major layout's (a dimension of size 1 may have any stride). */
  private static boolean rowMajor(long[] size, long[] stride) {
    long expected = 1;
    for (int i = size.length - 1; i >= 0; i--) {
      if (size[i] == 0) {
        return true; // an empty tensor has no bytes to lay out
      }
      if (size[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= size[i];
    }
    return true;
  }

  /** A Python value's kind, in Python's words. */
  private static String describe(Object value) {
    if (value instanceof Map<?, ?> m) {
      return "a dict of " + m.size() + " entries";
    }
    if (value instanceof Number || value instanceof Boolean) {
      return "the number " + value;
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Object[] || value instanceof List<?>) {
      return "a list";
    }
    return value == null ? "None" : "a " + value.getClass().getSimpleName();
  }
}
