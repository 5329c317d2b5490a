"""Inputs for docs/errors.md that the other fixture scripts do not make (ErrorCatalogueTest).

  bad/corrupt_chunk.h5ad   csr_float32_gzip.h5ad with the bytes of its first X/data chunk
                           overwritten: every structure intact, one compressed chunk garbage.

Run from the repository root with Debian's Python: /usr/bin/python3 spark-jobs/src/test/python/make_error_fixtures.py
"""
import os
import shutil

import h5py

ROOT = "spark-jobs/src/test/resources/fixtures"
SOURCE = os.path.join(ROOT, "atlas", "csr_float32_gzip.h5ad")
TARGET = os.path.join(ROOT, "bad", "corrupt_chunk.h5ad")


def main():
    with h5py.File(SOURCE, "r") as f:
        chunk = f["X/data"].id.get_chunk_info(0)
    shutil.copyfile(SOURCE, TARGET)
    with open(TARGET, "r+b") as f:
        # Keep the first bytes (the zlib header) so the filter starts, then garbage.
        f.seek(chunk.byte_offset + 2)
        f.write(bytes((i * 37 + 11) % 256 for i in range(chunk.size - 2)))
    print("wrote", TARGET, "chunk at", chunk.byte_offset, "size", chunk.size)


if __name__ == "__main__":
    main()
