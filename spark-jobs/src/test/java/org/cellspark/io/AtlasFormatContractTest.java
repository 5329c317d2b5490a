package org.cellspark.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.cells.CellCountsSchema;
import org.cellspark.io.cells.CountsLocation;
import org.cellspark.testing.Fixtures;
import org.cellspark.testing.SharedSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The format contract is enough for a new format: a toy one (dense counts as CSV, written here)
 * added to the registered formats is found in a folder beside an AnnData file, opened on the
 * driver, and read into the shared cell table with the AnnData cells, its cells' missing
 * annotations null, without any change to the code that finds and reads inputs.
 */
@ExtendWith(SharedSpark.class)
class AtlasFormatContractTest {
  @TempDir Path tmp;

  /** {@code cell_id,GENE...} then one line of counts per cell; no annotations. */
  static final class DenseCsvFormat implements AtlasFormat.OfFiles {
    static final DenseCsvFormat INSTANCE = new DenseCsvFormat();

    @Override
    public String describedAs() {
      return "a dense counts CSV";
    }

    @Override
    public List<String> extensions() {
      return List.of(".counts.csv");
    }

    record Input(InputFile file, String[] geneKeys, List<String[]> rows) implements AtlasInput {
      @Override
      public AtlasFormat format() {
        return INSTANCE;
      }

      @Override
      public long cells() {
        return rows.size();
      }

      @Override
      public int genes() {
        return geneKeys.length;
      }

      @Override
      public String describe() {
        return "dense CSV";
      }

      @Override
      public String geneKeySource() {
        return "its header";
      }

      @Override
      public String[] symbols() {
        return null;
      }

      @Override
      public String fixedGeneIdPlace() {
        return "its header";
      }

      @Override
      public Annotations annotations() {
        return Annotations.NONE;
      }
    }

    @Override
    public AtlasInput open(InputFile f, InputContext context) {
      try {
        List<String> lines = Files.readAllLines(f.localPath(), StandardCharsets.UTF_8);
        String[] header = lines.get(0).split(",", -1);
        List<String[]> rows = new ArrayList<>();
        lines.subList(1, lines.size()).forEach(l -> rows.add(l.split(",", -1)));
        return new Input(f, Arrays.copyOfRange(header, 1, header.length), rows);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Dataset<Row> read(
        SparkSession spark, List<AtlasInput> inputs, StructType obs, ReadPlan plan) {
      List<Row> cells = new ArrayList<>();
      for (AtlasInput in : inputs) {
        List<String[]> rows = ((Input) in).rows();
        for (int r = 0; r < rows.size(); r++) {
          List<Integer> genes = new ArrayList<>();
          List<Double> counts = new ArrayList<>();
          for (int g = 1; g < rows.get(r).length; g++) {
            double x = Double.parseDouble(rows.get(r)[g]);
            if (x != 0) {
              genes.add(g - 1);
              counts.add(x);
            }
          }
          cells.add(
              RowFactory.create(
                  rows.get(r)[0],
                  in.file().uri(),
                  (long) r,
                  genes.toArray(new Integer[0]),
                  counts.toArray(new Double[0]),
                  RowFactory.create(new Object[obs.fields().length])));
        }
      }
      return spark.createDataFrame(cells, CellCountsSchema.of(obs));
    }
  }

  private static final List<AtlasFormat> WITH_CSV =
      List.of(
          AtlasFormats.ALL.get(0),
          AtlasFormats.ALL.get(1),
          AtlasFormats.ALL.get(2),
          AtlasFormats.ALL.get(3),
          AtlasFormats.ALL.get(4),
          DenseCsvFormat.INSTANCE);

  private Path folderWithBothFormats() throws IOException {
    Path folder = Files.createDirectories(tmp.resolve("atlas"));
    Files.copy(Fixtures.atlas("csr_int32_lzf.h5ad"), folder.resolve("a.h5ad"));
    Files.writeString(
        folder.resolve("b.counts.csv"),
        "cell_id,ENSG00000000003,ENSG00000000005,ENSG00000000419\n"
            + "c1,5,0,1\n"
            + "c2,0,0,0\n"
            + "c3,2,7,0\n");
    return folder;
  }

  private static InputContext context(SparkSession spark) {
    return InputContext.onDriver(spark, CountsLocation.X, "ensembl_id", false, null, null, null);
  }

  @Test
  void aNewFormatIsFoundBesideAnnDataAndOpenedOnTheDriver(SparkSession spark) throws IOException {
    AtlasInputs atlases =
        AtlasInputs.expand(List.of(folderWithBothFormats().toString()), context(spark), WITH_CSV);

    assertThat(atlases.inputs()).hasSize(2);
    AtlasInput h5ad = atlases.inputs().get(0);
    AtlasInput csv = atlases.inputs().get(1);
    assertThat(h5ad.format()).isSameAs(AtlasFormats.FALLBACK);
    assertThat(h5ad.cells()).isEqualTo(40);
    assertThat(csv.format()).isSameAs(DenseCsvFormat.INSTANCE);
    assertThat(csv.file().uri()).endsWith("b.counts.csv");
    assertThat(csv.cells()).isEqualTo(3);
    assertThat(csv.geneKeys())
        .containsExactly("ENSG00000000003", "ENSG00000000005", "ENSG00000000419");
  }

  @Test
  void itsCellsJoinTheSharedCellTableWithNullAnnotations(SparkSession spark) throws IOException {
    AtlasInputs atlases =
        AtlasInputs.expand(List.of(folderWithBothFormats().toString()), context(spark), WITH_CSV);
    try (ReadPlan.Held held = new ReadPlan.Held()) {
      Dataset<Row> cells =
          atlases.read(spark, List.of("n_counts"), new ReadPlan(CountsLocation.X, 0, held));

      assertThat(CellCountsSchema.obsOf(cells.schema()).fieldNames()).containsExactly("n_counts");
      assertThat(cells.count()).isEqualTo(43);
      Map<String, Row> csvCells =
          cells.where("source LIKE '%b.counts.csv'").collectAsList().stream()
              .collect(Collectors.toMap(r -> r.getString(0), r -> r));
      assertThat(csvCells).containsOnlyKeys("c1", "c2", "c3");
      Row c1 = csvCells.get("c1");
      assertThat(c1.<Integer>getList(c1.fieldIndex("gene_index"))).containsExactly(0, 2);
      assertThat(c1.<Double>getList(c1.fieldIndex("counts"))).containsExactly(5.0, 1.0);
      assertThat(c1.getStruct(c1.fieldIndex("obs")).isNullAt(0)).isTrue();
      assertThat(cells.where("source LIKE '%a.h5ad' AND obs.n_counts IS NOT NULL").count())
          .isEqualTo(40);
    }
  }
}
