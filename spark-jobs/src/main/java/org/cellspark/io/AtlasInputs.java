package org.cellspark.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.cellspark.error.UserException;
import org.cellspark.io.InputFiles.InputFile;
import org.cellspark.io.mtx.MtxFolder;
import org.cellspark.io.tenx.TenxH5;

/**
 * Atlas inputs by format (tokenize and medians read them alike): a folder holding {@code matrix.mtx[.gz]} is one Matrix Market
 * input, a {@code .h5} file laid out as a Cell Ranger matrix is one, every other spec (files,
 * folders of .h5ad, globs) expands to AnnData files.
 */
public record AtlasInputs(List<InputFile> h5ad, List<MtxFolder> mtx, List<TenxH5> tenx) {

  public static AtlasInputs expand(List<String> specs, Configuration conf) {
    List<String> h5adSpecs = new ArrayList<>();
    List<MtxFolder> mtx = new ArrayList<>();
    List<TenxH5> tenx = new ArrayList<>();
    for (String raw : specs) {
      for (String spec : raw.split(",")) {
        spec = spec.trim();
        if (spec.isEmpty()) {
          continue;
        }
        if (isMtxFolder(spec, conf)) {
          mtx.add(MtxFolder.open(spec, spec, conf));
        } else if (spec.endsWith(".h5")) {
          // Cell Ranger matrices by their layout; any other .h5 is tried as AnnData (whose
          // refusal names both formats).
          for (InputFile f : InputFiles.expand(List.of(spec), ".h5", conf)) {
            if (TenxH5.looksLikeTenx(f.localPath())) {
              tenx.add(TenxH5.open(f));
            } else {
              h5adSpecs.add(f.uri());
            }
          }
        } else {
          h5adSpecs.add(spec);
        }
      }
    }
    List<InputFile> h5ad = h5adSpecs.isEmpty() && !(mtx.isEmpty() && tenx.isEmpty()) ? List.of()
        : InputFiles.expand(h5adSpecs, ".h5ad", conf);
    return new AtlasInputs(h5ad, mtx, tenx);
  }

  /** Every input as a file entry (a Matrix Market folder by its folder URI), h5ad first. */
  public List<InputFile> all() {
    List<InputFile> out = new ArrayList<>(h5ad);
    mtx.forEach(m -> out.add(new InputFile(m.uri(), m.name())));
    tenx.forEach(t -> out.add(t.file()));
    return out;
  }

  private static boolean isMtxFolder(String spec, Configuration conf) {
    Path p = new Path(spec);
    try {
      FileSystem fs = p.getFileSystem(conf);
      return fs.exists(p) && MtxFolder.isMtxFolder(fs, p);
    } catch (IOException | IllegalArgumentException e) {
      return false; // a glob or an unreadable path: the .h5ad expansion reports it
    } catch (UserException e) {
      throw e;
    }
  }
}
