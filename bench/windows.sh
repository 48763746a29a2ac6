#!/usr/bin/env bash
# bench/windows.sh — what continuous windows cost a source, one run.
#
# N JSON web events (test/sw_produce --generate web) are preloaded onto the
# embedded broker (enough partitions that its size-based retention drops
# none).  For each configuration a fresh source consumes all of them,
# timed from sw.resume_source until sum(next_offset) reaches N:
#   ingest-only   no window
#   tumbling      count(*), sum(ms) per host, 1 minute
#   sliding       count(*), sum(ms) per host, 1 hour every 5 minutes (12 windows an event)
#   session       count(*), sum(ms) per 100,000 distinct keys, gap 5 minutes
#   count         count(*), sum(ms) per ip (1,000 keys), n = 3
# and, only when KINDS names them, tumbling_avg (avg(ms) per ip: a state
# without an array type, written as text) and a tumbling window per site whose filter
# and group key are written inline (udf_inline), as LANGUAGE sql functions
# (udf_sql: inlined, goal >= 0.90 of udf_inline), PL/pgSQL (udf_plpgsql)
# or PL/Python (udf_plpython; installs postgresql-plpython3-15):
#   KINDS="ingest udf_inline udf_sql udf_plpgsql udf_plpython" bench/windows.sh
# Each is run RUNS times; medians and ratios to ingest-only are printed with
# the goals: tumbling costs <= 10% (ratio >= 0.90), sliding >= 0.50,
# session and count >= 0.50; then the same per CPU second of the worker
# (its user + system time, all threads, from /proc), which the other
# processes of a shared machine do not move.  BACKLOG=1 spreads the preloaded events 100 ms
# apart in event time (a message set then spans many seconds) and gives
# every window watermark_delay 5 seconds: a source started on that backlog
# must count every event and drop none as late, whatever the order in
# which its partitions are fetched (checked after every run).  Otherwise
# the same goals.  Then LATENCY_SECONDS of a live stream at
# LATENCY_RATE events/s into a tumbling window: the time from a message's
# Kafka timestamp (set by the producer) to the window row showing it,
# sampled every 10 ms: p50 and p99 (goal p99 <= 50 ms).
#
#   N=500000 RUNS=3 bench/windows.sh
#   KINDS="ingest session" bench/windows.sh      (some configurations only)
#
# Runs as root (the cluster runs as "postgres"); needs the extension
# installed (make && make install).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh
. bench/lib.sh

N=${N:-500000}
RUNS=${RUNS:-3}
PARTS=${PARTS:-$(( (N + 15624) / 15625 ))}
LATENCY_RATE=${LATENCY_RATE:-10000}
LATENCY_SECONDS=${LATENCY_SECONDS:-20}
BACKLOG=${BACKLOG:-0}
STEP_MS=1
WM=""
if [ "$BACKLOG" = 1 ]; then STEP_MS=100; WM=", watermark_delay => '5 seconds'"; fi
COLUMNS_SQL='url text, referrer text, ip inet, ms int, host text, event_time timestamptz'
bench_start windows "events:$PARTS" live:4
bench_preload_web "$N" "$PARTS" "$STEP_MS"

cluster_psql -q <<'SQL'
CREATE EXTENSION stream_windows;
CREATE TABLE bench_result (run text, seconds float8, n bigint);
-- a source created paused (one transaction), its window, then resume: timed
-- from the resume to the N-th applied event
CREATE PROCEDURE bench_window(run text, brokers text, cols text, n_target bigint, win text)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; n bigint := 0;
BEGIN
	PERFORM sw.create_source(run, brokers, 'events', 'json', cols);
	PERFORM sw.pause_source(run);
	COMMIT;
	IF win IS NOT NULL THEN
		EXECUTE format(win, run || '_w', run);
	END IF;
	COMMIT;
	t0 := clock_timestamp();
	PERFORM sw.resume_source(run);
	COMMIT;
	LOOP
		SELECT coalesce(sum(next_offset), 0) INTO n FROM sw.source_partitions WHERE source_name = run;
		EXIT WHEN n >= n_target OR clock_timestamp() - t0 > interval '900 seconds';
		COMMIT;
		PERFORM pg_sleep(0.02);
	END LOOP;
	INSERT INTO bench_result VALUES (run, extract(epoch FROM clock_timestamp() - t0), n);
END $$;
SQL

