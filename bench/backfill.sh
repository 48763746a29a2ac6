#!/usr/bin/env bash
# bench/backfill.sh — a window created over a staged backlog, one run.
#
# N JSON web events (test/sw_produce --generate web) on PARTS partitions of
# the embedded broker are staged by a source, which is then paused; the time
# of sw.create_window (a tumbling window per host, backfill on: it applies
# every staged row in the call) is measured RUNS times, each on a new window,
# and compared with the time the source took to stage the events.  The
# window must count all N events.  No goal of the issue names it: it is the
# DBA's wait when adding a window to a source with a backlog, and grows with
# nothing but N.
#
#   N=500000 PARTS=64 RUNS=3 bench/backfill.sh
#
# Runs as root (the cluster runs as "postgres"); needs the extension
# installed (make && make install).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh
. bench/lib.sh

N=${N:-500000}
PARTS=${PARTS:-64}
RUNS=${RUNS:-3}
[ $(( N / PARTS )) -le 15625 ] || { echo "at most 15,625 events a partition (the broker drops more)"; exit 2; }
bench_start backfill "events:$PARTS"
bench_preload_web "$N" "$PARTS" 1
cluster_psql -q -c "CREATE EXTENSION stream_windows"
t0=$(date +%s.%N)
cluster_psql -q -c "SELECT sw.create_source('bf', '$BS', 'events', 'json',
	'url text, referrer text, ip inet, ms int, host text, event_time timestamptz')" >/dev/null
until [ "$(cluster_psql -qAt -c "SELECT coalesce(sum(next_offset), 0) FROM sw.source_partitions
		WHERE source_name = 'bf'")" -ge "$N" ]; do sleep 0.05; done
t1=$(date +%s.%N)
cluster_psql -q -c "SELECT sw.pause_source('bf')" >/dev/null
printf '%-28s %8.2f s   (%.0f ev/s)\n' "staging (the source)" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
	"$(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { print n / (b - a) }')"

times=()
for r in $(seq "$RUNS"); do
	t0=$(date +%s.%N)
	cluster_psql -q -c "SELECT sw.create_window('bf_w$r', 'bf', 'tumbling', 'count(*) AS hits',
		group_by => 'host', event_time => 'event_time', size => '1 minute')" >/dev/null
	t1=$(date +%s.%N)
	got=$(cluster_psql -qAt -c "SELECT sum(hits) FROM bf_w$r")
	[ "$got" = "$N" ] || { echo "run $r: the window counted $got of $N events"; exit 1; }
	times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
	cluster_psql -q -c "SELECT sw.drop_window('bf_w$r')" >/dev/null
done
median=$(median "${times[@]}")
printf '%-28s %8.2f s   (%.0f ev/s)   runs: %s\n' "backfill (sw.create_window)" "$median" \
	"$(awk -v m="$median" -v n="$N" 'BEGIN { print n / m }')" "${times[*]}"
