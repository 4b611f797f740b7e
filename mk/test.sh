# shellcheck shell=bash
# mk/test.sh - `./build.sh test`: unit tests (cmocka, with ASan+UBSan),
# fuzz replay (libFuzzer), shellcheck of the build system, then the host and
# appliance tests (tests/run.py), which print the closing line
# `N passed, N failed, N skipped` with every count added in.

# test_links NAME: what tests/sources.list says test or fuzzer NAME links
# besides itself, as "SOURCES... | LIBS..." (an unlisted name is an error).
test_links() {
	awk -v n="$1:" '$1 == n { $1 = ""; print; found = 1 } END { exit !found }' \
		"$TOP/tests/sources.list" || {
		echo "tests/sources.list has no entry $1" >&2
		return 1
	}
}

# Unit tests: cmocka, against glibc, on the pure-logic modules, in folders
# that mirror the source tree (tests/unit/AREA/test_*.c).
unit_build_and_run() {
	local t name bin out pass fail links srcs libs passed=0 failed=0
	mkdir -p "$BUILD/unit"
	for t in $(find "$TOP/tests/unit" -name 'test_*.c' | LC_ALL=C sort); do
		name=$(basename "${t%.c}")
		bin=$BUILD/unit/$name
		links=$(test_links "$name")
		srcs=${links%%|*} libs=
		[[ $links != *"|"* ]] || libs=${links#*|}
		rm -f "$bin"
		# shellcheck disable=SC2046,SC2086 # lists of files and flags
		if ! gcc -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
			-Wno-format-truncation -fsanitize=address,undefined -fno-sanitize-recover=all \
			-I"$TOP" -o "$bin" "$t" $(printf "$TOP/%s " $srcs) $libs -lcmocka; then
			echo "unit: $name does not build"
			failed=$((failed + 1))
			continue
		fi
		out=$(CMOCKA_MESSAGE_OUTPUT=stdout "$bin" 2>&1) || true
		echo "$out"
		pass=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
		fail=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
		[[ -n $pass$fail ]] || fail=1 # crashed before reporting
		passed=$((passed + ${pass:-0}))
		failed=$((failed + ${fail:-0}))
	done
	echo "unit: $passed passed, $failed failed"
	# step runs this in a subshell: the counts travel in a file.
	echo "$passed $failed" >"$BUILD/unit/counts"
}

# fuzz_harnesses: every libFuzzer harness source, sorted.
fuzz_harnesses() {
	find "$TOP/tests/fuzz" -name 'fuzz_*.c' | LC_ALL=C sort
}

# fuzz_build SOURCE: build harness SOURCE (ASan + UBSan, no recovery) into
# $BUILD/fuzz/NAME; prints nothing, fails when it does not build.
fuzz_build() {
	local f=$1 name bin links srcs libs
	name=$(basename "${f%.c}")
	bin=$BUILD/fuzz/$name
	links=$(test_links "$name") || return 1
	srcs=${links%%|*} libs=
	[[ $links != *"|"* ]] || libs=${links#*|}
	mkdir -p "$BUILD/fuzz"
	rm -f "$bin"
	# shellcheck disable=SC2046,SC2086 # lists of files and flags
	clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -I"$TOP" -o "$bin" "$f" $(printf "$TOP/%s " $srcs) $libs
}

# libFuzzer harnesses for every parser that takes outside input, each run
# for BERTH_FUZZ_SECONDS (default 10) from its seed corpus; a crash fails.
# (`./build.sh fuzz` runs them for longer and keeps what they find.)
fuzz_build_and_run() {
	local f name bin pass=0 fail=0 secs=${BERTH_FUZZ_SECONDS:-10}
	mkdir -p "$BUILD/fuzz"
	for f in $(fuzz_harnesses); do
		name=$(basename "${f%.c}")
		bin=$BUILD/fuzz/$name
		if ! fuzz_build "$f"; then
			fail=$((fail + 1))
			echo "fuzz: $name does not build"
			continue
		fi
		mkdir -p "$BUILD/fuzz/$name.corpus"
		if "$bin" -max_total_time="$secs" -artifact_prefix="$BUILD/fuzz/$name-" \
			"$BUILD/fuzz/$name.corpus" "$TOP/tests/fuzz/corpus/$name"; then
			pass=$((pass + 1))
			echo "fuzz: $name ok"
		else
			fail=$((fail + 1))
			echo "fuzz: $name FAILED (artifacts in $BUILD/fuzz/)"
		fi
	done
	echo "$pass $fail" >"$BUILD/fuzz/counts"
}

# The build system itself: shellcheck, no warning allowed.
lint_build_system() {
	shellcheck -x -P "$TOP" "$TOP/build.sh" "$TOP"/mk/*.sh "$TOP/.ci/run"
}

cmd_test() {
	local rc=0 counts=(0 1) fz=(0 1) lint=(1 0)
	cmd_build
	cmd_kernel
	cmd_image
	step distro-image build_distro_image
	rm -f "$BUILD/unit/counts" "$BUILD/fuzz/counts"
	step unit unit_build_and_run || rc=$?
	grep 'FAILED' "$LOGS/unit.log" | sed 's/^/    /' || true
	# A unit build that failed before counting counts as one failure.
	[[ -f $BUILD/unit/counts ]] && read -r -a counts <"$BUILD/unit/counts"
	say "unit: ${counts[0]} passed, ${counts[1]} failed"
	step fuzz fuzz_build_and_run || rc=$?
	[[ -f $BUILD/fuzz/counts ]] && read -r -a fz <"$BUILD/fuzz/counts"
	say "fuzz: ${fz[0]} passed, ${fz[1]} failed"
	step shellcheck lint_build_system || lint=(0 1)
	python3 "$TOP/tests/run.py" --build "$BUILD" \
		--unit-passed "$((counts[0] + fz[0] + lint[0]))" \
		--unit-failed "$((counts[1] + fz[1] + lint[1]))" "$@" || rc=1
	return $rc
}
