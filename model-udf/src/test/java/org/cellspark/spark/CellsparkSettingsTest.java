package org.cellspark.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.cellspark.error.UserException;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The settings reader: session values, defaults, refusals, and the former Hadoop names. */
@ExtendWith(SharedSpark.class)
class CellsparkSettingsTest {
  @AfterEach
  void unset(SparkSession spark) {
    for (CellsparkSettings.Key<?> k : CellsparkSettings.all()) {
      spark.conf().unset(k.name());
      if (k.formerName() != null) {
        spark.sparkContext().hadoopConfiguration().unset(k.formerName());
      }
    }
  }

  @Test
  void everyNameIsInTheCellsparkNamespaceAndUnique() {
    assertThat(CellsparkSettings.all())
        .extracting(CellsparkSettings.Key::name)
        .allMatch(n -> n.startsWith("spark.cellspark."))
        .doesNotHaveDuplicates();
  }

  @Test
  void aSessionValueWinsOverTheDefaultAndIsReadAsItsType(SparkSession spark) {
    assertThat(CellsparkSettings.MTX_SPLIT_BYTES.in(spark)).isEqualTo(64L << 20);
    assertThat(CellsparkSettings.HDF5_REMOTE.inActiveSession()).isEqualTo("range");
    spark.sql("SET spark.cellspark.mtx.splitBytes=1000");
    spark.conf().set("spark.cellspark.hdf5.remote", " COPY ");
    spark.conf().set("spark.cellspark.embed.layer", "0");
    assertThat(CellsparkSettings.MTX_SPLIT_BYTES.in(spark)).isEqualTo(1000L);
    assertThat(CellsparkSettings.HDF5_REMOTE.inActiveSession()).isEqualTo("copy");
    assertThat(CellsparkSettings.EMBED_LAYER.in(spark.conf())).isZero();
  }

  @Test
  void aValueThatDoesNotParseIsRefusedNamingTheSettingAndWhatItTakes(SparkSession spark) {
    spark.conf().set("spark.cellspark.hdf5.remote", "stream");
    assertThatThrownBy(() -> CellsparkSettings.HDF5_REMOTE.in(spark))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("spark.cellspark.hdf5.remote='stream'")
        .hasMessageContaining("must be one of range, copy");
    spark.conf().set("spark.cellspark.mtx.splitBytes", "-5");
    assertThatThrownBy(() -> CellsparkSettings.MTX_SPLIT_BYTES.in(spark))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("spark.cellspark.mtx.splitBytes='-5'")
        .hasMessageContaining("positive");
    spark.conf().set("spark.cellspark.embed.layer", "3");
    assertThatThrownBy(() -> CellsparkSettings.EMBED_LAYER.in(spark.conf()))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("must be -1 or 0");
  }

  @Test
  void aSettingWithoutDefaultIsRequiredWithHowToSetIt(SparkSession spark) {
    assertThatThrownBy(() -> CellsparkSettings.MODEL.required(spark.conf(), "a model folder"))
        .isInstanceOf(UserException.class)
        .hasMessage(
            "Set spark.cellspark.model to a model folder first (SQL: SET"
                + " spark.cellspark.model=...)");
  }

  @Test
  void theFormerHadoopKeyIsHonouredOnlyWhereTheNewSettingIsNotGiven(SparkSession spark) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    hadoop.set("cellspark.hdf5.remote", "copy");
    hadoop.set("cellspark.mtx.split-bytes", "777");
    assertThat(CellsparkSettings.HDF5_REMOTE.in(spark)).isEqualTo("copy");
    assertThat(CellsparkSettings.MTX_SPLIT_BYTES.in(spark)).isEqualTo(777L);
    spark.conf().set("spark.cellspark.hdf5.remote", "range");
    assertThat(CellsparkSettings.HDF5_REMOTE.in(spark)).isEqualTo("range");
  }
}
