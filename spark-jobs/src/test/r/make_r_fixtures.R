# .h5ad files as R users make them from a Seurat object, for FieldFilesTest. Run by
# make_field_fixtures.py (which writes this script's input and the expected tokens):
#
#   Rscript spark-jobs/src/test/r/make_r_fixtures.R INPUT_FOLDER OUTPUT_FOLDER
#
# Needs Debian's r-base-core, r-cran-seurat (Seurat 4.3), r-bioc-rhdf5 and r-cran-hdf5r. The input
# folder holds the atlas fixtures' 40 cells: counts.mtx (cells x genes), genes.txt (Ensembl IDs,
# as Seurat users keep them when they read Cell Ranger output by ID), cells.txt and obs.csv
# (cell_type with a missing value, donor, batch and flag: an integer and a logical with missing
# values), symbols.txt (the genes' symbols). A real Seurat object is made from them
# (CreateSeuratObject, NormalizeData: counts and log-normalised data, meta.data with orig.ident,
# nCount_RNA, nFeature_RNA and the two columns), then written twice:
#
#   seurat_anndatar.h5ad   as anndataR's write_h5ad(seurat_object) writes it (anndataR 0.99 / 1.x,
#                          the scverse package, whose writer is rhdf5): the Seurat assay's layers
#                          under layers/counts and layers/data as csc_matrix (the genes x cells
#                          matrices transposed), no X (anndataR maps none to X by default), obs
#                          from meta.data (factors as categoricals, codes -1 where missing), var
#                          only its index, strings as rhdf5 writes them (variable-length, ASCII),
#                          an empty column-order as an empty float64 array.
#   seurat_anndatar_gzip.h5ad  the same with write_h5ad(..., compression = "gzip"): rhdf5's
#                          shuffle and deflate on every dataset (on strings, HDF5 skips the
#                          shuffle and applies the deflate).
#   seuratdisk.h5ad        as SeuratDisk's SaveH5Seurat then Convert(dest = "h5ad") writes it (the
#                          usual route of 2020-2024, writer hdf5r): X the log-normalised data and
#                          raw/X the counts, each the genes x cells CSC arrays relabelled csr_matrix
#                          with shape (cells, genes); var and raw/var with the genes in _index
#                          (var also a 'features' copy, as Convert adds for an empty var); obs with
#                          factors as integer codes (a missing value NA_integer_, -2^31) and their
#                          levels in obs/__categories; no encoding attributes on the file's root;
#                          datasets chunked and gzip-compressed (hdf5r's defaults), strings
#                          variable-length UTF-8.
#
#   seuratdisk.loom        as SeuratDisk's as.loom / SaveLoom writes it (hdf5r): /matrix the
#                          log-normalised data, layers/counts, col_attrs with CellID and meta.data
#                          (factors as hdf5r's enums of their levels), row_attrs/Gene.
#   hdf5r_enums.h5         a factor and a logical (with NA) as hdf5r stores them: enums.
#   dropletutils.h5        DropletUtils' write10xCounts(type = "HDF5", version = "3"), the usual way
#                          R users write a Cell Ranger file (the real function, Debian's
#                          r-bioc-dropletutils): fixed-length strings, float64 counts, every
#                          dataset shuffled and deflated by rhdf5.
#   dropletutils_mtx/      the same function's type = "sparse": a Cell Ranger 3 Matrix Market
#                          folder (gzipped; an "integer" matrix).
#
# anndataR and SeuratDisk are not Debian packages, so their writers are restated here element by
# element, with the same rhdf5 and hdf5r calls, from their sources (anndataR:
# R/rhdf5_write_h5ad_helpers.R, R/from_Seurat.R; SeuratDisk: R/Convert.R, H5SeuratToH5AD).

suppressPackageStartupMessages({
  library(DropletUtils)
  library(Matrix)
  library(Seurat)
  library(rhdf5)
  library(hdf5r)
})

args <- commandArgs(trailingOnly = TRUE)
input <- args[1]
output <- args[2]

counts <- t(as(readMM(file.path(input, "counts.mtx")), "CsparseMatrix"))
rownames(counts) <- readLines(file.path(input, "genes.txt"))
colnames(counts) <- readLines(file.path(input, "cells.txt"))
obs <- read.csv(file.path(input, "obs.csv"), row.names = 1, na.strings = "", stringsAsFactors = FALSE)
seurat <- suppressWarnings(CreateSeuratObject(counts = counts, project = "atlas"))
seurat$cell_type <- factor(obs[colnames(seurat), "cell_type"], levels = c("B cell", "T cell", "monocyte"))
seurat$donor <- obs[colnames(seurat), "donor"]
seurat$batch <- as.integer(obs[colnames(seurat), "batch"]) # with NAs
seurat$flag <- as.logical(obs[colnames(seurat), "flag"]) # with NAs
seurat <- NormalizeData(seurat, verbose = FALSE)
counts <- GetAssayData(seurat, slot = "counts")
data <- GetAssayData(seurat, slot = "data")
meta <- seurat[[]]

