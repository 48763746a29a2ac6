#!/usr/bin/env bash
# test/pg17-build.sh — compile the extension against PostgreSQL 17's server
# headers, with warnings as errors (a compile-only check: PostgreSQL 17
# binaries from Debian 13 do not run on Debian 12).
#
# The headers come from Debian 13 ("trixie") through a temporary apt
# configuration (its own sources list, lists and cache directories, on the
# Debian mirror this machine already uses); the machine's apt setup is not
# touched.  Prints "pg17 build: ok", "pg17 build: FAILED" (exit 1), or
# "pg17 build: skipped (...)" (exit 0) when the lists cannot be fetched.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
TMP=$(mktemp -d /tmp/sw-pg17.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

mirror=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
	grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}') | grep -v security | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$TMP/lists/partial" "$TMP/cache/archives/partial" "$TMP/pkg"
echo "deb [trusted=yes] ${mirror%/} trixie main" >"$TMP/sources.list"
APT=(apt-get -q -o Dir::Etc::sourcelist="$TMP/sources.list" -o Dir::Etc::sourceparts=-
	-o Dir::State::Lists="$TMP/lists" -o Dir::Cache="$TMP/cache" -o APT::Sandbox::User=root)
if ! "${APT[@]}" update >"$TMP/update.log" 2>&1; then
	echo "pg17 build: skipped (Debian 13 package lists not reachable)"
	exit 0
fi
(cd "$TMP/pkg" && "${APT[@]}" download postgresql-server-dev-17 >"$TMP/download.log" 2>&1) || {
	echo "pg17 build: skipped (postgresql-server-dev-17 not downloadable)"; exit 0; }
for deb in "$TMP"/pkg/*.deb; do dpkg -x "$deb" "$TMP/root"; done
INC=$TMP/root/usr/include/postgresql/17/server
[ -f "$INC/pg_config.h" ] || { echo "pg17 build: skipped (no headers in the package)"; exit 0; }

# pg_config.h of trixie assumes glibc >= 2.38 (strlcpy/strlcat in <string.h>)
cat >"$TMP/glibc_compat.h" <<'H'
#include <stddef.h>
extern size_t strlcpy(char *dst, const char *src, size_t siz);
extern size_t strlcat(char *dst, const char *src, size_t siz);
H

failed=0
for c in src/*.c; do
	if ! gcc -std=gnu99 -c -o /dev/null -include "$TMP/glibc_compat.h" \
		-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror \
		-Wmissing-prototypes -Wpointer-arith -Wdeclaration-after-statement -Wno-declaration-after-statement \
		-fno-strict-aliasing -fwrapv -fPIC -D_GNU_SOURCE \
		-I"$SRC/src" -I"$INC" -I"$TMP/root/usr/include/postgresql" "$c" 2>"$TMP/err"; then
		echo "--- $c"; cat "$TMP/err"; failed=1
	fi
done
if [ $failed = 0 ]; then echo "pg17 build: ok ($(grep -m1 PG_VERSION_STR "$INC/pg_config.h" | cut -d'"' -f2))"; exit 0; fi
echo "pg17 build: FAILED"
exit 1
