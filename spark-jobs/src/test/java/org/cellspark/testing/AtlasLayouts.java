package org.cellspark.testing;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Every atlas fixture that holds the same cells, with the counts location to read: the layouts and
 * encodings the readers must agree on. For
 * {@code @MethodSource("org.cellspark.testing.AtlasLayouts#all")}.
 */
public final class AtlasLayouts {
  private AtlasLayouts() {}

  public static Stream<Arguments> all() {
    return Stream.of(
        Arguments.of("csr_float32_gzip.h5ad", "X"),
        Arguments.of("csc_int64_gzip.h5ad", "X"),
        Arguments.of("dense_float64_lzf.h5ad", "X"),
        Arguments.of("csr_int32_lzf.h5ad", "X"),
        Arguments.of("csr_unsorted_indices.h5ad", "X"),
        Arguments.of("raw_and_layers.h5ad", "raw"),
        Arguments.of("raw_and_layers.h5ad", "layers/counts"),
        Arguments.of("var_index_ids.h5ad", "X"),
        Arguments.of("legacy_categories.h5ad", "X"),
        // anndata 0.13 with pandas 3: cell and gene IDs as nullable string arrays.
        Arguments.of("pandas3_strings.h5ad", "X"),
        // anndata 0.12 and later: X None (an empty "null" element), the counts elsewhere.
        Arguments.of("x_none.h5ad", "raw"));
  }
}
