package org.cellspark.model;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import org.cellspark.pickle.AllowListUnpickler;

/**
 * Reads the pickle inside a PyTorch checkpoint ({@code data.pkl}) as what {@code torch.load(f,
 * weights_only=True)} accepts from a state dict, and nothing more: ordered dicts of tensors, each
 * tensor rebuilt by {@code torch._utils._rebuild_tensor_v2} (or {@code _rebuild_parameter}) over a
 * typed storage ({@code torch.FloatStorage}, ...) that the pickle refers to by key (persistent ID
 * {@code ('storage', type, key, location, numel)}), whose bytes are the archive's {@code
 * data/<key>}. Tensors come out as {@link TensorRef}s (where the values are, not the values).
 *
 * <p>Every global other than these is refused by name, as is every opcode that builds an object
 * without calling an allowed name ({@link AllowListUnpickler}), so a checkpoint that would run code
 * when Python loads it is refused here before anything is built.
 *
 * <p>Not thread-safe (as {@link net.razorvine.pickle.Unpickler}); make one per file.
 */
final class TorchCheckpointUnpickler extends AllowListUnpickler {

  /** A typed storage's bytes: the archive's {@code data/<key>}, {@code numel} elements. */
  record StorageRef(String dtype, String key, long numel) {}

  /**
   * A tensor over a storage: {@code size} and {@code stride} in elements, starting {@code offset}
   * elements into it.
   */
  record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  /**
   * {@code torch.FloatStorage} and its kin, as the persistent ID names them (never called): the
   * dtype of the storage's elements in safetensors' spelling.
   */
  record StorageType(String dtype) implements IObjectConstructor {
    @Override
    public Object construct(Object[] args) {
      throw new RefusedPickleException("it calls a storage type, which a state dict never does");
    }
  }

  /**
   * {@code collections.OrderedDict}, which a state dict is. {@code nn.Module.state_dict()} sets a
   * {@code _metadata} attribute on it (each module's version), restored by pickle's {@code BUILD};
   * it is read and dropped.
   */
  public static final class StateDict extends LinkedHashMap<Object, Object> {
    private static final long serialVersionUID = 1L;

    /** Called by Pyrolite's BUILD opcode with the instance's attributes. */
    public void __setstate__(HashMap<?, ?> attributes) {
      for (Object name : attributes.keySet()) {
        if (!"_metadata".equals(name)) {
          throw new RefusedPickleException(
              "it sets the attribute '"
                  + name
                  + "' on an OrderedDict, which a state dict does not");
        }
      }
    }
  }

  private static final Map<String, String> STORAGES =
      Map.of(
          "FloatStorage", "F32",
          "HalfStorage", "F16",
          "BFloat16Storage", "BF16",
          "DoubleStorage", "F64",
          "LongStorage", "I64",
          "IntStorage", "I32",
          "ShortStorage", "I16",
          "CharStorage", "I8",
          "ByteStorage", "U8",
          "BoolStorage", "BOOL");

  private static final IObjectConstructor ORDERED_DICT =
      args -> {
        if (args.length != 0) {
          throw new RefusedPickleException("it builds an OrderedDict from arguments");
        }
        return new StateDict();
      };

  private static final IObjectConstructor REBUILD_TENSOR = TorchCheckpointUnpickler::rebuildTensor;

  /** {@code _rebuild_parameter(data, requires_grad, backward_hooks)}: the parameter's tensor. */
  private static final IObjectConstructor REBUILD_PARAMETER =
      args -> {
        if (args.length < 1 || !(args[0] instanceof TensorRef tensor)) {
          throw new RefusedPickleException("_rebuild_parameter without a tensor");
        }
        return tensor;
      };

  @Override
  protected Object global(String module, String name) {
    String qualified = module + "." + name;
    switch (qualified) {
      case "collections.OrderedDict" -> {
        return ORDERED_DICT;
      }
      case "torch._utils._rebuild_tensor_v2" -> {
        return REBUILD_TENSOR;
      }
      case "torch._utils._rebuild_parameter" -> {
        return REBUILD_PARAMETER;
      }
      default -> {
        String dtype = "torch".equals(module) ? STORAGES.get(name) : null;
        if (dtype == null) {
          throw new RefusedPickleException(
              "it asks Python to call "
                  + qualified
                  + " (a checkpoint of weights needs only OrderedDict, PyTorch's tensors and"
                  + " their storages)");
        }
        return new StorageType(dtype);
      }
    }
  }

  /** The persistent ID {@code ('storage', torch.FloatStorage, '0', 'cpu', numel)}. */
  @Override
  protected Object persistent(Object pid) {
    if (!(pid instanceof Object[] t)
        || t.length != 5
        || !"storage".equals(t[0])
        || !(t[1] instanceof StorageType type)
        || !(t[2] instanceof String key)
        || !(t[4] instanceof Number numel)) {
      throw new RefusedPickleException(
          "it refers to an outside object that is not a PyTorch storage");
    }
    return new StorageRef(type.dtype(), key, numel.longValue());
  }

  /**
   * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
   * backward_hooks[, metadata])}.
   */
  private static Object rebuildTensor(Object[] args) {
    if (args.length < 4
        || !(args[0] instanceof StorageRef storage)
        || !(args[1] instanceof Number offset)
        || !(args[2] instanceof Object[] size)
        || !(args[3] instanceof Object[] stride)
        || size.length != stride.length) {
      throw new RefusedPickleException("_rebuild_tensor_v2 without PyTorch's arguments");
    }
    return new TensorRef(storage, offset.longValue(), longs(size), longs(stride));
  }

  private static long[] longs(Object[] tuple) {
    long[] out = new long[tuple.length];
    for (int i = 0; i < out.length; i++) {
      if (!(tuple[i] instanceof Number n)) {
        throw new RefusedPickleException("a tensor size or stride that is not a number");
      }
      out[i] = n.longValue();
    }
    return out;
  }
}
