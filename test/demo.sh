#!/usr/bin/env bash
# test/demo.sh — the main job: the demo pipeline, end to end, on this machine.
#
# Installs what is missing (as root, or with sudo), builds and installs the
# extension, starts a throwaway PostgreSQL cluster with stream_windows
# preloaded, generates web-request events shaped like the HTTP interceptor's
# (url, referrer, user_agent, headers, host, ip, event_time) and prints
# windows of every kind over them.
#
# At this stage the windows are the ad-hoc ones (sw.tumble, sw.hop,
# sw.session_start, sw.count_window) over a generated table; the live Kafka
# pipeline replaces the table as sources and continuous windows land.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-6000}

. test/lib/install.sh
install_build_deps
build_and_install
. test/lib/cluster.sh
cluster_start

echo "== throwaway cluster on $PGHOST port $PGPORT, generating $EVENTS web events"
cluster_psql -q -v events="$EVENTS" -f test/demo/web_events.sql

run() {
	echo
	echo "== $1"
	cluster_psql -c "$2"
}

run "tumbling: hits per host per minute (sw.tumble)" "
SELECT host, w.window_start, w.window_end, count(*) AS hits
FROM web_events e, sw.tumble(e.event_time, '1 minute') w
GROUP BY host, w.window_start, w.window_end
ORDER BY w.window_start, host
LIMIT 12"

run "sliding: peak use, 1 hour every 5 minutes (sw.hop)" "
SELECT h.window_start, h.window_end, count(*) AS hits, count(DISTINCT ip) AS visitors
FROM web_events e, sw.hop(e.event_time, '1 hour', '5 minutes') h
GROUP BY h.window_start, h.window_end
ORDER BY hits DESC, h.window_start
LIMIT 5"

run "session: visitor sessions per ip, gap 5 minutes (sw.session_start)" "
SELECT ip, session_start, max(event_time) + interval '5 minutes' AS session_end,
       count(*) AS hits, array_agg(DISTINCT url) AS pages
FROM (SELECT ip, url, event_time,
             sw.session_start(event_time, '5 minutes') OVER (PARTITION BY ip ORDER BY event_time)
      FROM web_events) s
GROUP BY ip, session_start
ORDER BY hits DESC, ip
LIMIT 8"

run "count: a 3-step funnel per ip (sw.count_window)" "
SELECT ip, window_seq, count(*) = 3 AS is_complete,
       string_agg(url, ' -> ' ORDER BY event_time) AS steps
FROM (SELECT ip, url, event_time,
             sw.count_window(3) OVER (PARTITION BY ip ORDER BY event_time) AS window_seq
      FROM web_events) c
GROUP BY ip, window_seq
ORDER BY ip, window_seq
LIMIT 8"

echo
echo "== done; the cluster is removed on exit"
