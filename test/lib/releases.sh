# test/lib/releases.sh — build every released version (test/releases) into
# a private copy of the PostgreSQL installation, for the upgrade test.
#
#   build_releases DIR    prints "VERSION=INSTALL_PATH ..." for SW_RELEASES
#
# Needs the git history (a clone of the repository); without it, or when a
# build fails, the version is left out and the upgrade test says so.

build_release() {
	local version=$1 commit=$2 dir=$3 root wt
	root=$dir/$version
	wt=$dir/src-$version
	git -C "$SRC" worktree add -q --detach "$wt" "$commit" 2>/dev/null || return 1
	mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$PG_MAJOR" "$root/usr/lib/postgresql/" &&
		cp -a "/usr/share/postgresql/$PG_MAJOR" "$root/usr/share/postgresql/" &&
		rm -f "$root/usr/share/postgresql/$PG_MAJOR/extension/stream_windows"* &&
		(cd "$wt" && make -s >/dev/null 2>&1 && make -s install DESTDIR="$root" >/dev/null 2>&1)
	local rc=$?
	git -C "$SRC" worktree remove --force "$wt" >/dev/null 2>&1
	[ $rc -eq 0 ] && echo "$version=$root/usr/lib/postgresql/$PG_MAJOR"
}

build_releases() {
	local dir=$1 out="" line version commit
	[ -d "$SRC/.git" ] || return 0
	mkdir -p "$dir"
	while read -r version commit; do
		case $version in ''|\#*) continue ;; esac
		line=$(build_release "$version" "$commit" "$dir") && out="$out $line"
	done <"$SRC/test/releases"
	echo "${out# }"
}
