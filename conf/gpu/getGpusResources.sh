#!/usr/bin/env bash
# Spark GPU discovery script: prints the node's GPUs as Spark expects, e.g.
#   {"name": "gpu", "addresses": ["0","1"]}
# Point spark.executor.resource.gpu.discoveryScript (and, for a GPU driver,
# spark.driver.resource.gpu.discoveryScript) at this file on every node.
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo '{"name": "gpu", "addresses": []}'
  exit 0
fi
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/ //g' -e 's/^/"/' -e 's/$/"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
