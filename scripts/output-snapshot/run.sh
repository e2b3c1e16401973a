#!/usr/bin/env bash
# Usage: run.sh REPO OUT — runs the README's commands, law flags, cmssw-executor measurements against a fake
# cvmfs and 12-job dry-run scans on REPO, writing the store and every generated file under OUT, normalized.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$1; OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT/raw" "$OUT/cmssw-capture" "$OUT/stdout"
export MLP_DATA=$OUT/raw/data MLP_SOFTWARE=${MLP_SOFTWARE:-/tmp/mlprof-test-software} MLPROF_PROGRESS=quiet
if [ -z "${PIP_INDEX_URL:-}" ] && [ -d /opt/pypi/simple ]; then export PIP_INDEX_URL=file:///opt/pypi/simple; fi
cd "$REPO"
m() { node bin/mlprof.js "$@"; }
log() { local name=$1; shift; "$@" > "$OUT/stdout/$name.txt" 2>&1 || echo "exit $?" >> "$OUT/stdout/$name.txt"; }
log quickstart m run PlotRuntimes --version test_mlprof
log multi m run PlotMultiRuntimes --version onnx_models \
  --model-files "examples/dnn/model_onnx_l10u128.yaml,examples/cnn/model_onnx_i32c1v{1,3}l10u128.yaml" \
  --batch-sizes 1,2,4,8,16,32,64,128,256 --n-calls 500 --y-log True
log tfaot m run MergeRuntimes --version aot --model-file examples/dnn/model_tfaot_l10u128.yaml --batch-sizes 1,2
log status m run PlotRuntimes --version test_mlprof --print-status -1
log output m run PlotRuntimes --version test_mlprof --print-output 0
log remove m run PlotRuntimes --version test_mlprof --remove-output 1,d
log compare m run CompareRuntimes --version cmp --model-files examples/dnn/model_onnx_l10u128.yaml,examples/dnn/model_onnx_l20u128.yaml --batch-sizes 1,2
log memory m run PlotMemory --version test_mlprof
log report m run Report --version onnx_models --model-files "examples/dnn/model_onnx_l10u128.yaml,examples/cnn/model_onnx_i32c1v{1,3}l10u128.yaml" --batch-sizes 1,2,4,8,16,32,64,128,256 --n-calls 500
# cmssw executor against a fake cvmfs
mkdir -p "$OUT/fake-cvmfs"; cp "$HERE/fake-cvmfs.sh" "$OUT/fake-cvmfs/cmsset_default.sh"
export FAKE_CAPTURE=$OUT/cmssw-capture
for f in examples/dnn/model_onnx_l10u128.yaml examples/dnn/model_tf_l10u128.yaml test/fixtures/tf/model_tf1_keras.yaml; do
  MLPROF_CVMFS_CMS=$OUT/fake-cvmfs MLP_SOFTWARE=$OUT/raw/cmssw-sw log "cmssw_$(basename $f .yaml)" m run MeasureRuntime --version cm --executor cmssw --model-file $f --batch-size 4
done
find "$OUT/raw/cmssw-sw" -maxdepth 3 -name "*.sh" -exec cp {} "$OUT/cmssw-capture/" \;
# 12-job dry runs
S="--version v1 --model-files examples/dnn/model_onnx_l{10,20}u{128,256}.yaml --batch-sizes 1,2,4 --dry-run"
log scan_condor m submit --scan-name s_condor $S --batch-system htcondor
log scan_slurm m submit --scan-name s_slurm $S --batch-system slurm --slurm-partition debug
log scan_ssh m submit --scan-name s_ssh $S --batch-system htcondor --ssh-host user@lxplus.cern.ch --remote-dir /afs/cern.ch/work/u/user/jobs --stage-out xrootd --xrootd-url root://eosuser.cern.ch//eos/user/u/user/mlprof --worker-mlprof tarball --x509-proxy yes --request-memory 3000 --job-flavour longlunch
log scan_cmssw m submit --scan-name s_cmssw --version v1 --executor cmssw --model-files examples/dnn/model_tf_l10u128.yaml --batch-sizes 1,2,4 --cmssw-versions CMSSW_14_1_0_pre4,CMSSW_13_3_1 --scram-archs el8_amd64_gcc11,el9_amd64_gcc12 --dry-run --batch-system htcondor --group release
log scan_cmssw_slurm m submit --scan-name s_cmssw2 --version v1 --executor cmssw --model-files examples/dnn/model_onnx_l10u128.yaml,examples/dnn/model_tf_l10u128.yaml --batch-sizes 1,2,4,8,16,32 --dry-run --batch-system slurm
# normalize into OUT/norm
python3 "$HERE/normalize.py" "$OUT" "$REPO"
