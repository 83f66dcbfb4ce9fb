# demo-lib.bash -- what contrib/demo-postfix.sh and contrib/demo-mailman3.sh
# share; sourced from the repository's top directory.

# demo_as_root ARGS... - go on as root: run this script again under sudo,
# with the arguments it was given (call it before parsing them)
demo_as_root() {
	[ "$(id -u)" -ne 0 ] || return 0
	if command -v sudo >/dev/null 2>&1; then
		exec sudo "$0" "$@"
	fi
	echo "$(basename "$0"): run as root (private Postfix instances)" >&2
	exit 1
}

# demo_build - install what the demos need, build subgate into build-demo/;
# sets subgate and subgatectl (the binaries)
demo_build() {
	contrib/setup-debian.sh --test
	cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release -DSUBGATE_TESTS=OFF >/dev/null
	cmake --build build-demo -j"$(nproc)" >/dev/null
	subgate=$PWD/build-demo/milter/subgate
	subgatectl=$PWD/build-demo/milter/subgatectl
}