# ---------------------------------------------------------------------------------------------
# anndataR (rhdf5)

anndatar <- function(path, compression = "none") {
  if (file.exists(path)) file.remove(path)
  f <- H5Fcreate(path, flags = "H5F_ACC_TRUNC", native = FALSE)
  attribute <- function(name, attr, value, scalar = TRUE) {
    if (name == "/") {
      h5writeAttribute(attr = value, h5obj = f, name = attr, asScalar = scalar)
    } else {
      obj <- f & name
      h5writeAttribute(attr = value, h5obj = obj, name = attr, asScalar = scalar)
      H5Oclose(obj)
    }
  }
  encoding <- function(name, type, version) {
    attribute(name, "encoding-type", type)
    attribute(name, "encoding-version", version)
  }
  dataset <- function(name, value) {
    dims <- if (!is.null(dim(value))) dim(value) else length(value)
    h5createDataset(
      f, name, dims,
      storage.mode = storage.mode(value), filter = toupper(compression), native = TRUE
    )
    h5write(value, f, name, native = TRUE)
  }
  element <- function(value, name) {
    if (inherits(value, "sparseMatrix")) {
      h5createGroup(f, name)
      dataset(paste0(name, "/indices"), value@i)
      dataset(paste0(name, "/indptr"), value@p)
      dataset(paste0(name, "/data"), value@x)
      encoding(name, "csc_matrix", "0.1.0")
      attribute(name, "shape", dim(value), scalar = FALSE)
    } else if (is.factor(value)) {
      h5createGroup(f, name)
      codes <- as.integer(value) - 1L
      codes[is.na(codes)] <- -1L
      element(levels(value), paste0(name, "/categories"))
      element(codes, paste0(name, "/codes"))
      encoding(name, "categorical", "0.2.0")
      # anndataR writes is.ordered(value), a logical; this rhdf5 (2.42) writes no logical
      # attributes, so it goes as the integer newer rhdf5 stores it as.
      attribute(name, "ordered", as.integer(is.ordered(value)))
    } else if (is.character(value)) {
      dataset(name, value)
      encoding(name, "string-array", "0.2.0")
    } else if (is.logical(value) && any(is.na(value))) {
      h5createGroup(f, name)
      filled <- value
      filled[is.na(filled)] <- FALSE
      element(filled, paste0(name, "/values"))
      element(is.na(value), paste0(name, "/mask"))
      encoding(name, "nullable-boolean", "0.1.0")
    } else if (is.integer(value) && any(is.na(value))) {
      h5createGroup(f, name)
      filled <- value
      filled[is.na(filled)] <- 1L
      element(filled, paste0(name, "/values"))
      element(is.na(value), paste0(name, "/mask"))
      encoding(name, "nullable-integer", "0.1.0")
    } else {
      dataset(name, value)
      encoding(name, "array", "0.2.0")
    }
  }
  frame <- function(df, name) {
    if (H5Lexists(f, name)) h5delete(f, name)
    h5createGroup(f, name)
    encoding(name, "dataframe", "0.2.0")
    for (column in colnames(df)) element(df[[column]], paste0(name, "/", column))
    element(rownames(df), paste0(name, "/_index"))
    attribute(name, "_index", "_index")
    order <- colnames(df)
    if (length(order) == 0) order <- numeric()
    attribute(name, "column-order", order, scalar = FALSE)
  }
  dict <- function(name) {
    h5createGroup(f, name)
    encoding(name, "dict", "0.1.0")
  }
  # write_empty_h5ad, then the slots from_Seurat fills (X stays unwritten: no x_mapping).
  encoding("/", "anndata", "0.1.0")
  frame(meta[, integer(0)], "/obs")
  frame(data.frame(row.names = rownames(counts)), "/var")
  for (group in c("layers", "obsm", "obsp", "uns", "varm", "varp")) dict(group)
  frame(meta, "/obs")
  frame(data.frame(row.names = rownames(counts)), "/var")
  h5delete(f, "layers")
  dict("layers")
  element(t(counts), "layers/counts")
  element(t(data), "layers/data")
  H5Fclose(f)
}

# ---------------------------------------------------------------------------------------------
# SeuratDisk (hdf5r)

# SeuratDisk's BoolToInt: how it stores a logical (FALSE 0, TRUE 1, NA 2).
bool_to_int <- function(x) {
  x <- as.integer(x)
  x[is.na(x)] <- 2L
  x
}