declare -A WINDOW=(
	[ingest]=''
	[tumbling]="SELECT sw.create_window(%L, %L, 'tumbling', 'count(*) AS hits, sum(ms) AS ms', group_by => 'host', event_time => 'event_time', size => '1 minute'$WM)"
	[sliding]="SELECT sw.create_window(%L, %L, 'sliding', 'count(*) AS hits, sum(ms) AS ms', group_by => 'host', event_time => 'event_time', size => '1 hour', slide => '5 minutes'$WM)"
	[session]="SELECT sw.create_window(%L, %L, 'session', 'count(*) AS hits, sum(ms) AS ms', group_by => 'host(ip) || ''/'' || mod(kafka_offset, 100) AS visitor', event_time => 'event_time', gap => '5 minutes'$WM)"
	[count]="SELECT sw.create_window(%L, %L, 'count', 'count(*) AS hits, sum(ms) AS ms', group_by => 'ip', event_time => 'event_time', count => 3$WM)"
	# tumbling with a state that has no array type (avg(int4): int8[]), only when KINDS names it
	[tumbling_avg]="SELECT sw.create_window(%L, %L, 'tumbling', 'count(*) AS hits, avg(ms) AS avg_ms', group_by => 'ip', event_time => 'event_time', size => '1 minute'$WM)"
	# the same filter and group key written inline, as SQL, PL/pgSQL and PL/Python functions
	[udf_inline]="SELECT sw.create_window(%L, %L, 'tumbling', 'count(*) AS hits, sum(ms) AS ms', group_by => 'split_part(host, ''.'', 1) AS site', filter => 'ms < 1000000', event_time => 'event_time', size => '1 minute'$WM)"
	[udf_sql]="SELECT sw.create_window(%L, %L, 'tumbling', 'count(*) AS hits, sum(ms) AS ms', group_by => 'site_sql(host) AS site', filter => 'keep_sql(ms)', event_time => 'event_time', size => '1 minute'$WM)"
	[udf_plpgsql]="SELECT sw.create_window(%L, %L, 'tumbling', 'count(*) AS hits, sum(ms) AS ms', group_by => 'site_plpgsql(host) AS site', filter => 'keep_plpgsql(ms)', event_time => 'event_time', size => '1 minute'$WM)"
	[udf_plpython]="SELECT sw.create_window(%L, %L, 'tumbling', 'count(*) AS hits, sum(ms) AS ms', group_by => 'site_plpython(host) AS site', filter => 'keep_plpython(ms)', event_time => 'event_time', size => '1 minute'$WM)"
)
cluster_psql -q <<'SQL'
CREATE FUNCTION site_sql(h text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT split_part(h, '.', 1) $$;
CREATE FUNCTION keep_sql(ms int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT ms < 1000000 $$;
CREATE FUNCTION site_plpgsql(h text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN split_part(h, '.', 1); END $$;
CREATE FUNCTION keep_plpgsql(ms int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN ms < 1000000; END $$;
SQL
if [[ " ${KINDS:-} " == *" udf_plpython "* ]]; then
	dpkg-query -W -f='${Status}' "postgresql-plpython3-$PG_MAJOR" 2>/dev/null | grep -q 'ok installed' ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"postgresql-plpython3-$PG_MAJOR" >/dev/null
	cluster_psql -q <<'SQL'
CREATE EXTENSION plpython3u;
CREATE FUNCTION site_plpython(h text) RETURNS text LANGUAGE plpython3u IMMUTABLE AS $$ return h.split('.')[0] if h is not None else None $$;
CREATE FUNCTION keep_plpython(ms int) RETURNS boolean LANGUAGE plpython3u IMMUTABLE AS $$ return ms is not None and ms < 1000000 $$;
SQL
fi
KINDS=${KINDS:-"ingest tumbling sliding session count"}
declare -A RATES CPU_RATES
# CPU seconds (user + system, all threads) the run's worker has used: a fresh
# worker per run, idle once the run is over, so this is what the run cost it
worker_cpu_seconds() {
	local pid
	pid=$(cluster_psql -qAt -c "SELECT pid FROM sw.sources WHERE name = '$1'")
	# fields after the command name, which ends at the last ')': utime is the 12th
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.3f", ($12 + $13) / hz }' "/proc/$pid/stat"
}
# a first read warms the broker up (it faults its message sets in)
cluster_psql -q -c "CALL bench_window('warmup', '$BS', '$COLUMNS_SQL', $N, NULL)" \
	-c "SELECT sw.drop_source('warmup')" >/dev/null
for r in $(seq "$RUNS"); do
	for k in $KINDS; do
		run="b_${k}_$r"
		if [ -n "${WINDOW[$k]}" ]; then
			win=$(cluster_psql -qAt -c "SELECT quote_literal(\$q\$${WINDOW[$k]}\$q\$)")
		else
			win=NULL
		fi
		cluster_psql -q -c "CALL bench_window('$run', '$BS', '$COLUMNS_SQL', $N, $win)"
		read -r secs n < <(cluster_psql -qAt -F' ' -c "SELECT seconds, n FROM bench_result WHERE run = '$run'")
		[ "$n" = "$N" ] || { echo "$run: only $n of $N applied"; exit 1; }
		if [ "$k" != ingest ]; then
			check=$(cluster_psql -qAt -c "SELECT sum(hits) FROM ${run}_w")
			expect=$N
			[ "$k" = sliding ] && expect=$((N * 12))
			[ "$check" = "$expect" ] || echo "   note: $run counted $check events in its window (expected $expect)"
			late=$(cluster_psql -qAt -c "SELECT late_dropped FROM sw.windows WHERE name = '${run}_w'")
			[ "$BACKLOG" = 1 ] && [ "$late" != 0 ] && echo "   BACKLOG CHECK FAILED: $run dropped $late events as late"
		fi
		RATES[$k]+=" $(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
		CPU_RATES[$k]+=" $(awk -v n="$N" -v s="$(worker_cpu_seconds "$run")" 'BEGIN { printf "%.0f", n / s }')"
		cluster_psql -q -c "SELECT sw.drop_source('$run', cascade => true)" >/dev/null
	done
	echo "   run $r:$(for k in $KINDS; do printf ' %s %s/s' "$k" "${RATES[$k]##* }"; done)"
done

echo
printf '%-10s %14s %8s   %s\n' window "median ev/s" ratio "runs (ev/s)"
# ratios need the ingest-only runs; without them (KINDS without ingest), rates only
base=$([ -n "${RATES[ingest]:-}" ] && median ${RATES[ingest]} || echo 0)
for k in $KINDS; do
	m=$(median ${RATES[$k]})
	if [ "$base" = 0 ]; then
		printf '%-10s %14.0f %8s   %s\n' "$k" "$m" "-" "${RATES[$k]# }"
		continue
	fi
	goal=""
	case $k in
		tumbling) goal="goal >= 0.90" ;;
		udf_*|tumbling_avg) goal="" ;;
		sliding|session|count) goal="goal >= 0.50" ;;
	esac
	ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
	met=""
	[ -n "$goal" ] && met=$(awk -v r="$ratio" -v g="${goal##* }" 'BEGIN { print (r >= g) ? "met" : "NOT met" }')
	printf '%-10s %14.0f %8s   %s  %s %s\n' "$k" "$m" "$ratio" "${RATES[$k]# }" "$goal" "$met"
done

# The same per CPU second of the worker: what the work costs, without the
# time other processes took from it on a shared machine
echo
printf '%-10s %14s %8s   %s\n' window "median ev/cpu-s" ratio "runs (events per worker CPU second)"
cbase=$([ -n "${CPU_RATES[ingest]:-}" ] && median ${CPU_RATES[ingest]} || echo 0)
for k in $KINDS; do
	m=$(median ${CPU_RATES[$k]})
	ratio=$([ "$cbase" = 0 ] && echo - || awk -v a="$m" -v b="$cbase" 'BEGIN { printf "%.2f", a / b }')
	printf '%-10s %14.0f %8s   %s  cpu\n' "$k" "$m" "$ratio" "${CPU_RATES[$k]# }"
done

# ---- latency: produce -> visible in a tumbling window ---------------------
echo
echo "== latency: $LATENCY_SECONDS s at $LATENCY_RATE events/s into a tumbling window"
cluster_psql -q <<SQL
SELECT sw.create_source('live', '$BS', 'live', 'json', '$COLUMNS_SQL', start_from => 'latest');
SELECT sw.create_window('live_w', 'live', 'tumbling', 'count(*) AS hits, max(kafka_timestamp) AS last_ts',
	size => '1 minute');
CREATE TABLE lag_samples (lag float8);
CREATE PROCEDURE sample_lag(seconds float8) LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); l float8;
BEGIN
	WHILE clock_timestamp() - t0 < seconds * interval '1 second' LOOP
		SELECT extract(epoch FROM clock_timestamp() - max(last_ts)) * 1000 INTO l FROM live_w;
		IF l IS NOT NULL THEN INSERT INTO lag_samples VALUES (l); END IF;
		COMMIT;
		PERFORM pg_sleep(0.01);
	END LOOP;
END \$\$;
SQL
for _ in $(seq 100); do
	[ "$(cluster_psql -qAt -c "SELECT count(*) FROM sw.source_partitions WHERE source_name = 'live'")" = 4 ] && break
	sleep 0.1
done
test/sw_produce -b "$BS" -t live --generate web --count $((LATENCY_RATE * (LATENCY_SECONDS + 2))) \
	--rate "$LATENCY_RATE" --partitions 4 --malformed-pct 0 >/dev/null 2>&1 &
PRODUCER_PID=$!
sleep 2
cluster_psql -q -c "CALL sample_lag($LATENCY_SECONDS)"
cluster_psql -qAt -F' ' -c "SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
	round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1) FROM lag_samples" |
	while read -r n p50 p99; do
		echo "   $n samples: p50 $p50 ms, p99 $p99 ms (goal p99 <= 50 ms: $(awk -v n="$n" -v p="$p99" 'BEGIN { print (n == 0) ? "not measured" : (p <= 50) ? "met" : "NOT met" }'))"
		echo "   (a sample is the age of the newest event visible in the window, so it includes"
		echo "    the producer's linger.ms of 5 ms and up to 10 ms of sampling)"
	done
wait "$PRODUCER_PID" 2>/dev/null || true
PRODUCER_PID=
