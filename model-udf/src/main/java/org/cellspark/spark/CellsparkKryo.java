package org.cellspark.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.util.Arrays;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;
import org.cellspark.error.UserException;

/**
 * Makes Cellspark's objects safe under Kryo, which many clusters set as their serializer ({@code
 * spark.serializer=org.apache.spark.serializer.KryoSerializer} in spark-defaults). Spark's Kryo
 * (4.x) serializes objects field by field through {@code Unsafe} offsets, which Java refuses for
 * records: every broadcast or shuffle of a record (a tokenize plan, a Matrix Market folder) failed
 * with "can't get field offset on a record class". Records are handed to Java serialization
 * instead, which builds them through their canonical constructors (they are serializable already:
 * closures always go through Java serialization). Classes on the hot paths of shuffles implement
 * {@code KryoSerializable} with a compact form of their own.
 *
 * <p>Sessions made by {@link SparkSessionFactory} add this class to {@code spark.kryo.registrator};
 * a context started elsewhere (a notebook's interpreter) must list it, which {@link
 * #requireRegistered} checks before a job starts.
 */
public final class CellsparkKryo implements KryoRegistrator {
  /** The Spark setting listing registrators. */
  public static final String REGISTRATOR = "spark.kryo.registrator";

  @Override
  public void registerClasses(Kryo kryo) {
    kryo.addDefaultSerializer(Record.class, new JavaSerializer());
  }

  /** {@code conf} with this registrator added to the ones it lists. */
  static void addTo(SparkConf conf) {
    String listed = conf.get(REGISTRATOR, "").trim();
    if (!listsThis(listed)) {
      conf.set(
          REGISTRATOR,
          listed.isEmpty()
              ? CellsparkKryo.class.getName()
              : listed + "," + CellsparkKryo.class.getName());
    }
  }

  /** Refuses a context that serializes with Kryo without this registrator, saying what to set. */
  public static void requireRegistered(SparkConf conf) {
    String serializer = conf.get("spark.serializer", "");
    if (serializer.contains("Kryo") && !listsThis(conf.get(REGISTRATOR, ""))) {
      throw UserException.of(
          "This Spark application serializes with Kryo (spark.serializer=%s) but %s does not list"
              + " %s, which Cellspark's jobs need to send their plans and cells between JVMs. Add"
              + " it when the application starts: --conf %s=%s (after any registrators of your own,"
              + " comma-separated), or use Java serialization",
          serializer,
          REGISTRATOR,
          CellsparkKryo.class.getName(),
          REGISTRATOR,
          CellsparkKryo.class.getName());
    }
  }

  private static boolean listsThis(String listed) {
    return Arrays.stream(listed.split(","))
        .map(String::trim)
        .anyMatch(CellsparkKryo.class.getName()::equals);
  }
}
