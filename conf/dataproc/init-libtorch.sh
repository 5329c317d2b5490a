#!/usr/bin/env bash
# Dataproc initialization action for GPU workers (docs/run-on-dataproc.md), after the GPU driver
# action. Metadata key cellspark-stage: the gs:// folder holding getGpusResources.sh and the CUDA
# build of libtorch 2.7.1 (cu128) as libtorch-2.7.1-cu128.zip.
#   --metadata cellspark-stage=gs://my-bucket/cellspark
set -euo pipefail
STAGE="$(/usr/share/google/get_metadata_value attributes/cellspark-stage)"
mkdir -p /opt/cellspark /mnt/cellspark/djl-cache /usr/lib/spark/scripts/gpu
chmod 1777 /mnt/cellspark/djl-cache
gsutil cp "$STAGE/getGpusResources.sh" /usr/lib/spark/scripts/gpu/getGpusResources.sh
chmod 0755 /usr/lib/spark/scripts/gpu/getGpusResources.sh
gsutil cp "$STAGE/libtorch-2.7.1-cu128.zip" /tmp/libtorch.zip
unzip -q -o /tmp/libtorch.zip -d /opt/cellspark/
rm -f /tmp/libtorch.zip
test -f /opt/cellspark/libtorch/lib/libtorch.so
