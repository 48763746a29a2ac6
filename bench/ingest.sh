#!/usr/bin/env bash
# bench/ingest.sh — Kafka ingest (a source worker) against its ceilings, one run.
#
# Workload: N JSON web events of ~228 bytes from `test/sw_produce --generate
# web` (url, referrer, user_agent, headers, host, ip, event_time, ms),
# preloaded onto a topic of the embedded broker with enough partitions that
# its size-based retention (~20,000 such events per partition) drops none.
# Each of RUNS rounds measures, in this order, over the same events:
#   (a)  librdkafka consume-only: bench/consume_only.c (same consumer settings
#        as the worker, payload touched, nothing else); and, for reference,
#        `kcat -C -e -o beginning -q | wc -l`
#   (d)  the naive pipeline a user would write instead: kcat piped into
#        `COPY ... FROM STDIN` of an UNLOGGED table with one jsonb column
#   (b)  the COPY ceiling: the same events as CSV, `COPY ... FROM STDIN
#        (FORMAT csv)` into an UNLOGGED table of the 6 typed columns;
#        (b10) the same with the staging table's 4 kafka_* columns in front
#   (c)  the extension: sw.create_source(...) with start_from earliest, timed
#        until sum(next_offset) in sw.source_partitions reaches N (polled every
#        50 ms from a procedure); default options, as a user gets it;
#        (c-qmm) the same with options {"queued.min.messages": "1000000"}
# Staging columns: url text, referrer text, ip inet, ms int, host text,
# event_time timestamptz; user_agent and headers are left out (unknown JSON
# fields are ignored).  After every (c) run the staging table must hold N
# rows, N distinct (kafka_partition, kafka_offset), and no dead letters; the
# first run's staging table is compared row for row with the (b10) table.
# Rates are events/s, "total" from create_source (or process start) to the
# N-th event, "steady" from 10% to 90% of N.  Medians of RUNS are printed
# with the ratios (c)/(a), (c)/(b) and the goals: (c) >= 1,000,000 events/s
# on one worker, and (c) >= 1.0 x (b).
#
# PROFILE=1 (default) then profiles one more (c) run of each kind with
# perf for PERF_SECONDS (PERF_KEEP=DIR keeps the perf.data files).
# MEMORY=1 adds a long paced ingest: MEM_N events (default 10 million)
# produced live at MEM_RATE events/s (default 80% of the steady (c)
# median) over MEM_PARTS partitions, source retention MEM_RETENTION
# (default 30 seconds), the worker's RSS sampled every second; no event may
# end in sw.dead_letters.  MEM_WINDOWS=1 puts one window of each kind on
# that source (tumbling, sliding, session and count windows).  MEMORY=only runs just that (MEM_RATE default
# 100000).  The script exits 1 if any check failed.
#
#   N=1000000 RUNS=3 MEMORY=1 bench/ingest.sh
#   MEMORY=only MEM_N=10000000 MEM_RATE=50000 MEM_RETENTION='5 seconds' bench/ingest.sh
#   MEMORY=only MEM_WINDOWS=1 MEM_N=10000000 MEM_RATE=60000 PROFILE=0 bench/ingest.sh
# EXTRA_CONF adds lines to postgresql.conf, for example to see slow plans:
#   EXTRA_CONF="shared_preload_libraries = 'stream_windows,auto_explain'
#   auto_explain.log_min_duration = 100" MEMORY=only MEM_WINDOWS=1 bench/ingest.sh
#
# Runs as root (like bench/adhoc.sh; the cluster runs as "postgres").
# Prerequisite: the extension is installed (make && make install).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh
. bench/lib.sh

