# test/lib/cluster.sh — start and stop a throwaway PostgreSQL cluster with
# stream_windows preloaded.  Sourced by the demo and the benchmarks (the
# test suite uses pg_regress --temp-instance and PostgreSQL::Test::Cluster).
#
#   cluster_start [extra postgresql.conf lines...]   sets PGHOST, PGPORT, PGDATABASE
#   cluster_psql ARGS...                              psql as the cluster's superuser
#   cluster_stop
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# "postgres" system user.

PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}

cluster_as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_start() {
	CLUSTER_DIR=$(mktemp -d /tmp/sw-cluster.XXXXXX)
	[ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
	cluster_as_owner "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres \
		--auth=trust --no-sync >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log"; return 1; }
	PGPORT=$(( 20000 + RANDOM % 20000 ))
	{
		echo "shared_preload_libraries = 'stream_windows'"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CLUSTER_DIR'"
		echo "port = $PGPORT"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
	} | cluster_as_owner tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
		-w ${PGCTL_OPTS:-} start >/dev/null || { cat "$CLUSTER_DIR/server.log"; return 1; }
	export PGHOST=$CLUSTER_DIR PGPORT PGUSER=postgres PGDATABASE=postgres
	trap cluster_stop EXIT
}

cluster_psql() {
	"$PG_BIN/psql" -X -v ON_ERROR_STOP=1 "$@"
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
}
