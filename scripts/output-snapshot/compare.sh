#!/usr/bin/env bash
# Usage: compare.sh BEFORE_REPO AFTER_REPO (checkouts with node_modules and dist/ built): runs the README's
# commands, law flags, cmssw-executor measurements against a fake cvmfs and 12-job dry-run scans on each, from
# the same path (/tmp/snaprepo, so hashed model names agree), and diffs the normalized stores and files.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run() { rm -rf /tmp/snaprepo && mkdir -p /tmp/snaprepo && (cd "$1" && tar --exclude=./data -cf - .) | tar -xf - -C /tmp/snaprepo; "$HERE/run.sh" /tmp/snaprepo "$2" >/dev/null 2>&1; }
run "$1" /tmp/snap-before
run "$2" /tmp/snap-after
diff -r /tmp/snap-before/norm /tmp/snap-after/norm && echo "no differences"
