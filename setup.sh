#!/usr/bin/env bash
# Sets MLProf up on Debian/Ubuntu: Debian's Chromium (plots) and poppler-utils, a C++ compiler, Python's
# venv and development files (native runners, the onnxruntime and TensorFlow venvs), then the pinned Node.js dependencies (npm ci, which also builds dist/).
#   ./setup.sh            what the tool needs
#   ./setup.sh --test     also what the test suite needs (loopback Slurm, sshd, XRootD)
#   --if-missing          only what is missing, and npm ci only when a dependency is missing from
#                         node_modules: a no-op in well under a second on a set-up machine (npm test's
#                         pretest runs `./setup.sh --test --if-missing`); without sudo it warns and goes on
# Nothing is installed that is already there; apt-get runs through sudo when not root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

test_deps=false
if_missing=false
for arg in "$@"; do
  case "$arg" in
    --test) test_deps=true ;;
    --if-missing) if_missing=true ;;
    *) echo "usage: ./setup.sh [--test] [--if-missing]" >&2; exit 2 ;;
  esac
done

packages=()
have() { command -v "$1" >/dev/null 2>&1; }
have chromium || have chromium-browser || [ -n "${MLPROF_CHROMIUM:-}" ] || packages+=(chromium)
have pdftoppm || packages+=(poppler-utils)
have g++ || packages+=(g++)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || packages+=(python3-venv)
# the ONNX runner embeds the venvs' Python: its headers and shared library (python3-dev)
"${MLPROF_PYTHON:-python3}" -c "import os, sys, sysconfig
ok = os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')) and sysconfig.get_config_var('Py_ENABLE_SHARED')
sys.exit(0 if ok else 1)" >/dev/null 2>&1 || packages+=(python3-dev)
if $test_deps; then
  have slurmctld || packages+=(slurm-wlm)
  have munged || packages+=(munge)
  have sshd || [ -x /usr/sbin/sshd ] || packages+=(openssh-server)
  have ssh || packages+=(openssh-client)
  have xrootd || packages+=(xrootd-server)
  have xrdcp || packages+=(xrootd-client)
fi

if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if ! have sudo; then
      echo "setup.sh: please install (as root): apt-get install ${packages[*]}" >&2
      $if_missing || exit 1
      # npm test goes on: the tests whose prerequisites are missing are skipped and listed at the end
      echo "setup.sh: going on without them; the tests that need them are skipped" >&2
      sudo=skip
    else
      sudo=sudo
    fi
  fi
  if [ "$sudo" != skip ]; then
    echo "setup.sh: installing Debian packages: ${packages[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  fi
fi

# every dependency of package.json in node_modules (node is there when npm test runs this)
node_modules_complete() {
  have node && node -e '
    const fs = require("fs");
    const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const names = Object.keys({ ...p.dependencies, ...p.devDependencies });
    process.exit(names.every((n) => fs.existsSync(`node_modules/${n}/package.json`)) ? 0 : 1);
  '
}
if $if_missing && node_modules_complete; then exit 0; fi

# package.json's allowScripts decides each dependency's install script: esbuild's (checks its binary) runs;
# onnxruntime-node's (it ships its CPU binaries; the script would only fetch CUDA libraries from a host that
# may be unreachable) and ssh2's and cpu-features' (optional native crypto, built with node-gyp and Node's
# headers from the network; ssh2 works without them) are denied. npm before 11.16 runs every install script:
# ONNXRUNTIME_NODE_INSTALL=skip keeps the CUDA download off there too.
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
