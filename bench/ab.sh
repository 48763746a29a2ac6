#!/usr/bin/env bash
# bench/ab.sh — a benchmark before and after a change, in one run.
#
#   bench/ab.sh BASE_REV [ROUNDS] -- bench/windows.sh
#   N=500000 RUNS=1 LATENCY_SECONDS=0 bench/ab.sh be01649 3 -- bench/windows.sh
#
# Builds BASE_REV (in a temporary git worktree) and the working tree, and
# installs each into a private copy of the PostgreSQL installation (DESTDIR;
# the machine's own installation is left alone).  Then ROUNDS times
# (default 2) runs the command against the base build and against the
# working tree's, alternating, so that both see the same machine and the
# same noise; the command finds its PostgreSQL through PG_BIN (see
# test/lib/cluster.sh).  Each run's output is kept in a directory it
# names; the summary lines of every run (with "ev/s", "ratio", "median" or
# "M/s") are printed as they come.
#
# Runs as root; the command runs from the working tree, so its test tools
# (broker, producer) are the working tree's.
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
chmod 755 "$OUT"
WT=$OUT/base-tree
git worktree add -q --detach "$WT" "$BASE"
trap 'git worktree remove --force "$WT" >/dev/null 2>&1 || true' EXIT
export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"

# a private PostgreSQL installation per side, with that side's build in it
private_install() {
	local tree=$1 root=$2
	mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$PG_MAJOR" "$root/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$PG_MAJOR" "$root/usr/share/postgresql/"
	# PROFILE (a benchmark option) means something else to PGXS
	(cd "$tree" && env -u PROFILE make -s >/dev/null &&
		env -u PROFILE make -s install DESTDIR="$root" >/dev/null)
}
private_install "$WT" "$OUT/base"
private_install . "$OUT/head"

for r in $(seq "$ROUNDS"); do
	for side in base head; do
		echo "== round $r: $side ($([ $side = base ] && echo "$BASE" || echo "working tree"))"
		PG_BIN="$OUT/$side/usr/lib/postgresql/$PG_MAJOR/bin" "$@" >"$OUT/$side.$r.log" 2>&1 ||
			echo "   ($side round $r exited $?)"
		grep -E 'ev/s|ratio|median|M/s|goal|^ingest |cpu$' "$OUT/$side.$r.log" | sed 's/^/   /' || true
	done
done
echo "== outputs in $OUT"
