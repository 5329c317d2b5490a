package org.cellspark.pickle;

import java.io.IOException;
import java.util.Locale;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * An unpickler that builds only what a subclass allows by name.
 *
 * <p>A pickle can name any Python callable ({@code GLOBAL}/{@code STACK_GLOBAL}) and call it
 * ({@code REDUCE}, {@code NEWOBJ}, {@code INST}, {@code OBJ}); Python would run it, and Pyrolite by
 * default builds a stand-in object for any name. Here every name goes through {@link #global},
 * which returns what the name stands for or refuses it; every opcode that builds an object of a
 * class without calling an allowed name is refused, and so is every reference to an object outside
 * the pickle unless {@link #persistent} takes it.
 *
 * <p>Not thread-safe (as {@link Unpickler}); make one per file.
 */
public abstract class AllowListUnpickler extends Unpickler {

  /** Thrown for a pickle that asks for anything the subclass does not allow. */
  public static final class RefusedPickleException extends PickleException {
    private static final long serialVersionUID = 1L;

    public RefusedPickleException(String message) {
      super(message);
    }
  }

  /**
   * What {@code module.name} stands for: a {@code net.razorvine.pickle.IObjectConstructor} when the
   * pickle may call it, or a value; refused (thrown) when not allowed.
   */
  protected abstract Object global(String module, String name);

  /** The object a persistent ID ({@code BINPERSID}) refers to; by default, refused. */
  protected Object persistent(Object pid) {
    throw new RefusedPickleException(
        "it refers to objects outside the pickle (opcode " + opcodeName(Opcodes.BINPERSID) + ")");
  }

  @Override
  protected Object dispatch(short opcode) throws PickleException, IOException {
    switch (opcode) {
      case Opcodes.GLOBAL -> {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        stack.add(global(module, name));
        return NO_RETURN_VALUE;
      }
      case Opcodes.STACK_GLOBAL -> {
        Object name = stack.pop();
        Object module = stack.pop();
        stack.add(global(String.valueOf(module), String.valueOf(name)));
        return NO_RETURN_VALUE;
      }
      case Opcodes.BINPERSID -> {
        stack.add(persistent(stack.pop()));
        return NO_RETURN_VALUE;
      }
      case Opcodes.INST, Opcodes.OBJ, Opcodes.NEWOBJ, Opcodes.NEWOBJ_EX ->
          throw new RefusedPickleException(
              "it builds a Python object (opcode " + opcodeName(opcode) + ")");
      case Opcodes.PERSID, Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 ->
          throw new RefusedPickleException(
              "it refers to objects outside the pickle (opcode " + opcodeName(opcode) + ")");
      default -> {
        return super.dispatch(opcode);
      }
    }
  }

  private static String opcodeName(short opcode) {
    return switch (opcode) {
      case Opcodes.INST -> "INST";
      case Opcodes.OBJ -> "OBJ";
      case Opcodes.NEWOBJ -> "NEWOBJ";
      case Opcodes.NEWOBJ_EX -> "NEWOBJ_EX";
      case Opcodes.PERSID -> "PERSID";
      case Opcodes.BINPERSID -> "BINPERSID";
      default -> String.format(Locale.ROOT, "EXT 0x%02x", opcode);
    };
  }
}
