#!/usr/bin/env bash
# Refreshes docs/screenshots/: the layout test renders the README's examples, the memory plot and the report
# in Chromium, checks their layout, and writes the PNGs there.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
MLPROF_SCREENSHOTS="$PWD/docs/screenshots" node --import tsx --test test/plot/layout.test.ts
