# bench/lib.sh — what the benchmarks share: the embedded broker's malloc
# settings and median (bench/ingest.sh too), and for bench/windows.sh and
# bench/backfill.sh the broker with N web events preloaded on a topic
# "events" and a cluster with the benchmarks' settings.  Sourced after
# test/lib/cluster.sh.
#
#   bench_start NAME TOPIC:PARTITIONS...   sets WORK, BS and BROKER_PID;
#                                          starts the broker and the cluster
#   bench_preload_web N PARTS STEP_MS      N web events, STEP_MS apart
#   median VALUES...                       their median

# the broker keeps message sets in memory: no trimming, no mmap per set
GLIBC_BROKER=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=67108864:glibc.malloc.arena_max=1

bench_cleanup() {
	[ -n "${PRODUCER_PID:-}" ] && kill "$PRODUCER_PID" 2>/dev/null
	[ -z "${BROKER_PID:-}" ] || kill "$BROKER_PID" 2>/dev/null
	cluster_stop
	rm -rf "$WORK"
}

bench_start() {
	local name=$1 topics=() t
	shift
	for t in "$@"; do topics+=(--topic "$t"); done
	[ -x test/sw_broker ] && [ -x test/sw_produce ] || make -s tools
	WORK=$(mktemp -d "/tmp/sw-$name.XXXXXX")
	env GLIBC_TUNABLES=$GLIBC_BROKER test/sw_broker "${topics[@]}" \
		--bootstrap-file "$WORK/bootstrap" >/dev/null 2>"$WORK/broker.err" &
	BROKER_PID=$!
	trap bench_cleanup EXIT
	for _ in $(seq 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
	BS=$(cat "$WORK/bootstrap")
	cluster_start "shared_buffers = '1GB'" "max_wal_size = '4GB'" "jit = off" "sw.database = 'postgres'"
	trap bench_cleanup EXIT
	export PGOPTIONS='-c client_min_messages=warning'
	echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$PG_BIN/postgres" --version)"
}

bench_preload_web() {
	local n=$1 parts=$2 step_ms=$3
	echo "== preloading $n web events onto $parts partitions"
	test/sw_produce -b "$BS" -t events --generate web --count "$n" --partitions "$parts" --seed 1 \
		--malformed-pct 0 --out-of-order-pct 0 --start-ms 1795608000000 --step-ms "$step_ms" \
		>/dev/null 2>"$WORK/preload.err" || { cat "$WORK/preload.err"; exit 1; }
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
		END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
