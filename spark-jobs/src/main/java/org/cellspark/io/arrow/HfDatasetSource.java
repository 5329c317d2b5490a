package org.cellspark.io.arrow;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.cellspark.error.UserException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spark.read.format("hf_dataset").load(path)}: a Hugging Face dataset saved with {@code
 * save_to_disk} (what upstream Geneformer's tokenizer writes as {@code *.dataset}), or one {@code
 * .arrow} file, as a table: one row per example, the columns Spark can read (see {@link
 * HfDataset#leftOut} for the others) and the hidden {@code _metadata.file_name} / {@code
 * _metadata.row_index}. Registered in {@code
 * META-INF/services/org.apache.spark.sql.sources.DataSourceRegister}.
 */
public final class HfDatasetSource implements TableProvider, DataSourceRegister {
  private static final Logger LOG = LoggerFactory.getLogger(HfDatasetSource.class);
  private HfDataset opened; // inferSchema and getTable come one after the other

  @Override
  public String shortName() {
    return "hf_dataset";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return open(options).sparkSchema();
  }

  @Override
  public Table getTable(
      StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new HfDatasetTable(open(new CaseInsensitiveStringMap(properties)));
  }

  private HfDataset open(CaseInsensitiveStringMap options) {
    String path = options.get("path");
    if (path == null) {
      throw UserException.of(
          "hf_dataset needs a path: spark.read.format(\"hf_dataset\").load(path)");
    }
    if (opened == null || !opened.location().equals(path)) {
      opened = HfDataset.open(SparkSession.active().sessionState().newHadoopConf(), path);
      LOG.info("{}: a Hugging Face dataset of {} Arrow files", path, opened.files().size());
      if (!opened.leftOut().isEmpty()) {
        LOG.info("{}: columns left out (types Spark does not read): {}", path, opened.leftOut());
      }
    }
    return opened;
  }
}
