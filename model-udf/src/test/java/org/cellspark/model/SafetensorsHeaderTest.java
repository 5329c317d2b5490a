package org.cellspark.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cellspark.error.UserException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A safetensors header, hand-written as the format lays it out (8-byte little-endian length, JSON,
 * then the data): damaged headers are refused naming the file and the tensor, never as a bug.
 */
class SafetensorsHeaderTest {
  @TempDir Path dir;

  private Path file(String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    return Files.write(
        dir.resolve("model-" + Math.abs(header.hashCode()) + ".safetensors"), b.array());
  }

  @Test
  void aWellFormedHeaderIsRead() throws IOException {
    Path ok = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    assertThat(WeightsFile.open(ok)).isNotNull();
  }

  @Test
  void damagedHeadersAreRefusedNamingFileAndTensor() throws IOException {
    assertThatThrownBy(() -> WeightsFile.open(file("{not json", 0)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the safetensors header is not a JSON object");
    assertThatThrownBy(() -> WeightsFile.open(file("[1, 2]", 0)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the safetensors header is not a JSON object");
    assertThatThrownBy(
            () -> WeightsFile.open(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the header entry of 'w' is malformed (no shape)");
    assertThatThrownBy(
            () ->
                WeightsFile.open(
                    file(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"x\",8]}}", 8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the header entry of 'w' is malformed");
    assertThatThrownBy(
            () ->
                WeightsFile.open(
                    file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the header entry of 'w' is malformed");
    assertThatThrownBy(() -> WeightsFile.open(file("{\"w\":[1]}", 8)))
        .isInstanceOf(UserException.class)
        .hasMessageContaining("the header entry of 'w' is malformed");
  }
}
