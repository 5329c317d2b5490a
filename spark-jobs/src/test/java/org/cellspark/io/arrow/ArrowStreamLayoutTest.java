package org.cellspark.io.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.MetadataVersion;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.cellspark.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the record batches of an Arrow stream lie, found from the message headers alone. */
class ArrowStreamLayoutTest {
  @TempDir Path tmp;

  private static ArrowStreamLayout scan(Path file) throws IOException {
    try (FSDataInputStream in =
        FileSystem.getLocal(new Configuration())
            .open(new org.apache.hadoop.fs.Path(file.toUri()))) {
      return ArrowStreamLayout.scan(in, Files.size(file));
    }
  }

  @Test
  void batchesOfAStreamWrittenByArrowJs() throws IOException {
    // 19 cells in batches of 8 (make_hf_datasets.mjs): 8, 8, 3.
    Path shard = Fixtures.huggingFace("v2_tokens.dataset").resolve("data-00000-of-00002.arrow");
    ArrowStreamLayout layout = scan(shard);
    assertThat(layout.batches())
        .extracting(ArrowStreamLayout.Batch::rows)
        .containsExactly(8L, 8L, 3L);
    assertThat(layout.dictionaries()).isFalse();
    assertThat(layout.batches().get(0).start()).isEqualTo(layout.schemaEnd());
    for (int i = 1; i < 3; i++) {
      assertThat(layout.batches().get(i).start()).isEqualTo(layout.batches().get(i - 1).end());
    }
    // What follows the last batch is the 8-byte end marker.
    assertThat(layout.batches().get(2).end() + 8).isEqualTo(Files.size(shard));
  }

  /**
   * Writes a stream with Arrow Java: one int64 column {@code length}, batches of 5, 6 and 7 rows
   * holding 100 * batch + row; the schema's metadata of {@code metadataChars} characters.
   */
  private static void write(Path file, boolean legacyFraming, int metadataChars)
      throws IOException {
    Schema schema =
        new Schema(
            List.of(Field.nullable("length", new ArrowType.Int(64, true))),
            Map.of("huggingface", "x".repeat(metadataChars)));
    try (RootAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        OutputStream out = Files.newOutputStream(file);
        ArrowStreamWriter writer =
            new ArrowStreamWriter(
                root,
                null,
                Channels.newChannel(out),
                new IpcOption(legacyFraming, MetadataVersion.DEFAULT))) {
      writer.start();
      BigIntVector length = (BigIntVector) root.getVector("length");
      for (int b = 0; b < 3; b++) {
        length.allocateNew(5 + b);
        for (int r = 0; r < 5 + b; r++) {
          length.set(r, 100L * b + r);
        }
        root.setRowCount(5 + b);
        writer.writeBatch();
      }
      writer.end();
    }
  }

  @Test
  void headersLongerThanOneReadAndCutStreams() throws IOException {
    // A schema message longer than the bytes read ahead (its metadata alone is 10,000 bytes).
    Path file = tmp.resolve("long-header.arrow");
    write(file, false, 10_000);
    ArrowStreamLayout layout = scan(file);
    assertThat(layout.schemaEnd()).isGreaterThan(ArrowStreamLayout.READ_AHEAD);
    assertThat(layout.batches())
        .extracting(ArrowStreamLayout.Batch::rows)
        .containsExactly(5L, 6L, 7L);

    Path cut = tmp.resolve("cut.arrow");
    byte[] bytes = Files.readAllBytes(file);
    Files.write(cut, Arrays.copyOf(bytes, (int) layout.batches().get(2).start()));
    assertThatThrownBy(() -> scan(cut))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("without its end marker");
    Files.write(cut, Arrays.copyOf(bytes, (int) layout.batches().get(1).end() - 3));
    assertThatThrownBy(() -> scan(cut)).hasMessageContaining("runs past the file");
  }

  /**
   * Streams written before Arrow 0.15 frame messages without the continuation marker; split one
   * batch a task, each split reads its own rows with their rows in the file.
   */
  @Test
  void splitsOfALegacyStreamReadTheirOwnRows() throws IOException {
    Path file = tmp.resolve("legacy.arrow");
    write(file, true, 100);
    ArrowStreamLayout layout = scan(file);
    assertThat(layout.batches())
        .extracting(ArrowStreamLayout.Batch::rows)
        .containsExactly(5L, 6L, 7L);
    List<ArrowSplit> splits =
        HfDatasetScan.split(new org.apache.hadoop.fs.Path(file.toUri()), layout, 1);
    assertThat(splits).hasSize(3);
    StructType required =
        new StructType()
            .add("length", DataTypes.LongType)
            .add(HfDatasetTable.METADATA, HfDatasetTable.METADATA_TYPE);
    Schema expected;
    try (FSDataInputStream in =
        FileSystem.getLocal(new Configuration())
            .open(new org.apache.hadoop.fs.Path(file.toUri()))) {
      expected =
          org.apache.arrow.vector.ipc.message.MessageSerializer.deserializeSchema(
              new org.apache.arrow.vector.ipc.ReadChannel(Channels.newChannel(in)));
    }
    List<String> read = new ArrayList<>();
    for (ArrowSplit split : splits) {
      try (ArrowSplitReader reader =
          new ArrowSplitReader(split, new Configuration(), required, expected)) {
        while (reader.next()) {
          ColumnarBatch batch = reader.get();
          for (int r = 0; r < batch.numRows(); r++) {
            read.add(
                batch.column(0).getLong(r)
                    + "@"
                    + batch.column(1).getChild(0).getUTF8String(r)
                    + ":"
                    + batch.column(1).getChild(1).getLong(r));
          }
        }
      }
    }
    List<String> written = new ArrayList<>();
    int row = 0;
    for (int b = 0; b < 3; b++) {
      for (int r = 0; r < 5 + b; r++) {
        written.add((100L * b + r) + "@legacy.arrow:" + row++);
      }
    }
    assertThat(read).isEqualTo(written);
  }
}
