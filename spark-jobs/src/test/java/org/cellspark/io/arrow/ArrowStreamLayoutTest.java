package org.cellspark.io.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
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

  @Test
  void headersLongerThanOneReadAndCutStreams() throws IOException {
    // A schema message longer than the bytes read ahead (its metadata alone is 10,000 bytes).
    Path file = tmp.resolve("long-header.arrow");
    Schema schema =
        new Schema(
            List.of(Field.nullable("length", new ArrowType.Int(64, true))),
            Map.of("huggingface", "x".repeat(10_000)));
    try (RootAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        OutputStream out = Files.newOutputStream(file);
        ArrowStreamWriter writer = new ArrowStreamWriter(root, null, out)) {
      writer.start();
      BigIntVector length = (BigIntVector) root.getVector("length");
      for (int b = 0; b < 3; b++) {
        length.allocateNew(5 + b);
        for (int r = 0; r < 5 + b; r++) {
          length.set(r, r);
        }
        root.setRowCount(5 + b);
        writer.writeBatch();
      }
      writer.end();
    }
    ArrowStreamLayout layout = scan(file);
    assertThat(layout.schemaEnd()).isGreaterThan(ArrowStreamLayout.READ_AHEAD);
    assertThat(layout.batches())
        .extracting(ArrowStreamLayout.Batch::rows)
        .containsExactly(5L, 6L, 7L);

    Path cut = tmp.resolve("cut.arrow");
    byte[] bytes = Files.readAllBytes(file);
    Files.write(cut, java.util.Arrays.copyOf(bytes, (int) layout.batches().get(2).start()));
    assertThatThrownBy(() -> scan(cut))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("without its end marker");
    Files.write(cut, java.util.Arrays.copyOf(bytes, (int) layout.batches().get(1).end() - 3));
    assertThatThrownBy(() -> scan(cut)).hasMessageContaining("runs past the file");
  }
}
