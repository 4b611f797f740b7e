# shellcheck shell=bash
# mk/fetch.sh - every input the build downloads comes from deps.lock and is
# hash-checked before use.
#
# deps.lock has one line per Debian package the build downloads:
#   KIND NAME VERSION SUITE FILE=SHA256 [FILE=SHA256 ...]
# KIND src: a source package (its .dsc and every file the .dsc names);
# KIND deb: a binary package (one .deb). SUITE is where `./build.sh lock`
# found it. Downloads go to $BERTH_CACHE/dl through a private apt index per
# configured suite ($BERTH_CACHE/apt/ID, never the system's lists), so the
# locked version is tried in every suite, the locked suite first; a version
# no suite can deliver is an error naming the versions that can be had.
# Nothing here picks another version: only `./build.sh lock` does.
#
#   fetch_all            every locked file present in the cache and verified
#   fetch_src NAME       unpacked source tree (dpkg-source -x); prints its dir
#   fetch_deb NAME       verified .deb of binary package NAME; prints its path
#   lock_line KIND NAME  the lock line (a missing entry is an error)
#   lock_refresh         newest downloadable version of each LOCK_WANT entry,
#                        new hashes; rewrites deps.lock and prints the diff

LOCK_FILE=${BERTH_LOCK:-$TOP/deps.lock}

# What deps.lock pins (KIND NAME). Source packages are the sysroot's
# libraries (mk/sysroot.sh); linux-image-amd64 is a metapackage: its lock
# entry is the kernel package it depends on (the distribution kernel that
# tests the module loading path). systemd-boot-efi gives the disk image its
# boot loader (systemd-bootx64.efi) and the UKI stub (linuxx64.efi.stub).
LOCK_WANT=(
	"src zlib" "src nettle" "src libnl3" "src libseccomp" "src libcap2"
	"src libyaml" "src jansson" "src libarchive" "src iptables"
	"src mbedtls" "src curl"
	"deb linux-source-6.1" "deb busybox-static" "deb linux-image-amd64" "deb ca-certificates"
	"deb systemd-boot-efi"
)

_fetch_log() { printf 'deps: %s\n' "$*" >&2; }

# ------------------------------------------------------------ suites

