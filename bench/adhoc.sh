#!/usr/bin/env bash
# bench/adhoc.sh — ad-hoc windows against PostgreSQL's own tools, one run.
#
# Over N generated rows (default 10 million) in a throwaway cluster:
#   FROM t, sw.tumble(t.ts, size) w, GROUP BY w.window_start (the README's
#   form), and GROUP BY sw.tumble(ts, size)   vs  GROUP BY date_bin(size, ts, origin)
#   FROM t, sw.hop(t.ts, size, slide) h, GROUP BY h.window_start (the README's
#   form, aggregated per pane)   vs  a hand-written generate_series join
# Each query runs RUNS times (default 5); the medians and ratios are printed.
# Goals: tumble in FROM within 1.2x of date_bin; hop in FROM at least 2x faster
# than the LATERAL generate_series join.
# Prerequisite: the extension is installed (test/check.sh or make install).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh

ROWS=${ROWS:-10000000}
RUNS=${RUNS:-5}

cluster_start "shared_buffers = '2GB'" "work_mem = '256MB'" \
	"max_parallel_workers_per_gather = 0" "jit = off"
cluster_psql -q <<SQL
CREATE EXTENSION stream_windows;
CREATE UNLOGGED TABLE events AS
SELECT g AS id,
       (ARRAY['a.example','b.example','c.example','d.example'])[1 + g % 4] AS host,
       timestamptz '2026-11-25 00:00:00+00' + (g * interval '8 milliseconds')
         + ((g::bigint * 7919) % 60000) * interval '1 millisecond' AS ts
FROM generate_series(1, $ROWS) g;
CREATE INDEX ON events (ts);
VACUUM ANALYZE events;
SQL

# median_ms SQL: runs SQL RUNS times, prints "median run1 run2 ..." in ms
median_ms() {
	local times=()
	for _ in $(seq "$RUNS"); do
		times+=("$(cluster_psql -qAt -c '\timing on' -c "$1" |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')")
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '
		{ a[NR] = $1; all = all sprintf(" %.0f", $1) }
		END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
		      printf "%.1f%s\n", m, all }'
}

report() {
	printf '%-34s median %9.1f ms   runs (sorted):%s\n' "$1" "${2%% *}" "${2#* }"
}

TUMBLE_FROM_SQL="SELECT count(*) FROM (SELECT e.host, w.window_start, count(*) FROM events e, sw.tumble(e.ts, '1 minute') w GROUP BY 1, 2) s"
TUMBLE_SQL="SELECT count(*) FROM (SELECT host, sw.tumble(ts, '1 minute'), count(*) FROM events GROUP BY 1, 2) s"
TUMBLE_START_SQL="SELECT count(*) FROM (SELECT host, (sw.tumble(ts, '1 minute')).window_start, count(*) FROM events GROUP BY 1, 2) s"
DATEBIN_SQL="SELECT count(*) FROM (SELECT host, date_bin('1 minute', ts, '1970-01-01 00:00:00+00'), count(*) FROM events GROUP BY 1, 2) s"
HOP_SQL="SELECT count(*) FROM (SELECT (h).window_start, count(*) FROM (SELECT sw.hop(ts, '5 minutes', '1 minute') AS h FROM events) x GROUP BY 1) s"
HOP_FROM_SQL="SELECT count(*) FROM (SELECT h.window_start, count(*) FROM events e, sw.hop(e.ts, '5 minutes', '1 minute') h GROUP BY 1) s"
JOIN_SQL="SELECT count(*) FROM (SELECT s, count(*) FROM events e,
  generate_series(date_bin('1 minute', e.ts, '1970-01-01 00:00:00+00') - interval '4 minutes',
                  e.ts, interval '1 minute') s
  WHERE e.ts < s + interval '5 minutes' GROUP BY 1) x"

# the common hand-written form: every window of the data's range, joined by range
RANGE_SQL="SELECT count(*) FROM (SELECT w.s, count(*)
  FROM generate_series((SELECT date_bin('1 minute', min(ts), '1970-01-01 00:00:00+00') - interval '4 minutes' FROM events),
                       (SELECT max(ts) FROM events), interval '1 minute') w(s)
  JOIN events e ON e.ts >= w.s AND e.ts < w.s + interval '5 minutes' GROUP BY 1) x"

# the two sides must agree before they are timed
for pair in "$TUMBLE_FROM_SQL|$DATEBIN_SQL" "$TUMBLE_SQL|$DATEBIN_SQL" "$TUMBLE_START_SQL|$DATEBIN_SQL" "$HOP_SQL|$JOIN_SQL" "$HOP_FROM_SQL|$JOIN_SQL" "$HOP_SQL|$RANGE_SQL"; do
	a=$(cluster_psql -qAt -c "${pair%%|*}"); b=$(cluster_psql -qAt -c "${pair#*|}")
	[ "$a" = "$b" ] || { echo "results differ: $a vs $b"; exit 1; }
done

echo "rows: $ROWS, runs per query: $RUNS, no parallel workers, no JIT"
tfrom=$(median_ms "$TUMBLE_FROM_SQL"); report "FROM t, sw.tumble(...) w (README)" "$tfrom"
tumble=$(median_ms "$TUMBLE_SQL");   report "GROUP BY sw.tumble (1 min)" "$tumble"
tstart=$(median_ms "$TUMBLE_START_SQL"); report "GROUP BY (sw.tumble).window_start" "$tstart"
datebin=$(median_ms "$DATEBIN_SQL"); report "GROUP BY date_bin (1 min)" "$datebin"
hop=$(median_ms "$HOP_SQL");         report "sw.hop 5m/1m, select list" "$hop"
hopfrom=$(median_ms "$HOP_FROM_SQL"); report "sw.hop 5m/1m, in FROM" "$hopfrom"
join=$(median_ms "$JOIN_SQL");       report "LATERAL generate_series, 5m/1m" "$join"
range=$(median_ms "$RANGE_SQL");     report "generate_series range join, 5m/1m" "$range"

awk -v f="${tfrom%% *}" -v t="${tumble%% *}" -v s="${tstart%% *}" -v hf="${hopfrom%% *}" -v r="${range%% *}" -v d="${datebin%% *}" -v h="${hop%% *}" -v j="${join%% *}" 'BEGIN {
	printf "tumble in FROM / date_bin: %.2fx (goal <= 1.20x)  %s\n", f / d, (f / d <= 1.2) ? "met" : "NOT met";
	printf "GROUP BY sw.tumble (composite) / date_bin: %.2fx\n", t / d;
	printf "tumble(...).window_start / date_bin: %.2fx\n", s / d;
	printf "LATERAL join / hop in FROM (README): %.2fx (goal >= 2.00x)  %s\n", j / hf, (j / hf >= 2.0) ? "met" : "NOT met";
	printf "range join / hop in FROM: %.2fx\n", r / hf;
	printf "LATERAL join / hop in the select list: %.2fx\n", j / h }'
