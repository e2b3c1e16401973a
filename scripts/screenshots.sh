#!/usr/bin/env bash
# Refreshes docs/screenshots/.
#
#   scripts/screenshots.sh                 the layout test renders the README's examples, the memory plot and
#                                          the report in Chromium, checks their layout, and writes the PNGs there
#   scripts/screenshots.sh plots <tag> [<repo>]
#                                          the slide plots of issue 22 from the CLI of <repo> (default: this
#                                          one, built first): a 12-curve PlotMultiRuntimes, a linear x axis over
#                                          1…1024, a ratio plot with long version names and the interactive page;
#                                          written as docs/screenshots/<tag>_*.png (e.g. before_, after_). The
#                                          measurements go to $MLP_STORE (default /tmp/mlprof-screenshots-store),
#                                          so that a second tree renders the same data.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE="$PWD"

if [ "${1:-}" != "plots" ]; then
  npm run build >/dev/null
  MLPROF_SCREENSHOTS="$PWD/docs/screenshots" node --import tsx --test test/plot/layout.test.ts
  exit 0
fi

TAG="${2:?usage: scripts/screenshots.sh plots <tag> [<repo>]}"
REPO="${3:-$HERE}"
[ "$REPO" = "$HERE" ] && npm run build >/dev/null
OUT="$HERE/docs/screenshots"
mkdir -p "$OUT"
export MLP_STORE="${MLP_STORE:-/tmp/mlprof-screenshots-store}"
export MLPROF_PROGRESS=plain FORCE_COLOR=0
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mlprof() { node "$REPO/bin/mlprof.js" "$@"; }
# the first written file of a type the CLI prints
printed() { grep -E "^\s*/.*\.$1\s*$" "$WORK/log" | head -1 | tr -d ' '; }
# a PDF as a small PNG (60 dpi)
topng() { pdftoppm -png -r 60 -singlefile "$1" "$OUT/${TAG}_$2"; }

QUICK=(--n-calls 20 --repeats 1 --file-types pdf)
MODELS="$(ls "$HERE"/examples/{dnn,cnn,btag}/model_onnx_*.yaml | head -11 | tr '\n' ',')$HERE/test/fixtures/identity.yaml"

mlprof run PlotMultiRuntimes --version shots --model-files "$MODELS" --batch-sizes 1,4,16,64 --x-log True \
  --y-log True "${QUICK[@]}" --remove-output 0,a,y | tee "$WORK/log"
topng "$(printed pdf)" multi12
HTML="$(printed html)"
# a 1400 px wide window, saved at half the size (device scale 0.5) to keep the PNG small
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
  --force-device-scale-factor=0.5 --screenshot="$OUT/${TAG}_page.png" "file://$HTML" 2>/dev/null

mlprof run PlotRuntimes --version shots --model-file "$HERE/examples/dnn/model_onnx_l10u128.yaml" \
  --batch-sizes 1,2,4,8,16,32,64,128,256,512,1024 "${QUICK[@]}" --remove-output 0,a,y 2>&1 | tee "$WORK/log"
topng "$(printed pdf)" linear_x

mlprof run CompareRuntimes --version shots --versions baseline_onnxruntime_1_16_3_el8_amd64_gcc11,candidate_onnxruntime_1_20_1_el9_amd64_gcc13 \
  --model-files "$HERE/examples/dnn/model_onnx_l10u128.yaml" --batch-sizes 1,2,4,8,16,32 --n-calls 20 --repeats 2 \
  --x-log True --file-types pdf --remove-output 0,a,y | tee "$WORK/log"
topng "$(printed pdf)" ratio
ls -l "$OUT/${TAG}"_*.png
