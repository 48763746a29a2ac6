#!/usr/bin/env bash
# bench/ab.sh — a benchmark before and after a change, in one run.
#
#   bench/ab.sh BASE_REV [ROUNDS] -- bench/windows.sh
#   N=500000 RUNS=1 bench/ab.sh be01649 3 -- bench/windows.sh
#
# Builds BASE_REV (in a temporary git worktree) and the working tree, then
# ROUNDS times (default 2): installs the base build and runs the command,
# installs the working tree's build and runs it again — alternating, so
# that both see the same machine and the same noise.  Each run's output is
# kept in a directory it names; the summary lines of every run (those with
# "ev/s" or "ratio" or "median") are printed side by side at the end.
#
# Runs as root (make install); the command runs from the working tree, so
# its test tools (broker, producer) are the working tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/install.sh

BASE=${1:?usage: bench/ab.sh BASE_REV [ROUNDS] -- COMMAND...}
shift
ROUNDS=2
if [ "${1:-}" != "--" ]; then ROUNDS=$1; shift; fi
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: bench/ab.sh BASE_REV [ROUNDS] -- COMMAND..."; exit 2; }

OUT=$(mktemp -d /tmp/sw-ab.XXXXXX)
WT=$OUT/base-tree
git worktree add -q --detach "$WT" "$BASE"
trap 'git worktree remove --force "$WT" >/dev/null 2>&1 || true' EXIT
export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
(cd "$WT" && make -s >/dev/null)
make -s >/dev/null

install_tree() { (cd "$1" && make -s install >/dev/null); }

for r in $(seq "$ROUNDS"); do
	for side in base head; do
		if [ $side = base ]; then install_tree "$WT"; else install_tree .; fi
		echo "== round $r: $side ($([ $side = base ] && echo "$BASE" || echo "working tree"))"
		"$@" >"$OUT/$side.$r.log" 2>&1 || echo "   ($side round $r exited $?)"
		grep -E 'ev/s|ratio|median|M/s' "$OUT/$side.$r.log" | sed 's/^/   /' || true
	done
done
install_tree .
echo "== outputs in $OUT"
