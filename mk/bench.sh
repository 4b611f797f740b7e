# shellcheck shell=bash
# mk/bench.sh - `./build.sh bench`: boot figures (tests/bench.py) and the
# container start path against crun and runc (tests/bench_run.py), a pull
# against skopeo (tests/bench_pull.py). Results
# go to build/bench/; docs/figures.md quotes them.

cmd_bench() {
	cmd_build
	cmd_kernel
	cmd_image
	python3 "$TOP/tests/bench.py" --build "$BUILD" "$@"
	python3 "$TOP/tests/bench_run.py" --build "$BUILD"
	python3 "$TOP/tests/bench_pull.py" --build "$BUILD"
}
