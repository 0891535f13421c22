#!/usr/bin/env bash
# npm start: start a one-node cluster with its state in ./data (setup already ran as prestart).
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./bin/skiff server --data-dir "${SKIFF_DATA_DIR:-$PWD/data}" "$@"
