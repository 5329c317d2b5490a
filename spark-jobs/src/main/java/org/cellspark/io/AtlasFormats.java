package org.cellspark.io;

import java.util.List;
import org.cellspark.io.h5ad.H5adFormat;
import org.cellspark.io.longtable.LongTableFormat;
import org.cellspark.io.loom.LoomFormat;
import org.cellspark.io.mtx.MtxFormat;
import org.cellspark.io.tenx.TenxFormat;
import org.cellspark.io.zarr.ZarrFormat;

/**
 * The atlas formats Cellspark reads: the one place a format is registered. Their order is the order
 * inputs are inspected, summarised and read in; a path is offered to the folder formats first, then
 * matched by extension against the file formats, and what no format claims is AnnData's.
 */
public final class AtlasFormats {
  private AtlasFormats() {}

  public static final List<AtlasFormat> ALL =
      List.of(
          H5adFormat.INSTANCE,
          ZarrFormat.INSTANCE,
          MtxFormat.INSTANCE,
          TenxFormat.INSTANCE,
          LoomFormat.INSTANCE,
          LongTableFormat.INSTANCE);

  /** The format of files no other format claims, and of specs that name no other format. */
  public static final AtlasFormat.OfFiles FALLBACK = H5adFormat.INSTANCE;
}