N=${N:-1000000}
RUNS=${RUNS:-3}
PARTS=${PARTS:-$(( (N + 15624) / 15625 ))}	# 15,625 events a partition
PROFILE=${PROFILE:-1}
PERF_SECONDS=${PERF_SECONDS:-5}
MEMORY=${MEMORY:-0}
MEM_N=${MEM_N:-10000000}
MEM_PARTS=${MEM_PARTS:-16}
MEM_RETENTION=${MEM_RETENTION:-30 seconds}
MEM_TIMEOUT=${MEM_TIMEOUT:-900}
MEM_WINDOWS=${MEM_WINDOWS:-0}
PROFILE_STEPS='process_batch|formats_parse|staging_add_row|staging_flush|staging_end|heap_multi_insert|table_multi_insert|catalog_advance_offset|catalog_dead_letter|SPI_execute_with_args|SPI_execute|CommitTransactionCommand|StartTransactionCommand|kafka_consume|rd_kafka_consume_batch_queue|rd_kafka_message_destroy|message_precheck|pg_verifymbstr|InputFunctionCall|json_lex|pg_parse_json|inet_in|timestamptz_in|int4in|cstring_to_text_with_len|heap_form_tuple|apply_retention|worker_wait|kafka_poll_events|publish_status'
QMM_OPTIONS='{"queued.min.messages": "1000000"}'
COLUMNS_SQL='url text, referrer text, ip inet, ms int, host text, event_time timestamptz'
KAFKA_COLUMNS_SQL='kafka_partition int, kafka_offset bigint, kafka_timestamp timestamptz, kafka_key text'
FAILED=0

need() {	# need COMMAND [DEBIAN-PACKAGE]
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "== installing ${2:-$1}"
	apt-get install -y -qq "${2:-$1}" >/dev/null
}
need kcat
need jq
need cc gcc
[ "$PROFILE" = 0 ] || need perf linux-perf
[ -x test/sw_broker ] && [ -x test/sw_produce ] || make -s tools

WORK=$(mktemp -d /tmp/sw-ingest.XXXXXX)
chmod 755 "$WORK"
cc -O2 -Wall -Wextra -o "$WORK/consume_only" bench/consume_only.c -lrdkafka

