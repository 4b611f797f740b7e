# shellcheck shell=bash
# mk/fuzz.sh - `./build.sh fuzz [SECONDS] [NAME...]`: fuzz depth. Runs every
# libFuzzer harness (or the NAMEs given) for SECONDS each (default
# BERTH_FUZZ_BUDGET or 300) with ASan + UBSan, BERTH_FUZZ_JOBS harnesses at
# a time (default: the number of CPUs), from the seed corpus in
# tests/fuzz/corpus/NAME. Afterwards each corpus is minimised with
# libFuzzer's -merge=1 (the inputs that add coverage) and written back into
# tests/fuzz/corpus/NAME, so CI's replay (`./build.sh test`, 10 s each)
# starts from what the long runs found. Prints one line per harness
# (executions, executions per second, corpus size) and a markdown table
# for docs/figures.md; a crash fails the command and leaves the artifact in
# build/fuzz/.

# _fuzz_one SOURCE SECONDS: run one harness; writes build/fuzz/NAME.stats
# ("NAME SECONDS EXECS FILES_BEFORE FILES_AFTER RESULT").
_fuzz_one() {
	local f=$1 secs=$2 name bin work seed log execs before after result=ok
	name=$(basename "${f%.c}")
	bin=$BUILD/fuzz/$name
	seed=$TOP/tests/fuzz/corpus/$name
	work=$BUILD/fuzz/$name.long
	log=$BUILD/fuzz/$name.long.log
	mkdir -p "$seed"
	rm -rf "$work" "$work.min"
	mkdir -p "$work" "$work.min"
	before=$(find "$seed" -type f | wc -l)
	if ! "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=60 \
		-artifact_prefix="$BUILD/fuzz/$name-" "$work" "$seed" >"$log" 2>&1; then
		result=CRASH
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	# Minimise seed + new inputs into a fresh directory and keep that.
	if [[ $result == ok ]] &&
		"$bin" -merge=1 "$work.min" "$seed" "$work" >>"$log" 2>&1; then
		rm -rf "$seed" && mv "$work.min" "$seed"
	fi
	after=$(find "$seed" -type f | wc -l)
	printf '%s %s %s %s %s %s\n' "$name" "$secs" "${execs:-0}" "$before" "$after" "$result" \
		>"$BUILD/fuzz/$name.stats"
	rm -rf "$work" "$work.min"
	printf 'fuzz: %-22s %s: %s executions in %s s, corpus %s -> %s files\n' \
		"$name" "$result" "${execs:-0}" "$secs" "$before" "$after"
}

cmd_fuzz() {
	local secs=${BERTH_FUZZ_BUDGET:-300} jobs=${BERTH_FUZZ_JOBS:-$(nproc)} f name
	local -a pick=() srcs=()
	if [[ ${1:-} =~ ^[0-9]+$ ]]; then
		secs=$1
		shift
	fi
	pick=("$@")
	for f in $(fuzz_harnesses); do
		name=$(basename "${f%.c}")
		if [[ ${#pick[@]} -gt 0 && " ${pick[*]} " != *" $name "* ]]; then
			continue
		fi
		fuzz_build "$f" || die "fuzz: $name does not build"
		rm -f "$BUILD/fuzz/$name.stats"
		srcs+=("$f")
	done
	[[ ${#srcs[@]} -gt 0 ]] || die "fuzz: no harness named ${pick[*]}"
	say "fuzz: ${#srcs[@]} harnesses, $secs s each, $jobs at a time"
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
# harness crashed or left no stats.
_fuzz_table() {
	local f name st rc=0 n s x b a r
	printf '\n| harness | seconds | executions | per second | corpus files (before -> after) | result |\n'
	printf '|---|---:|---:|---:|---|---|\n'
	for f in "$@"; do
		name=$(basename "${f%.c}")
		st=$BUILD/fuzz/$name.stats
		if [[ ! -f $st ]]; then
			printf '| %s | | | | | NO RESULT |\n' "$name"
			rc=1
			continue
		fi
		read -r n s x b a r <"$st"
		printf '| %s | %s | %s | %s | %s -> %s | %s |\n' "$n" "$s" "$x" "$((x / (s > 0 ? s : 1)))" "$b" "$a" "$r"
		[[ $r == ok ]] || rc=1
	done
	return $rc
}
