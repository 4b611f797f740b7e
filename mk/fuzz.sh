# shellcheck shell=bash
# mk/fuzz.sh - `./build.sh fuzz [SECONDS] [NAME...]`: fuzz depth. Runs every
# libFuzzer harness (or the NAMEs given, in that order) with ASan + UBSan,
# BERTH_FUZZ_JOBS harnesses at a time (default: the number of CPUs), from
# the seed corpus in tests/fuzz/corpus/NAME, until one of two limits:
#   SECONDS each (default BERTH_FUZZ_BUDGET, else 300; 0 = no limit), and
#   BERTH_FUZZ_RUNS executions each (libFuzzer's -runs; default none; when
#   it is set and SECONDS is not given, there is no time limit).
# Afterwards each corpus is minimised with libFuzzer's -merge=1 (the inputs
# that add coverage; hand-named seeds stay as they are) and written back
# into tests/fuzz/corpus/NAME, so CI's replay (`./build.sh test`) starts
# from what the long runs found. Prints one line per harness and a
# markdown table for docs/figures.md: executions, seconds, executions per
# second, corpus files before -> after, the mean 1-minute load average
# during the run, and the result; a crash, timeout or out-of-memory fails
# the command and leaves the input in build/fuzz/.

# _fuzz_result LOG RC: ok, or what libFuzzer said went wrong.
_fuzz_result() {
	if [[ $2 -eq 0 ]]; then
		echo ok
	elif grep -q 'ERROR: libFuzzer: timeout' "$1"; then
		echo TIMEOUT
	elif grep -q 'ERROR: libFuzzer: out-of-memory' "$1"; then
		echo OOM
	else
		echo CRASH
	fi
}

# _fuzz_one SOURCE SECONDS: run one harness; writes build/fuzz/NAME.stats
# ("NAME SECONDS EXECS FILES_BEFORE FILES_AFTER RESULT LOAD").
_fuzz_one() {
	local f=$1 secs=$2 name bin work seed log execs before after result rc=0
	local t0 t1 spid
	name=$(basename "${f%.c}")
	bin=$BUILD/fuzz/$name
	seed=$TOP/tests/fuzz/corpus/$name
	work=$BUILD/fuzz/$name.long
	log=$BUILD/fuzz/$name.long.log
	mkdir -p "$seed"
	rm -rf "$work" "$work.min"
	mkdir -p "$work" "$work.min"
	before=$(find "$seed" -type f | wc -l)
	# the load average every 2 s while the harness runs, for the table
	while :; do
		cut -d' ' -f1 /proc/loadavg
		sleep 2
	done >"$work.load" &
	spid=$!
	t0=$(date +%s%N)
	"$bin" -max_total_time="$secs" -runs="${BERTH_FUZZ_RUNS:--1}" -print_final_stats=1 \
		-timeout=60 -artifact_prefix="$BUILD/fuzz/$name-" "$work" "$seed" >"$log" 2>&1 || rc=$?
	t1=$(date +%s%N)
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	result=$(_fuzz_result "$log" "$rc")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	# Minimise seed + new inputs into a fresh directory and keep that;
	# hand-named seeds (regression inputs; libFuzzer names its own by
	# their SHA-1) are kept as they are.
	find "$seed" -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' \
		-exec cp {} "$work.min/" \;
	if [[ $result == ok ]] &&
		"$bin" -merge=1 "$work.min" "$seed" "$work" >>"$log" 2>&1; then
		rm -rf "$seed" && mv "$work.min" "$seed"
	fi
	after=$(find "$seed" -type f | wc -l)
	secs=$(((t1 - t0) / 1000000000))
	printf '%s %s %s %s %s %s %s\n' "$name" "$secs" "${execs:-0}" "$before" "$after" \
		"$result" "$(awk '{ s += $1 } END { printf "%.1f", s / (NR ? NR : 1) }' "$work.load")" \
		>"$BUILD/fuzz/$name.stats"
	rm -rf "$work" "$work.min" "$work.load"
	printf 'fuzz: %-22s %s: %s executions in %s s, corpus %s -> %s files\n' \
		"$name" "$result" "${execs:-0}" "$secs" "$before" "$after"
}

cmd_fuzz() {
	local secs=${BERTH_FUZZ_BUDGET:-300} jobs=${BERTH_FUZZ_JOBS:-$(nproc)} f name
	local -a pick=() srcs=()
	[[ -z ${BERTH_FUZZ_RUNS:-} ]] || secs=${BERTH_FUZZ_BUDGET:-0}
	if [[ ${1:-} =~ ^[0-9]+$ ]]; then
		secs=$1
		shift
	fi
	pick=("$@")
	[[ ${#pick[@]} -gt 0 ]] || mapfile -t pick < <(fuzz_harnesses | xargs -n1 basename | sed 's/\.c$//')
	for name in "${pick[@]}"; do
		f=$(fuzz_harnesses | grep "/$name\.c$") || die "fuzz: no harness named $name"
		fuzz_build "$f" || die "fuzz: $name does not build"
		rm -f "$BUILD/fuzz/$name.stats"
		srcs+=("$f")
	done
	say "fuzz: ${#srcs[@]} harnesses, ${BERTH_FUZZ_RUNS:-no} executions target, ${secs} s limit each (0: none), $jobs at a time"
	local running=0
	for f in "${srcs[@]}"; do
		_fuzz_one "$f" "$secs" &
		running=$((running + 1))
		if [[ $running -ge $jobs ]]; then
			wait -n || true
			running=$((running - 1))
		fi
	done
	wait || true
	_fuzz_table "${srcs[@]}"
}

# _fuzz_table SOURCE...: the markdown table of the run; fails if any
# harness failed or left no stats.
_fuzz_table() {
	local f name st rc=0 n s x b a r l
	printf '\n| harness | executions | seconds | per second | corpus files (before -> after) | load average | result |\n'
	printf '|---|---:|---:|---:|---|---:|---|\n'
	for f in "$@"; do
		name=$(basename "${f%.c}")
		st=$BUILD/fuzz/$name.stats
		if [[ ! -f $st ]]; then
			printf '| %s | | | | | | NO RESULT |\n' "$name"
			rc=1
			continue
		fi
		read -r n s x b a r l <"$st"
		printf '| %s | %s | %s | %s | %s -> %s | %s | %s |\n' "$n" "$x" "$s" \
			"$((x / (s > 0 ? s : 1)))" "$b" "$a" "$l" "$r"
		[[ $r == ok ]] || rc=1
	done
	return $rc
}