seuratdisk <- function(path) {
  if (file.exists(path)) file.remove(path)
  utf8 <- H5T_STRING$new(size = Inf)$set_cset(cset = h5const$H5T_CSET_UTF8)
  f <- H5File$new(path, mode = "w")
  put <- function(group, name, value) {
    dtype <- if (is.character(value)) utf8 else NULL
    group$create_dataset(name = name, robj = value, dtype = dtype)
  }
  scalar <- function(group, name, value) {
    group$create_attr(attr_name = name, robj = value, dtype = utf8, space = H5S$new(type = "scalar"))
  }
  # A dgCMatrix as h5Seurat holds it (genes x cells, compressed by cell), relabelled by Convert.
  sparse <- function(name, m) {
    g <- f$create_group(name)
    put(g, "data", m@x)
    put(g, "indices", m@i)
    put(g, "indptr", m@p)
    g$create_attr(attr_name = "shape", robj = rev(dim(m)), dtype = h5types$H5T_NATIVE_INT)
    scalar(g, "encoding-type", "csr_matrix")
    scalar(g, "encoding-version", "0.1.0")
  }
  # A gene table as Convert writes it: the names in _index, no columns of its own.
  genes <- function(name, names) {
    g <- f$create_group(name)
    scalar(g, "encoding-type", "dataframe")
    scalar(g, "encoding-version", "0.1.0")
    put(g, "_index", names)
    scalar(g, "_index", "_index")
    g
  }
  sparse("X", data)
  var <- genes("var", rownames(data))
  put(var, "features", rownames(data)) # Convert's column for a var without any
  var$create_attr(attr_name = "column-order", robj = "features", dtype = utf8)
  f$create_group("raw")
  sparse("raw/X", counts)
  genes("raw/var", rownames(counts))
  o <- f$create_group("obs")
  for (column in colnames(meta)) {
    value <- meta[[column]]
    if (is.logical(value)) {
      put(o, column, bool_to_int(value))
    } else if (is.factor(value)) {
      put(o, column, as.integer(value) - 1L) # NA stays NA_integer_
      if (!o$exists("__categories")) o$create_group("__categories")
      put(o[["__categories"]], column, levels(value))
    } else {
      put(o, column, value)
    }
  }
  o$create_attr(attr_name = "column-order", robj = colnames(meta), dtype = utf8)
  scalar(o, "encoding-type", "dataframe")
  scalar(o, "encoding-version", "0.1.0")
  put(o, "_index", colnames(seurat))
  scalar(o, "_index", "_index")
  f$create_group("obsm")
  f$create_group("varm")
  f$create_group("uns")
  f$close_all()
}

symbols <- readLines(file.path(input, "symbols.txt"))
for (type in c("HDF5", "sparse")) {
  write10xCounts(
    file.path(output, if (type == "HDF5") "dropletutils.h5" else "dropletutils_mtx"),
    counts,
    gene.id = rownames(counts),
    gene.symbol = symbols,
    barcodes = colnames(counts),
    type = type,
    version = "3",
    overwrite = TRUE
  )
}
# SeuratDisk's as.loom (SaveLoom): /matrix the log-normalised data, layers/counts the counts
# (each transposed to cells x genes in R, which hdf5r stores as genes x cells, loompy's way), the
# cells' names and meta.data in col_attrs (factors as hdf5r stores them: enums of their levels;
# logicals through BoolToInt), the feature names in row_attrs/Gene.
seuratdisk_loom <- function(path) {
  if (file.exists(path)) file.remove(path)
  utf8 <- H5T_STRING$new(size = Inf)$set_cset(cset = h5const$H5T_CSET_UTF8)
  f <- H5File$new(path, mode = "w")
  f$create_dataset("matrix", robj = as.matrix(t(data)))
  f$create_group("layers")$create_dataset("counts", robj = as.matrix(t(counts)))
  cols <- f$create_group("col_attrs")
  rows <- f$create_group("row_attrs")
  f$create_group("col_graphs")
  f$create_group("row_graphs")
  cols$create_dataset("CellID", robj = colnames(seurat), dtype = utf8)
  for (column in colnames(meta)) {
    value <- meta[[column]]
    if (is.logical(value)) value <- bool_to_int(value)
    cols$create_dataset(column, robj = value, dtype = if (is.character(value)) utf8 else NULL)
  }
  rows$create_dataset("Gene", robj = rownames(data), dtype = utf8)
  f$close_all()
}

# hdf5r's own types for an R factor and an R logical, NA included: enums (levels; FALSE, TRUE,
# NA), as any R package writing with hdf5r stores them.
hdf5r_enums <- function(path) {
  if (file.exists(path)) file.remove(path)
  f <- H5File$new(path, mode = "w")
  suppressWarnings(f$create_dataset("factor", robj = factor(c("B cell", "T cell", NA, "B cell"))))
  f$create_dataset("logical", robj = c(TRUE, FALSE, NA, TRUE))
  f$close_all()
}

anndatar(file.path(output, "seurat_anndatar.h5ad"))
anndatar(file.path(output, "seurat_anndatar_gzip.h5ad"), compression = "gzip")
seuratdisk(file.path(output, "seuratdisk.h5ad"))
seuratdisk_loom(file.path(output, "seuratdisk.loom"))
hdf5r_enums(file.path(output, "hdf5r_enums.h5"))
