#!/usr/bin/env bash
# Copies the JUnit and AssertJ jars the gpu-tagged tests need into .gpu-tests/ (ignored), to bring
# along to a GPU machine without Maven together with the packed runtime; bench/gpu/device.sh then
# runs the GPU tests (org.cellspark.testing.GpuTests) before the benchmarks. Also writes a token
# table as `tokenize --output-format dataset` writes it (.gpu-tests/written.dataset), for the
# `arrow` part to open with the Python tools the build machines lack. Run after a build.
#   bench/gpu/test-jars.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
rm -rf .gpu-tests
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl model-udf dependency:copy-dependencies -DincludeScope=test \
  -DincludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian,org.assertj \
  -DoutputDirectory="$ROOT/.gpu-tests"
# Commons Compress reads pytorch_model.bin checkpoints (a zip archive); the shared pack leaves it out.
mvn -q -B ${CELLSPARK_MVN_OPTS:-} -pl model-udf dependency:copy-dependencies -DincludeScope=runtime \
  -DincludeArtifactIds=commons-compress -DoutputDirectory="$ROOT/.gpu-tests"
bin/cellspark tokenize --input spark-jobs/src/test/resources/fixtures/atlas/csr_float32_gzip.h5ad \
  --vocabulary model-udf/src/test/resources/fixtures/vocab-v2-small --attribute cell_type \
  --partitions 2 --output-format dataset --output .gpu-tests/written.dataset > /dev/null
ls .gpu-tests
