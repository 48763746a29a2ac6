#!/usr/bin/env bash
# test/demo.sh — the main job: the demo pipeline, end to end, on this machine.
#
#   embedded Kafka broker (test/sw_broker, librdkafka's mock cluster)
#     ← generator of web-request events shaped like the HTTP interceptor's
#       (test/sw_produce --generate web: url, referrer, user_agent, headers,
#        host, ip, event_time as ISO-8601; some out of order, a few malformed)
#   → throwaway PostgreSQL cluster with stream_windows preloaded
#   → sw.create_source: a background worker stages the topic into an
#     UNLOGGED table; bad messages land in sw.dead_letters
#   → sw.create_window: live tumbling (hits per host per minute), sliding
#     (peak use: 1 hour every 5 minutes), session (visits per ip, gap 5
#     minutes) and count (a 3-step funnel per ip, 2-minute timeout) windows,
#     with watermark delay and allowed lateness, so out-of-order events merge
#     into final rows (revision > 0) and too-late ones land in sw.late_events
#   → printed as it fills: the windows, sw.windows, sw.source_partitions
#     (lag), sw.dead_letters, and ad-hoc session and count windows over
#     the staging table.
#
# Installs what is missing (as root, or with sudo) and builds first.
# EVENTS (default 30000) and RATE (default 3000 events/s) size the run.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-30000}
RATE=${RATE:-3000}

. test/lib/install.sh
install_build_deps
build_and_install
. test/lib/cluster.sh

BROKER_DIR=$(mktemp -d /tmp/sw-broker.XXXXXX)
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=67108864:glibc.malloc.arena_max=1 \
	test/sw_broker --topic web:4 --bootstrap-file "$BROKER_DIR/bootstrap" \
	>/dev/null 2>"$BROKER_DIR/broker.log" &
BROKER_PID=$!
stop_all() {
	[ -n "${PRODUCER_PID:-}" ] && kill "$PRODUCER_PID" 2>/dev/null
	kill "$BROKER_PID" 2>/dev/null
	cluster_stop
	rm -rf "$BROKER_DIR"
}
for _ in $(seq 100); do [ -s "$BROKER_DIR/bootstrap" ] && break; sleep 0.1; done
BOOTSTRAP=$(cat "$BROKER_DIR/bootstrap")

cluster_start "sw.database = 'postgres'"
trap stop_all EXIT
echo "== broker at $BOOTSTRAP (topic web, 4 partitions); cluster on $PGHOST port $PGPORT"

