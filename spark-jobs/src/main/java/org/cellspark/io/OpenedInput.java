package org.cellspark.io;

import org.cellspark.io.InputFiles.InputFile;

/**
 * An input opened and checked on the driver, as a format whose gene IDs are read from a chosen
 * column (AnnData in .h5ad or zarr) describes it; every field is read once, on opening.
 *
 * @param symbols the gene table's symbols ({@code --gene-name-column}, else its index)
 */
public record OpenedInput(
    AtlasFormat format,
    InputFile file,
    long cells,
    int genes,
    String describe,
    String[] geneKeys,
    String geneKeySource,
    String[] symbols,
    Annotations annotations)
    implements AtlasInput {
  @Override
  public String fixedGeneIdPlace() {
    return null;
  }
}
