# fake cvmfs: scram and cmsRun as shell functions; cmsRun keeps a copy of every config it is given
scram() {
  case "$1" in
    project) mkdir -p "$3/src" ;;
    runtime) echo "export CMSSW_BASE=\"$(cd .. && pwd)\"" ;;
    b) true ;;
  esac
}
cmsRun() {
  n=$(ls "$FAKE_CAPTURE" | wc -l)
  cp "$1" "$FAKE_CAPTURE/cfg_$n.py"
  cp "$0" "$FAKE_CAPTURE/run_$n.sh"
  python3 - "$@" <<'PY'
import json, sys
args = dict(a.split("=", 1) for a in sys.argv[2:])
bs = int(args["batchSize"])
with open(args["csvFile"], "w") as f:
    for i in range(100):
        f.write(f"{bs},{0.01 * (i + 1):.6f}\n")
meta = {"engine": {"name": "fake", "version": "0"}, "threads": {"intraOp": 1, "interOp": 1}, "clock": "fake",
        "timings": {"loadMs": 1, "warmupMs": 1, "measureMs": 1},
        "memory": {"rssBeforeLoadKb": 1, "rssAfterLoadKb": 2, "rssAfterWarmupKb": 3, "rssAfterTimingKb": 3, "peakRssKb": 4},
        "rows": 100, "pid": 1}
json.dump(meta, open(args["metaFile"], "w"))
PY
}