# The configured Debian suites as "ID URI SUITE COMPONENTS SIGNED-BY" lines,
# main suites first, then -updates, then -security (the archive reached from
# here does not serve the security suite's sources). From the system's
# deb822 files and sources.list; deb.debian.org bookworm when there are none.
fetch_suites() {
	local f out=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		out+=$(awk '
			function flush(   i, j, n, m, u, s) {
				if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "") {
					n = split(uris, u, " "); m = split(suites, s, " ")
					for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
						print u[i], s[j], comps, (signed ~ /^\// ? signed : "-")
				}
				types = uris = suites = comps = signed = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { if (enabled) flush(); else { types = ""; enabled = 1 } next }
			/^[ \t]/ { next }
			{
				k = tolower($1); sub(/:$/, "", k); v = $0
				sub(/^[^:]*:[ \t]*/, "", v); gsub(/[ \t]+/, " ", v); sub(/ $/, "", v)
				if (k == "types") types = v
				else if (k == "uris") uris = v
				else if (k == "suites") suites = v
				else if (k == "components") comps = v
				else if (k == "signed-by") signed = v
				else if (k == "enabled" && tolower(v) == "no") enabled = 0
			}
			END { if (enabled) flush() }
		' "$f")$'\n'
	done
	if [[ -r /etc/apt/sources.list ]]; then
		out+=$(awk '$1 == "deb" && $2 !~ /^\[/ {
			c = $4; for (i = 5; i <= NF; i++) c = c " " $i; print $2, $3, c, "-" }' \
			/etc/apt/sources.list)$'\n'
	fi
	out=$(printf '%s' "$out" | awk '$2 ~ /^(bookworm|stable)(-updates|-security|\/updates)?$/' |
		awk '!seen[$1 " " $2]++')
	if [[ -z $out ]]; then
		out="http://deb.debian.org/debian bookworm main -
http://deb.debian.org/debian bookworm-updates main -
http://deb.debian.org/debian-security bookworm-security main -"
	fi
	printf '%s\n' "$out" | awk '{
		rank = ($2 ~ /security|\/updates/) ? 2 : ($2 ~ /-updates/) ? 1 : 0
		id = $1 "_" $2; sub(/^[a-z]+:\/\//, "", id); gsub(/[^A-Za-z0-9.-]/, "_", id)
		print rank, NR, id, $0 }' | sort -k1,1n -k2,2n | cut -d' ' -f3-
}

# _fetch_apt ID TOOL ARGS...: apt-get/apt-cache on suite ID's private index.
_fetch_apt() {
	local dir=$BERTH_CACHE/apt/$1 tool=$2
	shift 2
	"$tool" -q \
		-o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts="$dir/none" \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::State::Status=/dev/null \
		-o Dir::Cache::pkgcache="$dir/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$dir/srcpkgcache.bin" \
		-o APT::Architectures::=amd64 \
		-o APT::Sandbox::User=root \
		"$@"
}

# _fetch_index ID URI SUITE COMPONENTS SIGNED-BY: suite ID's private index,
# refreshed when missing or older than FETCH_APT_MAX_AGE days (default 7).
_fetch_index() {
	local id=$1 uri=$2 suite=$3 comps=$4 signed=$5 dir opt="" want
	dir=$BERTH_CACHE/apt/$id
	[[ $signed == - ]] || opt="[signed-by=$signed] "
	want="deb ${opt}$uri $suite $comps
deb-src ${opt}$uri $suite $comps"
	mkdir -p "$dir/lists/partial" "$dir/none"
	if [[ ! -f $dir/sources.list || $(<"$dir/sources.list") != "$want" ]]; then
		printf '%s\n' "$want" >"$dir/sources.list"
		rm -f "$dir/updated"
	fi
	if [[ -f $dir/updated && -z $(find "$dir/updated" -mtime "+$((${FETCH_APT_MAX_AGE:-7} - 1))") ]]; then
		return 0
	fi
	_fetch_log "apt-get update for $suite ($uri)"
	if _fetch_apt "$id" apt-get update >"$dir/update.log" 2>&1; then
		touch "$dir/updated"
	elif compgen -G "$dir/lists/*_Sources*" >/dev/null; then
		_fetch_log "warning: apt-get update for $suite failed; using its old lists"
	else
		_fetch_log "warning: apt-get update for $suite failed: $(grep -m1 -E '^(E|Err|W):' "$dir/update.log")"
		return 1
	fi
}

# _fetch_versions ID KIND NAME: versions suite ID has of NAME, one a line.
_fetch_versions() {
	local id=$1 kind=$2 name=$3
	if [[ $kind == src ]]; then
		_fetch_apt "$id" apt-cache showsrc --only-source "$name" 2>/dev/null |
			awk -v p="$name" '/^Package: / { ok = ($2 == p) } ok && /^Version: / { print $2 }'
	else
		_fetch_apt "$id" apt-cache madison "$name" 2>/dev/null |
			awk -F' *[|] *' -v p="$name" '{ sub(/^ +/, "", $1) } $1 == p && / Packages$/ { print $2 }'
	fi | awk '!seen[$0]++'
}

# _fetch_get ID KIND NAME VERSION DIR: download into DIR (empty); on failure
# print apt's reason (one line) and return 1.
_fetch_get() {
	local id=$1 kind=$2 name=$3 ver=$4 dir=$5 log rc=0
	log=$dir.log
	if [[ $kind == src ]]; then
		(cd "$dir" && _fetch_apt "$id" apt-get source --download-only "$name=$ver") >"$log" 2>&1 || rc=$?
	else
		(cd "$dir" && _fetch_apt "$id" apt-get download "$name=$ver") >"$log" 2>&1 || rc=$?
	fi
	if [[ $rc -ne 0 ]]; then
		grep -m1 -oE '[0-9]{3} +[A-Za-z ]+$|E: .*' "$log" || echo "apt-get exit $rc"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

# ------------------------------------------------------------ the lock

# lock_line KIND NAME: the line of deps.lock for NAME (for deb
# linux-image-amd64, the kernel package it resolved to).
lock_line() {
	local kind=$1 name=$2 line
	[[ -f $LOCK_FILE ]] || { _fetch_log "error: no $LOCK_FILE (./build.sh lock writes it)"; return 1; }
	if [[ $kind == deb && $name == linux-image-amd64 ]]; then
		line=$(awk '$1 == "deb" && $2 ~ /^linux-image-.*-amd64$/' "$LOCK_FILE")
	else
		line=$(awk -v k="$kind" -v n="$name" '$1 == k && $2 == n' "$LOCK_FILE")
	fi
	[[ -n $line ]] || { _fetch_log "error: deps.lock has no entry for $kind $name (./build.sh lock adds it)"; return 1; }
	printf '%s\n' "$line"
}

# _fetch_verify DIR LINE [QUIET]: every FILE=SHA256 of LINE is in DIR with
# that hash. A mismatch names the file, both hashes, and removes the file.
_fetch_verify() {
	local dir=$1 f want got rc=0
	local -a files
	read -ra files <<<"$2"
	for f in "${files[@]:4}"; do
		want=${f##*=}
		f=${f%=*}
		[[ -f $dir/$f ]] || { rc=1; continue; }
		got=$(sha256sum "$dir/$f")
		got=${got%% *}
		if [[ $got != "$want" ]]; then
			_fetch_log "$dir/$f: sha256 $got does not match deps.lock ($want): refused and removed"
			rm -f "$dir/$f"
			rc=2
		fi
	done
	return $rc
}

# _fetch_download LINE: download LINE's files into $BERTH_CACHE/dl from the
# first suite that has its version; verified before they are moved in.
_fetch_download() {
	local line=$1 kind name ver lsuite id uri suite comps signed tmp why tried="" avail="" v have
	read -r kind name ver lsuite _ <<<"$line"
	local -a suites
	mapfile -t suites < <(fetch_suites | awk -v s="$lsuite" '{ print ($3 == s ? 0 : 1), NR, $0 }' |
		sort -k1,1n -k2,2n | cut -d' ' -f3-)
	for v in "${suites[@]}"; do
		read -r id uri suite comps signed <<<"$v"
		_fetch_index "$id" "$uri" "$suite" "$comps" "$signed" || { tried+=" $suite: no index;"; continue; }
		have=$(_fetch_versions "$id" "$kind" "$name")
		[[ -z $have ]] || avail+="${have//$'\n'/ ($suite),} ($suite),"
		if ! grep -qxF "$ver" <<<"$have"; then
			tried+=" $suite: not there;"
			continue
		fi
		tmp=$BERTH_CACHE/dl/.get-$name
		rm -rf "$tmp"
		mkdir -p "$tmp"
		if why=$(_fetch_get "$id" "$kind" "$name" "$ver" "$tmp"); then
			if _fetch_verify "$tmp" "$line"; then
				find "$tmp" -maxdepth 1 -type f -exec mv -f {} "$BERTH_CACHE/dl/" \;
				rm -rf "$tmp"
				_fetch_log "$name $ver from $suite: sha256 ok"
				return 0
			fi
			why="files do not match deps.lock"
		fi
		rm -rf "$tmp"
		tried+=" $suite: $why;"
	done
	_fetch_log "error: $kind $name $ver (deps.lock) cannot be had:${tried%;}; available: ${avail%,}; './build.sh lock' pins versions that download"
	return 1
}

# _fetch_ensure KIND NAME: NAME's locked files in $BERTH_CACHE/dl, verified
# (a cached file that changed is refused by name and fetched again).
_fetch_ensure() {
	local line rc=0
	line=$(lock_line "$1" "$2") || return 1
	mkdir -p "$BERTH_CACHE/dl"
	_fetch_verify "$BERTH_CACHE/dl" "$line" || rc=$?
	[[ $rc -eq 0 ]] && return 0
	_fetch_download "$line"
}

fetch_all() {
	local w
	for w in "${LOCK_WANT[@]}"; do
		# shellcheck disable=SC2086
		_fetch_ensure $w || return 1
	done
}

# fetch_deb NAME: path of NAME's verified .deb.
fetch_deb() {
	local line
	_fetch_ensure deb "$1" || return 1
	line=$(lock_line deb "$1")
	line=${line##* }
	printf '%s\n' "$BERTH_CACHE/dl/${line%=*}"
}

# fetch_src NAME: source package NAME unpacked with Debian's patches
# applied, once, in $BERTH_CACHE/src/NAME-VERSION-HASH; prints that dir.
fetch_src() {
	local name=$1 line ver dsc dest tmp sum
	_fetch_ensure src "$name" || return 1
	line=$(lock_line src "$name")
	read -r _ _ ver _ <<<"$line"
	sum=$(printf '%s' "$line" | sha256sum)
	dest=$BERTH_CACHE/src/$name-${ver#*:}-${sum:0:8}
	if [[ ! -f $dest/.berth-unpacked ]]; then
		dsc=$(tr ' ' '\n' <<<"$line" | sed -n 's/=.*//; /\.dsc$/p')
		tmp=$BERTH_CACHE/src/.unpack-$name
		rm -rf "$tmp" "$dest"
		mkdir -p "$tmp"
		_fetch_log "unpack $name $ver"
		dpkg-source --no-copy --require-strong-checksums -x "$BERTH_CACHE/dl/$dsc" "$tmp/tree" >&2 ||
			{ _fetch_log "error: dpkg-source -x $dsc failed"; return 1; }
		touch "$tmp/tree/.berth-unpacked"
		mv "$tmp/tree" "$dest"
		rmdir "$tmp"
	fi
	printf '%s\n' "$dest"
}

# ------------------------------------------------------------ lock refresh

# _lock_newest KIND NAME: "KIND NAME VERSION SUITE FILE=SHA..." for the
# newest version of NAME that downloads, from the first suite (main, then
# -updates, then -security: the main suite's versions stay downloadable until
# the next point release, the security archive's sources may not be served)
# that has one. Downloads stay in $BERTH_CACHE/dl.
_lock_newest() {
	local kind=$1 name=$2 cands="" id uri suite comps signed v ver s tmp f line pkg
	while read -r id uri suite comps signed; do
		_fetch_index "$id" "$uri" "$suite" "$comps" "$signed" || continue
		cands+=$(_fetch_versions "$id" "$kind" "$name" | while read -r v; do
			printf '%s %s %s\n' "$v" "$suite" "$id"
		done | _lock_sort)$'\n'
	done < <(fetch_suites)
	while read -r ver s id; do
		[[ -n $ver ]] || continue
		pkg=$name
		if [[ $kind == deb && $name == linux-image-amd64 ]]; then
			pkg=$(_fetch_apt "$id" apt-cache show "linux-image-amd64=$ver" 2>/dev/null |
				sed -n 's/^Depends: \(linux-image-[^ ,]*-amd64\).*/\1/p' | head -1)
			[[ -n $pkg ]] || continue
		fi
		tmp=$BERTH_CACHE/dl/.lock-$pkg
		rm -rf "$tmp"
		mkdir -p "$tmp"
		if _fetch_get "$id" "$kind" "$pkg" "$ver" "$tmp" >/dev/null; then
			line="$kind $pkg $ver $s"
			for f in $(cd "$tmp" && LC_ALL=C ls); do
				line+=" $f=$(sha256sum <"$tmp/$f" | cut -d' ' -f1)"
			done
			find "$tmp" -maxdepth 1 -type f -exec mv -f {} "$BERTH_CACHE/dl/" \;
			rm -rf "$tmp"
			printf '%s\n' "$line"
			return 0
		fi
		_fetch_log "$pkg $ver from $s does not download; trying an older one"
		rm -rf "$tmp"
	done <<<"$cands"
	_fetch_log "error: no version of $kind $name downloads from any suite"
	return 1
}

# Sort "VERSION REST" lines newest first by dpkg's version order.
_lock_sort() {
	local -a lines
	local i j t
	mapfile -t lines
	for ((i = 1; i < ${#lines[@]}; i++)); do
		t=${lines[i]}
		for ((j = i - 1; j >= 0; j--)); do
			dpkg --compare-versions "${lines[j]%% *}" lt "${t%% *}" || break
			lines[j + 1]=${lines[j]}
		done
		lines[j + 1]=$t
	done
	[[ ${#lines[@]} -eq 0 ]] || printf '%s\n' "${lines[@]}"
}

lock_refresh() {
	local w line new
	mkdir -p "$BERTH_CACHE/dl"
	local text="# deps.lock - every source the build downloads, pinned and hashed.
# KIND NAME VERSION SUITE FILE=SHA256... (written by ./build.sh lock; mk/fetch.sh reads it)"
	for w in "${LOCK_WANT[@]}"; do
		# shellcheck disable=SC2086 # KIND NAME
		line=$(_lock_newest $w) || return 1
		text+=$'\n'$line
	done
	new=$(mktemp)
	printf '%s\n' "$text" >"$new"
	if [[ -f $LOCK_FILE ]] && cmp -s "$new" "$LOCK_FILE"; then
		echo "deps.lock unchanged"
		rm -f "$new"
		return 0
	fi
	local old=$LOCK_FILE
	[[ -f $old ]] || old=/dev/null
	diff -u --label deps.lock.old --label deps.lock "$old" "$new" || true
	mv -f "$new" "$LOCK_FILE"
}
