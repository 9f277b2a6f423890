#!/usr/bin/env bash
# `make test`: the unit tests and the end-to-end tests, both always run;
# a summary at the end; exit 1 when either fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/var"
unit_log=$top/var/test-unit.log
e2e_log=$top/var/test-e2e.log

echo "== lint and format"
"$top/scripts/lint.sh" 2>&1 | tee "$top/var/test-lint.log"
lint_rc=${PIPESTATUS[0]}
if ! make -s -C "$top" format-check >>"$top/var/test-lint.log" 2>&1; then
	echo "format: make format-check fails (run make format)"
	lint_rc=1
fi

echo "== unit tests (check, ASan+UBSan)"
make -s -C "$top/test/unit" check 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}

echo "== fuzzing the MSRP parser, the classifier, the MSRP server and the resource-list parser briefly (make fuzz runs 10 M each)"
make -s -C "$top/test/fuzz" quick FUZZ_SECONDS="${SFWD_FUZZ_SECONDS:-10}" 2>&1 |
	grep -E 'executions|FAILED|crash|rror' | tee "$top/var/test-fuzz.log"
fuzz_rc=${PIPESTATUS[0]}

echo "== end-to-end tests (PostgreSQL, Kamailio, SIPp)"
"$top/test/e2e/run.sh" "$@" 2>&1 | tee "$e2e_log"
e2e_rc=${PIPESTATUS[0]}

echo "== summary"
[ "$lint_rc" -eq 0 ] || echo "lint: FAILED (see $top/var/test-lint.log)"
grep -E '^[0-9]+%: Checks:' "$unit_log" | sed 's/^/unit: /'
[ "$unit_rc" -eq 0 ] || echo "unit: FAILED (see $unit_log)"
grep -E 'executions' "$top/var/test-fuzz.log" | sed 's/^/fuzz: /'
[ "$fuzz_rc" -eq 0 ] || echo "fuzz: FAILED (see $top/var/test-fuzz.log)"
grep -E '^e2e: [0-9]+ passed' "$e2e_log" || echo "e2e: FAILED (see $e2e_log)"
[ "$lint_rc" -eq 0 ] && [ "$unit_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ] &&
	[ "$e2e_rc" -eq 0 ]
