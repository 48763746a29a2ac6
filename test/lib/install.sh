# test/lib/install.sh — packages and build steps shared by the two README
# commands (test/check.sh, test/demo.sh) and the benchmarks.
#
#   install_build_deps     apt-get install what is missing (root or sudo)
#   build_and_install      make (warnings are errors) && make install

PG_MAJOR=${PG_MAJOR:-15}
SW_PACKAGES="build-essential postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
	librdkafka-dev libipc-run-perl rsync postgresql-$PG_MAJOR-repack"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_build_deps() {
	local missing=() p
	for p in $SW_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	as_root apt-get update -qq &&
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
}

build_and_install() {
	export PATH="/usr/lib/postgresql/$PG_MAJOR/bin:$PATH"
	make -s PG_CONFIG=pg_config >/dev/null &&
		as_root make -s install PG_CONFIG="$(command -v pg_config)" >/dev/null
}
