#!/usr/bin/env bash
# test/check.sh — the whole test suite: build, install, pg_regress, TAP.
#
# Runs on a fresh Debian 12 machine from a clone, as root (or as a user with
# sudo).  It installs the packages it needs, builds with warnings as errors,
# installs the extension, then runs every test against throwaway clusters
# that the tests start themselves (pg_regress --temp-instance and
# PostgreSQL::Test::Cluster); no running server is needed.  PostgreSQL will
# not run as root, so as root the tests run as the "postgres" user in a
# scratch copy of the tree.
#
# The last line of output is "N passed, M failed" over every part.
set -uo pipefail

cd "$(dirname "$0")/.."
SRC=$(pwd)
. test/lib/install.sh

install_build_deps || { echo "check.sh: could not install packages"; echo "0 passed, 1 failed"; exit 1; }
export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"

echo "== build (warnings are errors)"
make -s clean >/dev/null 2>&1
if ! build_and_install; then
	echo "check.sh: build or install failed"; echo "0 passed, 1 failed"; exit 1
fi

# Where the tests run: the tree itself, or a copy owned by "postgres".
WORK=$SRC
RUN=()
if [ "$(id -u)" = 0 ]; then
	WORK=$(mktemp -d /tmp/sw-check.XXXXXX)
	rsync -a --exclude .git "$SRC"/ "$WORK"/
	chown -R postgres: "$WORK"
	RUN=(runuser -u postgres --)
fi
LOG=$WORK/check-logs
"${RUN[@]}" mkdir -p "$LOG"

# the released versions, for the upgrade test (test/t/050_upgrade.pl)
echo "== released versions (test/releases)"
. test/lib/releases.sh
export SW_RELEASES=$(build_releases "$WORK/tmp_releases")
[ "$(id -u)" = 0 ] && [ -d "$WORK/tmp_releases" ] && chown -R postgres: "$WORK/tmp_releases"
echo "   ${SW_RELEASES:-none built (no git history?)}"

passed=0
failed=0

echo "== PostgreSQL 17 (compile only, test/pg17-build.sh)"
if [ "$(id -u)" = 0 ]; then
	pg17=$(test/pg17-build.sh 2>&1)
else
	pg17="pg17 build: skipped (needs root for its private apt lists)"
fi
echo "$pg17" | tail -40
case "$pg17" in
	*"pg17 build: ok"*) passed=$((passed + 1)) ;;
	*"pg17 build: FAILED"*) failed=$((failed + 1)) ;;
esac

# A pg_regress-style part (regress, isolation): its "... ok"/"FAILED"
# lines counted; the runner failing without a failed test is one failure.
regress_part() {
	local title=$1 target=$2 log=$3 diffs=$4 status ok bad
	echo "== $title"
	(cd "$WORK" && "${RUN[@]}" make -s "$target") >"$LOG/$log" 2>&1
	status=$?
	cat "$LOG/$log"
	ok=$(grep -cE '\.\.\. ok|^ok ' "$LOG/$log")
	bad=$(grep -cE '\.\.\. FAILED|^not ok |failed \(ignored\)' "$LOG/$log")
	passed=$((passed + ok)); failed=$((failed + bad))
	if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then failed=$((failed + 1)); fi
	[ -f "$WORK/$diffs" ] && cat "$WORK/$diffs"
}
regress_part "pg_regress" installcheck-regress-only regress.out regression.diffs
regress_part "isolation (pg_isolation_regress)" installcheck-isolation-only isolation.out \
	output_iso/regression.diffs

echo "== TAP"
(cd "$WORK" && "${RUN[@]}" make -s installcheck-tap-only PROVE_FLAGS="-I test -v") >"$LOG/tap.out" 2>&1
grep -E '^(t|test)/|^(not )?ok |^# |Result:|Files=' "$LOG/tap.out"
t_ok=$(grep -cE '^ok [0-9]+' "$LOG/tap.out")
t_bad=$(grep -cE '^not ok [0-9]+' "$LOG/tap.out")
# a test file that died before its plan counts as one failure
t_dubious=$(grep -cE 'Dubious|Bad plan|No plan found|Parse errors' "$LOG/tap.out")
passed=$((passed + t_ok)); failed=$((failed + t_bad + t_dubious))
if grep -q 'Result: FAIL' "$LOG/tap.out"; then
	for f in "$WORK"/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && { echo "--- tail of $f"; tail -40 "$f"; }
	done
	[ "$t_bad" -eq 0 ] && [ "$t_dubious" -eq 0 ] && failed=$((failed + 1))
fi

echo "logs: $LOG"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
