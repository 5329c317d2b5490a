package org.cellspark.io.h5ad;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jhdf.HdfFile;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.unsafe.types.UTF8String;
import org.cellspark.io.cells.ColumnKind;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * Columns stored as R's hdf5r stores an R factor and an R logical (fixtures/field/hdf5r_enums.h5,
 * written by src/test/r/make_r_fixtures.R): both as HDF5 enums. A factor's enum has its levels as
 * members and reads as their names; a logical's has FALSE, TRUE and NA and reads as booleans, NA
 * (and a value that is no member) as null. The expected values are h5py's reading of the file
 * (fixtures/field/expected.json). Every enum was read as a boolean before.
 */
class ObsColumnTest {
  @Test
  void hdf5rFactorsAndLogicals() throws Exception {
    JsonNode expected =
        new ObjectMapper().readTree(Fixtures.field("expected.json").toFile()).get("hdf5r_enums.h5");
    try (HdfFile f = new HdfFile(Fixtures.field("hdf5r_enums.h5"))) {
      ObsColumn factor = ObsColumn.ofDataset("factor", f.getDatasetByPath("factor"));
      assertThat(factor.kind()).isEqualTo(ColumnKind.STRING);
      List<String> names = new ArrayList<>();
      for (Object v : factor.read(0, 4)) {
        names.add(v == null ? null : ((UTF8String) v).toString());
      }
      List<String> want = new ArrayList<>();
      expected.get("factor").forEach(n -> want.add(n.isNull() ? null : n.asText()));
      assertThat(names).isEqualTo(want).contains("B cell", "T cell").containsNull();

      ObsColumn logical = ObsColumn.ofDataset("logical", f.getDatasetByPath("logical"));
      assertThat(logical.kind()).isEqualTo(ColumnKind.BOOLEAN);
      List<Object> wantFlags = new ArrayList<>();
      expected.get("logical").forEach(n -> wantFlags.add(n.isNull() ? null : n.asBoolean()));
      assertThat(java.util.Arrays.asList(logical.read(0, 4))).isEqualTo(wantFlags).containsNull();
    }
  }
}
