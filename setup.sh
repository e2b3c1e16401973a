#!/usr/bin/env bash
# Sets MLProf up on Debian/Ubuntu: Debian's Chromium (plots) and poppler-utils, a C++ compiler and Python's
# venv (native runners, TensorFlow venv), then the pinned Node.js dependencies (npm ci, which also builds dist/).
#   ./setup.sh            what the tool needs
#   ./setup.sh --test     also what the test suite needs (loopback Slurm, sshd, XRootD)
# Nothing is installed that is already there; apt-get runs through sudo when not root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

packages=()
have() { command -v "$1" >/dev/null 2>&1; }
have chromium || have chromium-browser || [ -n "${MLPROF_CHROMIUM:-}" ] || packages+=(chromium)
have pdftoppm || packages+=(poppler-utils)
have g++ || packages+=(g++)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || packages+=(python3-venv)
if [ "${1:-}" = "--test" ]; then
  have slurmctld || packages+=(slurm-wlm)
  have munged || packages+=(munge)
  have sshd || [ -x /usr/sbin/sshd ] || packages+=(openssh-server)
  have ssh || packages+=(openssh-client)
  have xrootd || packages+=(xrootd-server)
  have xrdcp || packages+=(xrootd-client)
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "setup.sh: installing Debian packages: ${packages[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    have sudo || { echo "setup.sh: please install (as root): apt-get install ${packages[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# onnxruntime-node ships its CPU binaries; its install script would only fetch CUDA libraries (from a host
# that may be unreachable): skip it (npm 11 does not run unapproved install scripts anyway)
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
