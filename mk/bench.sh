# shellcheck shell=bash
# mk/bench.sh - `./build.sh bench`: boot figures (tests/bench.py) and the
# container start path against crun and runc (tests/bench_run.py),
# the OCI runtime's create+start+delete against them (tests/bench_oci.py), a
# pull against skopeo (tests/bench_pull.py), 20 power cuts with the data
# disk (tests/bench_powercut.py; BERTH_BENCH_CUTS changes the number). Results
# go to build/bench/; docs/figures.md quotes them.

cmd_bench() {
	cmd_build
	cmd_kernel
	cmd_image
	# PID 1 under load (BERTH_BENCH_LOAD_MAX caps its containers, default 1000)
	python3 "$TOP/tests/bench_load.py" --build "$BUILD" ${BERTH_BENCH_LOAD_MAX:+--max "$BERTH_BENCH_LOAD_MAX"}
	python3 "$TOP/tests/bench.py" --build "$BUILD" "$@"
	python3 "$TOP/tests/bench_run.py" --build "$BUILD"
	python3 "$TOP/tests/bench_oci.py" --build "$BUILD"
	python3 "$TOP/tests/bench_uefi.py" --build "$BUILD"
	python3 "$TOP/tests/bench_pull.py" --build "$BUILD"
	python3 "$TOP/tests/bench_powercut.py" --build "$BUILD" ${BERTH_BENCH_CUTS:+--cuts "$BERTH_BENCH_CUTS"}
}