BROKER_PID= PROD_PID=
cleanup() {
	[ -z "$PROD_PID" ] || kill "$PROD_PID" 2>/dev/null || true
	[ -z "$BROKER_PID" ] || { kill "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null || true; }
	cluster_stop
	rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
fail() { echo "FAILED: $*"; FAILED=1; }

fmt_rates() { printf ' %.0f' "$@"; }

# ---- broker, topics, cluster ---------------------------------------------
topics=(--topic "ingest:$PARTS")
[ "$MEMORY" = 0 ] || topics+=(--topic "mem:$MEM_PARTS")
env GLIBC_TUNABLES=$GLIBC_BROKER test/sw_broker "${topics[@]}" \
	--bootstrap-file "$WORK/bootstrap" >"$WORK/broker.out" 2>"$WORK/broker.err" &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
BS=$(cat "$WORK/bootstrap" 2>/dev/null) || { cat "$WORK/broker.err"; exit 1; }

# The cluster runs the library it loaded at start (shared_preload_libraries);
# note which one, and keep a copy to name its symbols in perf's reports even
# if the file is reinstalled meanwhile.
LIB="$("$PG_BIN/pg_config" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/$PG_MAJOR/lib)/stream_windows.so"
LIB_MD5=$(md5sum <"$LIB" | cut -c1-12)
cp "$LIB" "$WORK/stream_windows.so"
cluster_start "shared_buffers = '1GB'" "max_wal_size = '4GB'" "jit = off" "${EXTRA_CONF:-}"
trap cleanup EXIT
export PGOPTIONS='-c client_min_messages=warning'
cluster_psql -q <<'SQL'
CREATE EXTENSION stream_windows;
CREATE TABLE bench_result (run text, n bigint, total_s float8, first_s float8,
	p10_s float8, n10 bigint, p90_s float8, n90 bigint, pid int);
-- create the source, then poll sum(next_offset) every 50 ms until n_target;
-- one session, so polling costs the machine next to nothing
CREATE PROCEDURE bench_ingest(run text, source text, brokers text, topic text,
	cols text, n_target bigint, opts jsonb)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz; t timestamptz; n bigint := 0; wpid int;
	t_first timestamptz; t10 timestamptz; n10 bigint; t90 timestamptz; n90 bigint;
BEGIN
	t0 := clock_timestamp();
	PERFORM sw.create_source(source, brokers, topic, 'json', cols, 'earliest', opts);
	COMMIT;
	LOOP
		SELECT coalesce(sum(next_offset), 0) INTO n
		FROM sw.source_partitions WHERE source_name = source;
		t := clock_timestamp();
		IF wpid IS NULL THEN SELECT pid INTO wpid FROM sw.sources WHERE name = source; END IF;
		IF t_first IS NULL AND n > 0 THEN t_first := t; END IF;
		IF t10 IS NULL AND n >= n_target / 10 THEN t10 := t; n10 := n; END IF;
		IF t90 IS NULL AND n >= n_target - n_target / 10 THEN t90 := t; n90 := n; END IF;
		EXIT WHEN n >= n_target OR t - t0 > interval '600 seconds';
		COMMIT;
		PERFORM pg_sleep(0.05);
	END LOOP;
	INSERT INTO bench_result VALUES (run, n, extract(epoch FROM t - t0),
		extract(epoch FROM t_first - t0), extract(epoch FROM t10 - t0), n10,
		extract(epoch FROM t90 - t0), n90, wpid);
END $$;
SQL

# cpu_ticks PID: user+system clock ticks of a process (all its threads)
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$PG_BIN/postgres" --version),"\
	"librdkafka $(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || echo '?')"
echo "   load average $(cut -d" " -f1-3 /proc/loadavg); stream_windows.so md5 $LIB_MD5, tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(
	git diff --quiet HEAD -- src sql 2>/dev/null || echo ' + uncommitted changes in src/ or sql/')"

# ---- throughput: (a), (b), (c) --------------------------------------------
run_throughput() {
	local out lows i
	echo "== preloading $N web events onto topic ingest ($PARTS partitions)"
	test/sw_produce -b "$BS" -t ingest --generate web --count "$N" --partitions "$PARTS" \
		--seed 1 --malformed-pct 0 --print-offsets >"$WORK/preload.out" 2>"$WORK/preload.err" ||
		{ cat "$WORK/preload.err"; exit 1; }
	if grep -q warning "$WORK/preload.err"; then
		grep warning "$WORK/preload.err" | head -3
		echo "the broker dropped preloaded events: raise PARTS"; exit 1
	fi
	[ "$(awk '/high_watermark/ { s += $4 } END { print s }' "$WORK/preload.out")" = "$N" ] ||
		{ echo "preload: high watermarks do not add up to $N"; exit 1; }

	echo "== the same events as CSV (kcat -J | jq), before timing"
	kcat -C -b "$BS" -t ingest -e -o beginning -q -J |
		jq -r '(.payload | fromjson) as $e
			| [.partition, .offset,
			   ((.ts / 1000 | floor | strftime("%Y-%m-%dT%H:%M:%S")) + "."
				+ ((.ts % 1000 + 1000) | tostring | .[1:]) + "Z"),
			   .key, $e.url, $e.referrer, $e.ip, $e.ms, $e.host, $e.event_time] | @csv' \
		>"$WORK/events10.csv"
	# no value of this generator holds a comma, so the last 6 fields are the events
	awk -F, 'NF != 10 { bad++ } END { exit bad > 0 }' "$WORK/events10.csv" ||
		{ echo "unexpected CSV shape"; exit 1; }
	cut -d, -f5- "$WORK/events10.csv" >"$WORK/events6.csv"
	[ "$(wc -l <"$WORK/events6.csv")" = "$N" ] || { echo "CSV has not $N lines"; exit 1; }
	echo "   $(head -1 "$WORK/events6.csv")"
	echo "   mean payload $("$WORK/consume_only" -b "$BS" -t ingest -n "$N" |
		awk -v n="$N" '{ printf "%.0f bytes", $4 / n }') (this read also warms the broker up)"

	A_TOTAL=() A_STEADY=() K_TOTAL=() D_TOTAL=() B6=() B10=() C_TOTAL=() C_STEADY=() C_CPU=()
	Q_TOTAL=() Q_STEADY=() Q_CPU=()
	for i in $(seq "$RUNS"); do
		echo "== run $i of $RUNS"
		# (a) consume-only
		out=$("$WORK/consume_only" -b "$BS" -t ingest -n "$N")
		A_TOTAL+=("$(awk '{ print $2 / $6 }' <<<"$out")")
		A_STEADY+=("$(awk -v n="$N" '{ print (n - 2 * int(n / 10)) / ($12 - $10) }' <<<"$out")")
		# (a, kcat) what a user would time by hand
		local t0 t1 lines
		t0=$(now)
		lines=$(kcat -C -b "$BS" -t ingest -e -o beginning -q | wc -l)
		t1=$(now)
		[ "$lines" = "$N" ] || fail "kcat read $lines lines"
		K_TOTAL+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')")
		# (d) the naive pipeline: kcat piped into COPY of a jsonb column
		cluster_psql -q -c "DROP TABLE IF EXISTS naive" -c "CREATE UNLOGGED TABLE naive (payload jsonb)"
		t0=$(now)
		kcat -C -b "$BS" -t ingest -e -o beginning -q |
			cluster_psql -q -c "COPY naive FROM STDIN (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
		t1=$(now)
		[ "$(cluster_psql -qAt -c "SELECT count(*) FROM naive")" = "$N" ] || fail "the naive pipeline lost rows"
		D_TOTAL+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')")
		# (b) COPY ceilings
		cluster_psql -q -c "DROP TABLE IF EXISTS copy6, copy10" \
			-c "CREATE UNLOGGED TABLE copy6 ($COLUMNS_SQL)" \
			-c "CREATE UNLOGGED TABLE copy10 ($KAFKA_COLUMNS_SQL, $COLUMNS_SQL)"
		t0=$(now)
		cluster_psql -q -c "COPY copy6 FROM STDIN (FORMAT csv)" <"$WORK/events6.csv"
		t1=$(now)
		B6+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')")
		t0=$(now)
		cluster_psql -q -c "COPY copy10 FROM STDIN (FORMAT csv)" <"$WORK/events10.csv"
		t1=$(now)
		B10+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')")
		# (c) the extension, as a user gets it; then with queued.min.messages raised
		run_source "c_$i" '{}' C_TOTAL C_STEADY C_CPU "$([ "$i" = 1 ] && echo compare)"
		run_source "q_$i" "$QMM_OPTIONS" Q_TOTAL Q_STEADY Q_CPU ""
		printf '   a %.0f/s  kcat %.0f/s  b %.0f/s  b10 %.0f/s  c %.0f/s (steady %.0f)  c-qmm %.0f/s (steady %.0f)\n' \
			"${A_TOTAL[-1]}" "${K_TOTAL[-1]}" "${B6[-1]}" "${B10[-1]}" \
			"${C_TOTAL[-1]}" "${C_STEADY[-1]}" "${Q_TOTAL[-1]}" "${Q_STEADY[-1]}"
	done
	cluster_psql -q -c "DROP TABLE copy6, copy10, naive"
	report_throughput
}