cluster_psql -q <<SQL
CREATE EXTENSION stream_windows;
SELECT sw.create_source('web_events', '$BOOTSTRAP', 'web',
	columns => 'url text, referrer text, user_agent jsonb, headers jsonb,
	            host text, ip inet, event_time timestamptz, ms int');
SELECT sw.create_window('hits_per_minute', 'web_events', 'tumbling',
	aggregates => 'count(*) AS hits, round(avg(ms)) AS avg_ms, max(ms) AS max_ms',
	group_by => 'host', event_time => 'event_time', size => '1 minute',
	watermark_delay => '10 seconds', allowed_lateness => '1 minute');
SELECT sw.create_window('peak_use', 'web_events', 'sliding',
	aggregates => 'count(*) AS hits, sum(ms) AS total_ms',
	event_time => 'event_time', size => '1 hour', slide => '5 minutes',
	allowed_lateness => '1 minute');
SELECT sw.create_window('visits', 'web_events', 'session',
	aggregates => 'count(*) AS pages, sum(ms) AS total_ms',
	group_by => 'ip', event_time => 'event_time', gap => '5 minutes',
	allowed_lateness => '2 minutes');
SELECT sw.create_window('funnel', 'web_events', 'count',
	aggregates => 'count(*) AS steps, min(event_time) AS first_step',
	group_by => 'ip', event_time => 'event_time', count => 3, timeout => '2 minutes');
SQL

echo "== producing $EVENTS events at $RATE/s, 20 ms of event time apart from 12:00:00:"
echo "   5% of them up to 2 minutes out of order, 1% malformed"
test/sw_produce -b "$BOOTSTRAP" -t web --generate web --count "$EVENTS" --rate "$RATE" \
	--start-ms 1795608000000 --step-ms 20 \
	--partitions 4 --out-of-order-pct 5 --malformed-pct 1 >/dev/null 2>&1 &
PRODUCER_PID=$!

run() {
	echo
	echo "== $1"
	cluster_psql -c "$2"
}

show() {
	cluster_psql -c "SELECT name, state, messages, dead_letters, last_message_at FROM sw.sources" \
		-c "SELECT * FROM sw.source_partitions ORDER BY kafka_partition" \
		-c "SELECT name, kind, watermark, open_windows, final_windows, late_merged, late_dropped FROM sw.windows" \
		-c "SELECT host, window_start, hits, avg_ms, is_final, revision FROM hits_per_minute
		    ORDER BY window_start DESC, host LIMIT 6"
}

while kill -0 "$PRODUCER_PID" 2>/dev/null; do
	sleep 3
	echo "== $(date +%T) the staging table fills"
	show
done
wait "$PRODUCER_PID" || true
PRODUCER_PID=
for _ in $(seq 100); do
	[ "$(cluster_psql -qAt -c 'SELECT sum(lag) FROM sw.source_partitions')" = 0 ] && break
	sleep 0.2
done
echo "== all produced events applied"
show

run "tumbling, live: rows that took late events after they were final (revision > 0)" "
SELECT host, window_start, window_end, hits, avg_ms, is_final, revision
FROM hits_per_minute WHERE revision > 0 ORDER BY window_start, host LIMIT 8"

run "events too late for their window (beyond allowed lateness)" "
SELECT window_name, kafka_partition AS p, kafka_offset AS off, event_time, watermark
FROM sw.late_events ORDER BY recorded_at, kafka_offset LIMIT 5"

echo
echo "== end of the stream: sw.advance_watermark closes the last windows"
cluster_psql -qc "SELECT sw.advance_watermark(name, '2100-01-01') FROM sw.windows" >/dev/null
for _ in $(seq 50); do
	[ "$(cluster_psql -qAt -c 'SELECT bool_and(is_final) FROM hits_per_minute')" = t ] && break
	sleep 0.2
done
run "sliding, live: peak use, 1 hour every 5 minutes" "
SELECT window_start, window_end, hits, total_ms, is_final, revision
FROM peak_use ORDER BY hits DESC, window_start LIMIT 5"

run "the Lambda check: the live window equals a batch query over staging (late events aside)" "
SELECT (SELECT count(*) FROM hits_per_minute) AS live_rows,
       (SELECT count(*) FROM (
            SELECT host, window_start, hits FROM hits_per_minute
            EXCEPT
            SELECT e.host, w.window_start, count(*)
            FROM web_events e, sw.tumble(e.event_time, '1 minute') w
            WHERE NOT EXISTS (SELECT 1 FROM sw.late_events l
                              WHERE l.window_name = 'hits_per_minute'
                                AND l.kafka_partition = e.kafka_partition
                                AND l.kafka_offset = e.kafka_offset)
            GROUP BY 1, 2) d) AS differing_rows"

run "a few staged rows" "
SELECT kafka_partition AS p, kafka_offset AS off, host, url, ip, event_time, ms
FROM web_events ORDER BY event_time DESC LIMIT 5"

run "dead letters: malformed events, with the error and the raw bytes" "
SELECT kafka_partition AS p, kafka_offset AS off, error,
       left(convert_from(payload, 'UTF8'), 60) AS payload
FROM sw.dead_letters ORDER BY recorded_at, kafka_offset LIMIT 5"

run "session, live: visits per ip (gap 5 minutes), the longest" "
SELECT ip, window_start, window_end, pages, total_ms, is_final, revision
FROM visits ORDER BY pages DESC, ip LIMIT 5"

run "count, live: a 3-step funnel per ip; incomplete ones timed out after 2 minutes" "
SELECT ip, window_seq, window_start, window_end, steps, is_complete, is_final
FROM funnel ORDER BY ip, window_seq LIMIT 6"

run "the same funnel as an ad-hoc query (sw.count_window over staging)" "
SELECT ip, window_seq, count(*) AS steps
FROM (SELECT ip, sw.count_window(3) OVER (PARTITION BY ip ORDER BY kafka_partition, kafka_offset) AS window_seq
      FROM web_events) c
GROUP BY ip, window_seq ORDER BY ip, window_seq LIMIT 6"

echo
echo "== done; broker and cluster are removed on exit"
