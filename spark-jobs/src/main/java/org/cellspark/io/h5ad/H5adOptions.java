package org.cellspark.io.h5ad;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cellspark.error.Bug;
import org.cellspark.error.UserException;
import org.cellspark.io.cells.CountsLocation;

/**
 * Options of the {@code h5ad} data source.
 *
 * <pre>
 * spark.read.format("h5ad")
 *   .option("counts", "X")            // X | raw | layers/NAME
 *   .option("obsColumns", "a,b")      // obs columns in the obs struct; default all, "" none
 *   .option("partitions", "8")        // exact number of cell-range partitions; default by size
 *   .option("modality", "rna")        // MuData (.h5mu) files: the modality to read; default rna
 *   .load("atlas.h5ad")               // files, folders, globs
 * </pre>
 *
 * @param obsColumns null = all readable columns
 * @param partitions 0 = planned from the data size
 */
public record H5adOptions(
    List<String> paths, CountsLocation counts, List<String> obsColumns, int partitions)
    implements Serializable {

  public static final String COUNTS = "counts";
  public static final String OBS_COLUMNS = "obsColumns";
  public static final String PARTITIONS = "partitions";
  public static final String MODALITY = "modality";

  public H5adOptions {
    paths = List.copyOf(paths);
    obsColumns = obsColumns == null ? null : List.copyOf(obsColumns);
    if (partitions < 0) {
      throw UserException.of("h5ad option partitions must be positive, got %d", partitions);
    }
  }

  /** From the data source's option map (keys are case-insensitive, as Spark's). */
  public static H5adOptions from(Map<String, String> raw) {
    Map<String, String> o = new HashMap<>();
    raw.forEach((k, v) -> o.put(k.toLowerCase(Locale.ROOT), v));
    List<String> paths = new ArrayList<>();
    if (o.containsKey("paths")) {
      try {
        paths.addAll(
            new ObjectMapper().readValue(o.get("paths"), new TypeReference<List<String>>() {}));
      } catch (IOException e) {
        throw new Bug("Spark passed unreadable paths: " + o.get("paths"), e);
      }
    }
    if (o.containsKey("path")) {
      paths.add(o.get("path"));
    }
    if (paths.isEmpty()) {
      throw UserException.of(
          "The h5ad source needs a path: spark.read.format(\"h5ad\").load(\"file.h5ad\")");
    }
    List<String> obs = null;
    String obsSpec = o.get(OBS_COLUMNS.toLowerCase(Locale.ROOT));
    if (obsSpec != null) {
      obs =
          obsSpec.isBlank()
              ? List.of()
              : Arrays.stream(obsSpec.split(",")).map(String::trim).toList();
    }
    int partitions = 0;
    String p = o.get(PARTITIONS);
    if (p != null) {
      try {
        partitions = Integer.parseInt(p.trim());
      } catch (NumberFormatException e) {
        throw UserException.because(e, "h5ad option partitions must be a number, got '%s'", p);
      }
    }
    return new H5adOptions(
        paths, CountsLocation.parse(o.get(COUNTS)).withModality(o.get(MODALITY)), obs, partitions);
  }
}
