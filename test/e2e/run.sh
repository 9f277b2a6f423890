#!/usr/bin/env bash
# Runs the end-to-end tests (all, or those named: run.sh t002_classify ...)
# against one private PostgreSQL started here; each test starts and stops
# its own Kamailio. Prints "e2e: N passed, N failed"; exit 1 on any failure.
. "$(dirname "$0")/lib.sh"

PER_TEST_TIMEOUT=${SFWD_TEST_TIMEOUT:-300}

mkdir -p "$E2E_VAR"
trap 'sf_pg_stop "$E2E_PGDIR"' EXIT
trap 'exit 130' INT TERM
# a fresh cluster per run: no state leaks from an earlier run
sf_pg_destroy "$E2E_PGDIR"
sf_pg_start "$E2E_PGDIR" "$E2E_PG_PORT" || exit 1
export SFWD_TEST_PG_UP=1

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for d in "$E2E_DIR"/t[0-9]*/; do
		tests+=("$(basename "$d")")
	done
fi

# make test-asan runs the tests that load sfwd.so; a test with a file
# NOT_UNDER_ASAN (its first line says why) builds or loads no module of
# ours under ASan and is left out of that pass, with a line saying so
if [ -n "${SFWD_ASAN:-}" ]; then
	kept=()
	for t in "${tests[@]}"; do
		if [ -f "$E2E_DIR/$t/NOT_UNDER_ASAN" ]; then
			echo "e2e: $t not run with the ASan module: $(head -n 1 "$E2E_DIR/$t/NOT_UNDER_ASAN")"
		else
			kept+=("$t")
		fi
	done
	tests=("${kept[@]}")
fi

# make test-asan: ASan's reports of test T are in E2E_VAR/sanitizer/T,
# UBSan's ("runtime error:") in its Kamailio logs, as are the checks of
# Kamailio's own allocator (pkg/shm fragment canaries: "core/mem/... BUG");
# any report fails the test (its first lines are printed)
if [ -n "${SFWD_ASAN:-}" ]; then
	rm -rf "$E2E_VAR/sanitizer"
	echo "e2e: sfwd.so with ASan+UBSan (var/asan/modules/sfwd)"
fi
e2e_san_check() {
	local f n=0
	local re=': runtime error: |ERROR: AddressSanitizer|core/mem/[a-z_]+\.c:[0-9]+\]: .*BUG'
	for f in "$E2E_VAR/sanitizer/$1"/asan.* $(grep -rlE --include=kamailio.log \
		"$re" "$E2E_VAR/$1" 2>/dev/null); do
		[ -f "$f" ] || continue
		n=$((n + 1))
		echo "  FAIL sanitizer report in $f:"
		grep -m1 -A 14 -E "$re" "$f" |
			sed 's/^/    /'
	done
	[ "$n" -eq 0 ]
}

passed=0
failed=0
failed_names=()
start=$(date +%s)
for t in "${tests[@]}"; do
	echo "== $t: $(head -n 1 "$E2E_DIR/$t/README" 2>/dev/null)"
	ok=0
	[ -n "${SFWD_ASAN:-}" ] && export SFWD_ASAN_LOG=$E2E_VAR/sanitizer/$t
	timeout -k 10 "$PER_TEST_TIMEOUT" "$E2E_DIR/$t/run.sh" && ok=1
	if [ -n "${SFWD_ASAN:-}" ] && ! e2e_san_check "$t"; then
		ok=0
	fi
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names+=("$t")
	fi
done
echo "e2e: $((passed + failed)) tests in $(($(date +%s) - start)) s"
[ "$failed" -gt 0 ] && echo "e2e: failed: ${failed_names[*]}"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
