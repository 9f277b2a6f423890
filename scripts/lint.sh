#!/usr/bin/env bash
# `make lint`: review rules a compiler does not check (run by `make test`).
#
# 1. A formatted length is checked, never trusted (STYLE.md habit 7):
#    snprintf()/vsnprintf() return what the text WOULD take, so a result
#    used as a length reads past the buffer when the text was cut. The
#    module formats through sf_fmt() (sf_buf.h), which returns -1 instead;
#    a bare call is allowed only on a line marked "lint:" with the reason.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rc=0
hits=$(grep -nE '\bv?snprintf[[:space:]]*\(' "$top"/modules/sfwd/*.c | grep -v 'lint:')
if [ -n "$hits" ]; then
	echo "lint: snprintf/vsnprintf outside sf_fmt() (use sf_fmt and check for -1):"
	echo "$hits" | sed "s|$top/||"
	rc=1
fi
# 2. sprintf/strcpy/strcat: unbounded writes have no place in the module
hits=$(grep -nE '\b(sprintf|vsprintf|strcat|gets)[[:space:]]*\(' "$top"/modules/sfwd/*.c | grep -v 'lint:')
if [ -n "$hits" ]; then
	echo "lint: unbounded sprintf/strcat/gets:"
	echo "$hits" | sed "s|$top/||"
	rc=1
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
