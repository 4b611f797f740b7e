# shellcheck shell=bash
# mk/bench.sh - `./build.sh bench`: boot figures (tests/bench.py), the
# container start path against crun and runc (tests/bench_run.py) and PID 1
# under load (tests/bench_load.py; BERTH_BENCH_LOAD_MAX caps its container
# count, default 1000). Results go to build/bench/; docs/figures.md quotes
# them.

cmd_bench() {
	cmd_build
	cmd_kernel
	cmd_image
	python3 "$TOP/tests/bench.py" --build "$BUILD" "$@"
	python3 "$TOP/tests/bench_run.py" --build "$BUILD"
	python3 "$TOP/tests/bench_load.py" --build "$BUILD" ${BERTH_BENCH_LOAD_MAX:+--max "$BERTH_BENCH_LOAD_MAX"}
}
