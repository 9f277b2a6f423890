#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
e2e_begin

core=$(kamailio -v | sed -n 's/^flags: //p')
mod=$(strings "$SF_TOP/modules/sfwd/sfwd.so" | grep -m1 '^USE_TCP')
e2e_eq "sfwd.so flags equal kamailio -v flags" "$core" "$mod"

for cfg in "$SF_TOP"/etc/kamailio*.cfg "$SF_TOP"/test/e2e/t*/kamailio*.cfg \
	"$SF_TOP/etc/kamailio.cfg:-A SFWD_NO_AUTH"; do
	extra=
	case "$cfg" in *:*) extra=${cfg#*:}; cfg=${cfg%%:*} ;; esac
	[ -f "$cfg" ] || continue
	name="${cfg#"$SF_TOP"/} $extra"
	# shellcheck disable=SC2086
	if kamailio -c -f "$cfg" -L "$SF_TOP/modules:$SF_KAM_MODDIR" $extra \
		-A "SFWD_SIP_PORT=$E2E_SIP_PORT" -A "SFWD_DB_URL=\"$E2E_DB_URL\"" \
		>"$T_DIR/check.log" 2>&1; then
		e2e_ok "kamailio -c $name"
	else
		e2e_fail "kamailio -c $name: $(grep -m3 -E 'ERROR|CRITICAL' "$T_DIR/check.log")"
	fi
done

# a config error must be caught: a bad default_class stops the start
bad=$T_DIR/bad.cfg
sed 's/^modparam("sfwd", "default_class", .*/modparam("sfwd", "default_class", "sometimes")/' \
	"$SF_TOP/etc/kamailio.cfg" >"$bad"
if grep -q '"sometimes"' "$bad" && ! kamailio -c -f "$bad" \
	-L "$SF_TOP/modules:$SF_KAM_MODDIR" >"$T_DIR/bad.log" 2>&1 &&
	grep -q "invalid default_class" "$T_DIR/bad.log"; then
	e2e_ok "an invalid default_class is refused with a clear message"
else
	e2e_fail "an invalid default_class was not refused (see $T_DIR/bad.log)"
fi
e2e_end
