package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.cellspark.error.UserException;
import org.cellspark.infer.EmbeddingSettings;
import org.cellspark.infer.Pooling;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/**
 * Records through Spark's own KryoSerializer, as a cluster that serializes with Kryo sends them.
 */
class CellsparkKryoTest {
  /**
   * A record holding what Cellspark's plans hold: another record, an immutable list and map,
   * arrays.
   */
  record Plan(
      EmbeddingSettings settings, List<String> names, Map<String, int[]> slots, double[] values)
      implements java.io.Serializable {}

  private static final Plan PLAN =
      new Plan(
          new EmbeddingSettings(-1, Pooling.MEAN, 4096, 0, -1, -1),
          List.of("a", "b"),
          Map.of("x", new int[] {1, 2}),
          new double[] {0.5, -1});

  private static SerializerInstance kryo(SparkConf conf) {
    return new KryoSerializer(conf.set("spark.serializer", KryoSerializer.class.getName()))
        .newInstance();
  }

  @Test
  void sparksKryoAloneCannotSendARecord() {
    SerializerInstance plain = kryo(new SparkConf(false));
    assertThatThrownBy(() -> plain.serialize(PLAN, ClassTag$.MODULE$.apply(Plan.class)))
        .hasStackTraceContaining("record");
  }

  @Test
  void withTheRegistratorARecordRoundTripsWhole() {
    SparkConf conf = new SparkConf(false);
    CellsparkKryo.addTo(conf);
    SerializerInstance k = kryo(conf);
    Plan back =
        k.deserialize(
            k.serialize(PLAN, ClassTag$.MODULE$.apply(Plan.class)),
            ClassTag$.MODULE$.apply(Plan.class));
    assertThat(back.settings()).isEqualTo(PLAN.settings());
    assertThat(back.names()).isEqualTo(PLAN.names());
    assertThat(back.slots().get("x")).containsExactly(1, 2);
    assertThat(back.values()).containsExactly(0.5, -1);
  }

  @Test
  void theRegistratorIsAddedOnceAfterTheUsersOwn() {
    SparkConf conf = new SparkConf(false).set(CellsparkKryo.REGISTRATOR, "com.example.Mine");
    CellsparkKryo.addTo(conf);
    CellsparkKryo.addTo(conf);
    assertThat(conf.get(CellsparkKryo.REGISTRATOR))
        .isEqualTo("com.example.Mine," + CellsparkKryo.class.getName());
  }

  @Test
  void aKryoContextWithoutTheRegistratorIsRefusedSayingWhatToSet() {
    SparkConf kryo = new SparkConf(false).set("spark.serializer", KryoSerializer.class.getName());
    assertThatThrownBy(() -> CellsparkKryo.requireRegistered(kryo))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("--conf spark.kryo.registrator=org.cellspark.spark.CellsparkKryo");
    assertThatCode(() -> CellsparkKryo.requireRegistered(new SparkConf(false)))
        .doesNotThrowAnyException();
    CellsparkKryo.addTo(kryo);
    assertThatCode(() -> CellsparkKryo.requireRegistered(kryo)).doesNotThrowAnyException();
  }
}