# run_source NAME OPTIONS TOTALVAR STEADYVAR CPUVAR [compare]
run_source() {
	local name=ingest_$1 opts=$2 row pid n total p10 n10 p90 n90 ticks check
	local -n tot=$3 std=$4 cpu=$5
	cluster_psql -q -c "CALL bench_ingest('$1', '$name', '$BS', 'ingest', '$COLUMNS_SQL', $N, '$opts')"
	row=$(cluster_psql -qAt -F' ' -c "SELECT n, total_s, p10_s, n10, p90_s, n90, pid FROM bench_result WHERE run = '$1'")
	read -r n total p10 n10 p90 n90 pid <<<"$row"
	ticks=$(cpu_ticks "$pid")
	[ "$n" = "$N" ] || fail "$name: sum(next_offset) = $n after $total s, not $N"
	tot+=("$(awk -v n="$n" -v t="$total" 'BEGIN { print n / t }')")
	std+=("$(awk -v a="$n10" -v b="$n90" -v s="$p10" -v e="$p90" 'BEGIN { print (e > s) ? (b - a) / (e - s) : 0 }')")
	cpu+=("$(awk -v k="$ticks" -v hz="$(getconf CLK_TCK)" -v t="$total" 'BEGIN { print k / hz / t }')")
	check=$(cluster_psql -qAt -F' ' -c "SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)),
			(SELECT count(*) FROM sw.dead_letters WHERE source_name = '$name'),
			(SELECT sum(next_offset) FROM sw.source_partitions WHERE source_name = '$name')
		FROM $name")
	[ "$check" = "$N $N 0 $N" ] ||
		fail "$name: rows, distinct (partition, offset), dead letters, sum(next_offset) = $check; expected $N $N 0 $N"
	if [ "${6:-}" = compare ]; then
		check=$(cluster_psql -qAt -F' ' -c "SELECT
			(SELECT count(*) FROM (SELECT kafka_partition, kafka_offset, kafka_timestamp, kafka_key, url, referrer, ip, ms, host, event_time FROM $name
								   EXCEPT ALL SELECT * FROM copy10) x),
			(SELECT count(*) FROM (SELECT * FROM copy10 EXCEPT ALL
								   SELECT kafka_partition, kafka_offset, kafka_timestamp, kafka_key, url, referrer, ip, ms, host, event_time FROM $name) y)")
		[ "$check" = "0 0" ] && echo "   staging = COPY table, row for row (all 10 columns)" ||
			fail "$name: staging and COPY tables differ (rows only in staging, only in COPY: $check)"
	fi
	cluster_psql -q -c "SELECT sw.drop_source('$name')" >/dev/null
}

report_throughput() {
	local a as k d b b10 c cs ccpu q qs qcpu
	a=$(median "${A_TOTAL[@]}"); as=$(median "${A_STEADY[@]}"); k=$(median "${K_TOTAL[@]}")
	d=$(median "${D_TOTAL[@]}")
	b=$(median "${B6[@]}"); b10=$(median "${B10[@]}")
	c=$(median "${C_TOTAL[@]}"); cs=$(median "${C_STEADY[@]}"); ccpu=$(median "${C_CPU[@]}")
	q=$(median "${Q_TOTAL[@]}"); qs=$(median "${Q_STEADY[@]}"); qcpu=$(median "${Q_CPU[@]}")
	echo
	echo "== medians of $RUNS runs, $N events, events/s (runs in order)"
	printf '%-52s %10.0f  steady %10.0f   runs:%s\n' "(a) librdkafka consume-only (bench/consume_only.c)" "$a" "$as" "$(fmt_rates "${A_TOTAL[@]}")"
	printf '%-52s %10.0f                     runs:%s\n' "(a) kcat -C -e | wc -l" "$k" "$(fmt_rates "${K_TOTAL[@]}")"
	printf '%-52s %10.0f                     runs:%s\n' "(d) kcat | psql COPY into jsonb (naive)" "$d" "$(fmt_rates "${D_TOTAL[@]}")"
	printf '%-52s %10.0f                     runs:%s\n' "(b) COPY csv, 6 columns" "$b" "$(fmt_rates "${B6[@]}")"
	printf '%-52s %10.0f                     runs:%s\n' "(b10) COPY csv, 4 kafka_* + 6 columns" "$b10" "$(fmt_rates "${B10[@]}")"
	printf '%-52s %10.0f  steady %10.0f   runs:%s\n' "(c) sw.create_source, default options" "$c" "$cs" "$(fmt_rates "${C_TOTAL[@]}")"
	printf '%-52s %10.0f  steady %10.0f   runs:%s\n' "(c-qmm) same, queued.min.messages=1000000" "$q" "$qs" "$(fmt_rates "${Q_TOTAL[@]}")"
	printf 'worker CPU busy (process CPU s / wall s): (c) %.2f, (c-qmm) %.2f\n' "$ccpu" "$qcpu"
	awk -v a="$a" -v b="$b" -v b10="$b10" -v c="$c" -v cs="$cs" -v q="$q" -v qs="$qs" -v d="$d" 'BEGIN {
		printf "(c)/(a)   %.2fx   (c-qmm)/(a)   %.2fx\n", c / a, q / a;
		printf "(c)/(b)   %.2fx   (c-qmm)/(b)   %.2fx   (c)/(b10) %.2fx  (c-qmm)/(b10) %.2fx\n", c / b, q / b, c / b10, q / b10;
		printf "goal (c) >= 1,000,000 events/s on one worker: %.0f  %s  (steady %.0f; c-qmm %.0f, steady %.0f)\n",
			c, (c >= 1e6) ? "met" : "NOT met", cs, q, qs;
		printf "goal (c) >= 1.0 x (b):                        %.2fx %s  (c-qmm %.2fx)\n",
			c / b, (c >= b) ? "met" : "NOT met", q / b;
		printf "goal (c) >= 5 x (d), the naive pipeline:      %.2fx %s  (c-qmm %.2fx)\n",
			c / d, (c >= 5 * d) ? "met" : "NOT met", q / d }'
	C_STEADY_MEDIAN=$cs
}

# ---- profile: perf on the worker during one more (c) run -------------------
# perf_rep DATA ARGS...: perf report --stdio on DATA.  Other sessions may
# reinstall the library while we run: the cluster then maps a deleted file
# ("stream_windows.so (deleted)"), which perf can neither name symbols in nor
# unwind through.  perf then runs in a private mount namespace where the
# library directory shows the copy taken at cluster start under that name
# (a read-only overlay, seen by perf alone).
perf_rep() {
	local data=$1 libdir
	shift
	libdir=$(dirname "$LIB")
	if perf report -i "$data" --stdio --sort dso -g none 2>/dev/null | grep -q 'stream_windows.so (deleted)'; then
		mkdir -p "$WORK/libview"
		cp "$WORK/stream_windows.so" "$WORK/libview/stream_windows.so (deleted)"
		unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=$1:$2" "$2" && shift 2 && exec perf report "$@"' \
			sh "$WORK/libview" "$libdir" -i "$data" --stdio "$@" 2>/dev/null ||
			perf report -i "$data" --stdio "$@" 2>/dev/null
	else
		perf report -i "$data" --stdio "$@" 2>/dev/null
	fi | sed 's/\.so (deleted)/.so          /'
}

run_profile() {
	local label=$1 opts=$2 name=ingest_p_$1 pid=
	echo
	echo "== perf profile of the worker, run $label (options $opts), ${PERF_SECONDS}s"
	cluster_psql -q -c "CALL bench_ingest('p_$label', '$name', '$BS', 'ingest', '$COLUMNS_SQL', $N, '$opts')" &
	local call=$!
	for _ in $(seq 200); do
		pid=$(cluster_psql -qAt -c "SELECT pid FROM sw.sources WHERE name = '$name'")
		[ -n "$pid" ] && break
		sleep 0.05
	done
	# DWARF call graphs: PostgreSQL and librdkafka are built without frame pointers
	perf record -q -F 999 --call-graph dwarf,16384 -p "$pid" -o "$WORK/perf.$label.data" \
		-- sleep "$PERF_SECONDS" 2>/dev/null
	wait "$call"
	cluster_psql -q -c "SELECT sw.drop_source('$name')" >/dev/null
	[ -z "${PERF_KEEP:-}" ] || { mkdir -p "$PERF_KEEP" && cp "$WORK/perf.$label.data" "$PERF_KEEP/"; }
	echo "by thread (samples at 999 Hz; ${PERF_SECONDS}s = $((999 * PERF_SECONDS)) samples of one busy thread):"
	perf_rep "$WORK/perf.$label.data" --no-children --sort comm -F overhead,sample,comm -g none |
		grep -E '^ +[0-9]' | head -6
	echo "top symbols (self):"
	perf_rep "$WORK/perf.$label.data" --no-children --sort dso,sym -g none --percent-limit 1.2 |
		grep -E '^ +[0-9]' | head -25
	echo "inclusive (self + callees) of the worker's main steps:"
	perf_rep "$WORK/perf.$label.data" --children --sort dso,sym -g none |
		grep -E '^ +[0-9]' | grep -wE "$PROFILE_STEPS" | head -25
	echo "by library (self):"
	perf_rep "$WORK/perf.$label.data" --no-children --sort dso -g none | grep -E '^ +[0-9]' | head -8
}

# ---- memory: a long paced ingest, RSS sampled every second ------------------
run_memory() {
	local rate=${MEM_RATE:-} name=ingest_mem pid t0 prod samples="$WORK/rss.tsv" lost
	if [ -z "$rate" ]; then
		if [ -n "${C_STEADY_MEDIAN:-}" ]; then
			rate=$(awk -v s="$C_STEADY_MEDIAN" 'BEGIN { printf "%d", s * 0.8 }')
		else
			rate=100000
		fi
	fi
	echo
	echo "== memory: $MEM_N events produced live at $rate events/s over $MEM_PARTS partitions,"
	echo "   source retention '$MEM_RETENTION' (retention deletes run in the worker)"
	cluster_psql -q -c "SELECT sw.create_source('$name', '$BS', 'mem', 'json', '$COLUMNS_SQL',
		'earliest', '{}', '$MEM_RETENTION')" >/dev/null
	for _ in $(seq 200); do
		pid=$(cluster_psql -qAt -c "SELECT pid FROM sw.sources WHERE name = '$name' AND state = 'running'")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || { fail "memory: the source did not start"; return; }
	if [ "$MEM_WINDOWS" = 1 ]; then
		echo "   with one window of each kind on the source"
		cluster_psql -q >/dev/null <<SQL
SELECT sw.create_window('mem_tumbling', '$name', 'tumbling', 'count(*) AS hits, sum(ms) AS ms',
	group_by => 'host', event_time => 'event_time', size => '1 minute');
SELECT sw.create_window('mem_sliding', '$name', 'sliding', 'count(*) AS hits, avg(ms) AS ms',
	group_by => 'host', event_time => 'event_time', size => '1 hour', slide => '5 minutes');
SELECT sw.create_window('mem_session', '$name', 'session', 'count(*) AS hits, max(ms) AS ms',
	group_by => 'ip', event_time => 'event_time', gap => '10 seconds');
SELECT sw.create_window('mem_count', '$name', 'count', 'count(*) AS hits, sum(ms) AS ms',
	group_by => 'ip', event_time => 'event_time', count => 3, timeout => '10 seconds');
SQL
		for _ in $(seq 200); do
			pid=$(cluster_psql -qAt -c "SELECT pid FROM sw.sources WHERE name = '$name' AND state = 'running'")
			[ -n "$pid" ] && break
			sleep 0.1
		done
	fi
	t0=$(now)
	test/sw_produce -b "$BS" -t mem --generate web --count "$MEM_N" --partitions "$MEM_PARTS" \
		--seed 2 --malformed-pct 0 --rate "$rate" >"$WORK/mem.produce.out" 2>"$WORK/mem.produce.err" &
	prod=$!
	PROD_PID=$prod
	printf 't_s\tapplied\tlag\tVmRSS_kB\tRssAnon_kB\tRssShmem_kB\tstaging_MB\tstaged_rows\n' >"$samples"
	local applied=0 lag t rss anon shm mb staged nsample=0
	while :; do
		# staged rows: [staged_from, next_offset) per partition, what retention keeps
		read -r applied lag mb staged < <(cluster_psql -qAt -F' ' -c "SELECT coalesce(sum(next_offset), 0),
			coalesce(sum(lag), 0), pg_relation_size('$name') / 1048576,
			(SELECT coalesce(sum(o.next_offset - o.staged_from), 0)
			 FROM sw.source_offset o JOIN sw.source s ON s.id = o.source_id WHERE s.name = '$name')
			FROM sw.source_partitions WHERE source_name = '$name'")
		read -r rss anon shm < <(awk '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } /^RssShmem/ { s = $2 }
			END { print r + 0, a + 0, s + 0 }' "/proc/$pid/status" 2>/dev/null || echo "0 0 0")
		t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$applied" "$lag" "$rss" "$anon" "$shm" "$mb" "$staged" \
			>>"$samples"
		[ $(( nsample++ % 15 )) = 0 ] &&
			printf '   %5.0fs  applied %8d  lag %6d  VmRSS %7d kB  RssAnon %6d kB  staged rows %8d  table %5d MB\n' \
				"$t" "$applied" "$lag" "$rss" "$anon" "$staged" "$mb"
		[ "$applied" -ge "$MEM_N" ] && break
		awk -v t="$t" -v m="$MEM_TIMEOUT" 'BEGIN { exit !(t > m) }' && { fail "memory: timeout"; break; }
		[ "$(cluster_psql -qAt -c "SELECT pid FROM sw.sources WHERE name = '$name'")" = "$pid" ] ||
			{ fail "memory: the worker changed (was $pid)"; break; }
		sleep 1
	done
	wait "$prod" || fail "memory: the producer failed: $(tail -2 "$WORK/mem.produce.err")"
	PROD_PID=
	echo "   producer: $(tail -1 "$WORK/mem.produce.err")"
	lost=$(cluster_psql -qAt -c "SELECT coalesce(sum(coalesce(kafka_offset_end, kafka_offset) - kafka_offset + 1), 0)
		FROM sw.dead_letters WHERE source_name = '$name'")
	[ "$lost" = 0 ] || fail "memory: $lost offsets in sw.dead_letters (the worker fell behind the broker's retention?)"
	local check
	check=$(cluster_psql -qAt -F' ' -c "SELECT
		(SELECT count(*) = count(DISTINCT (kafka_partition, kafka_offset)) FROM $name),
		(SELECT bool_and(g.cnt = g.hi - g.lo + 1 AND g.hi + 1 = o.next_offset)
		 FROM (SELECT kafka_partition p, count(*) cnt, min(kafka_offset) lo, max(kafka_offset) hi
			   FROM $name GROUP BY 1) g
		 JOIN sw.source_partitions o ON o.source_name = '$name' AND o.kafka_partition = g.p)")
	case "$check" in
	"t t") echo "   staging: no duplicates, each partition a contiguous run ending at next_offset" ;;
	"t f") [ "$lost" != 0 ] && echo "   staging: no duplicates (gaps where offsets were lost)" ||
		fail "memory: staging has gaps" ;;
	*) fail "memory: staging holds duplicates ($check)" ;;
	esac
	# (lag before the first event: a new source may show the previous one's
	# high watermarks for a moment, so it is left out of the max)
	awk -F'\t' -v n="$MEM_N" -v rate="$rate" 'NR > 1 { t[NR] = $1; a[NR] = $2; r[NR] = $4; an[NR] = $5; sh[NR] = $6; mb[NR] = $7; st[NR] = $8; last = NR
			if ($4 > maxr) maxr = $4; if ($5 > maxa) maxa = $5; if ($2 > 0 && $3 > maxlag) maxlag = $3; if ($7 > maxmb) maxmb = $7; if ($8 > maxst) maxst = $8 }
		END {
			split("10 50 100", pct, " ");
			printf "   %-6s %8s %10s %10s %12s %12s %9s\n", "run", "t (s)", "VmRSS kB", "RssAnon kB", "RssShmem kB", "staged rows", "table MB";
			for (i = 1; i <= 3; i++) {
				for (j = 2; j <= last; j++) if (a[j] >= n * pct[i] / 100) break;
				if (j > last) j = last;
				printf "   %5s%% %8.0f %10d %10d %12d %12d %9d\n", pct[i], t[j], r[j], an[j], sh[j], st[j], mb[j] }
			printf "   max    %8s %10d %10d %12s %12d %9d   (max lag %d events; %d samples)\n", "", maxr, maxa, "", maxst, maxmb, maxlag, last - 1;
			printf "   rate   %.0f events/s over %.0f s (produced at %d/s)\n", a[last] / t[last], t[last], rate }' "$samples"
	# what autovacuum knows of the staging table (the worker's own counts)
	local stats
	stats=$(cluster_psql -qAt -F' ' -c "SELECT n_tup_ins, n_tup_del, n_dead_tup, autovacuum_count
		FROM pg_stat_user_tables WHERE relid = '$name'::regclass")
	echo "   pg_stat_user_tables for staging: n_tup_ins, n_tup_del, n_dead_tup, autovacuum_count = $stats"
	[ "${stats%% *}" != 0 ] || echo "   note: the worker's inserts and deletes never reached the statistics, so autovacuum" \
		"never vacuums staging and the space retention frees is never reused (table MB keeps growing)"
	cluster_psql -q -c "SELECT sw.drop_source('$name', cascade => true)" >/dev/null
}

if [ "$MEMORY" != only ]; then
	run_throughput
	if [ "$PROFILE" != 0 ] && command -v perf >/dev/null; then
		run_profile default '{}'
		run_profile qmm "$QMM_OPTIONS"
	fi
fi
[ "$MEMORY" = 0 ] || run_memory
[ "$(md5sum <"$LIB" | cut -c1-12)" = "$LIB_MD5" ] ||
	echo "== note: $LIB was reinstalled during the run; the cluster ran the one it loaded at start ($LIB_MD5)"
[ "$FAILED" = 0 ] || { echo "== some checks FAILED (see above)"; exit 1; }
