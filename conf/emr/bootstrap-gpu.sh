#!/usr/bin/env bash
# EMR bootstrap action for GPU workers (docs/run-on-emr.md), run on every node before Spark starts.
# Arguments: the S3 folder holding what you staged: getGpusResources.sh and the CUDA build of
# libtorch 2.7.1 (cu128) as libtorch-2.7.1-cu128.zip (the same version as Cellspark's DJL JNI).
#   --bootstrap-actions Path=s3://my-bucket/cellspark/bootstrap-gpu.sh,Args=[s3://my-bucket/cellspark]
set -euo pipefail
STAGE="${1:?usage: bootstrap-gpu.sh s3://bucket/folder}"
sudo mkdir -p /opt/cellspark /mnt/cellspark/djl-cache
sudo chmod 1777 /mnt/cellspark/djl-cache
aws s3 cp "$STAGE/getGpusResources.sh" /tmp/getGpusResources.sh
sudo install -m 0755 /tmp/getGpusResources.sh /opt/cellspark/getGpusResources.sh
aws s3 cp "$STAGE/libtorch-2.7.1-cu128.zip" /tmp/libtorch.zip
sudo unzip -q -o /tmp/libtorch.zip -d /opt/cellspark/
rm -f /tmp/libtorch.zip
test -f /opt/cellspark/libtorch/lib/libtorch.so
# YARN isolates GPUs with the cgroup v1 devices controller; Amazon Linux 2023 (EMR 7) mounts cgroup
# v2 only, so mount a v1 devices hierarchy where configurations-gpu.json points YARN
# (yarn.nodemanager.linux-container-executor.cgroups.mount-path, container-executor's cgroups root).
sudo mkdir -p /spark-rapids-cgroup/devices
if ! mountpoint -q /spark-rapids-cgroup/devices; then
  sudo mount -t cgroup -o devices cgroupv1-devices /spark-rapids-cgroup/devices
fi
sudo chmod a+rwx -R /spark-rapids-cgroup
