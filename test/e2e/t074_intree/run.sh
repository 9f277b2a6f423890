#!/usr/bin/env bash
# t074: sfwd built inside a Kamailio source tree (issue 19; see README)
. "$(dirname "$0")/../lib.sh"
e2e_begin

src=$("$SF_TOP/scripts/kamailio-src.sh" 2>"$T_DIR/src.log") || e2e_fatal "the Kamailio source tree (scripts/kamailio-src.sh)"
tree=$T_DIR/tree
rm -rf "$tree"
cp -a "$(dirname "$src")" "$tree"
rm -rf "$tree/src/modules/sfwd"
mkdir -p "$tree/src/modules/sfwd"
cp "$SF_TOP"/modules/sfwd/*.[ch] "$SF_TOP/modules/sfwd/Makefile" "$tree/src/modules/sfwd/"
e2e_ok "modules/sfwd copied into a copy of the tree ($(du -sh "$tree" | cut -f1))"

# configured as scripts/kamailio-src.sh does (Debian's debian/rules), with
# sfwd among the modules
cc_extra="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE"
ld_extra="$(dpkg-buildflags --get LDFLAGS)"
e2e_check "make cfg include_modules=\"sfwd\" (Debian's options)" \
	make -C "$tree" cfg quiet=silent prefix=/usr cfg_target=/etc/kamailio/ \
	FLAVOUR=kamailio CC_EXTRA_OPTS="$cc_extra" LD_EXTRA_OPTS="$ld_extra" \
	group_include=kstandard include_modules="sfwd" >"$T_DIR/cfg.log" 2>&1
e2e_check "... lists sfwd among the modules to build (modules.lst)" \
	grep -Eq '^include_modules=.* sfwd( |$)' "$tree/src/modules.lst"
e2e_check "make modules modules=modules/sfwd builds it with Kamailio's rules" \
	make -C "$tree/src" modules modules=modules/sfwd quiet=silent >"$T_DIR/build.log" 2>&1
so=$tree/src/modules/sfwd/sfwd.so
e2e_check "... sfwd.so is there" test -f "$so"
core=$(kamailio -v | sed -n 's/^flags: //p')
mod=$(strings "$so" 2>/dev/null | grep -m1 '^USE_TCP')
e2e_eq "its flags equal kamailio -v's" "$core" "$mod"
mkdir -p "$T_DIR/mods"
ln -sf "$so" "$T_DIR/mods/sfwd.so"
e2e_check "kamailio -c etc/kamailio.cfg loads the in-tree sfwd.so" \
	kamailio -c -f "$SF_TOP/etc/kamailio.cfg" -L "$T_DIR/mods:$SF_KAM_MODDIR" \
	-A "SFWD_SIP_PORT=$E2E_SIP_PORT" -A "SFWD_DB_URL=\"$E2E_DB_URL\"" >"$T_DIR/check.log" 2>&1
e2e_check "... and the module's own folder builds it alone too (make -C src/modules/sfwd)" \
	bash -c "make -C '$tree/src/modules/sfwd' clean quiet=silent >/dev/null 2>&1; make -C '$tree/src/modules/sfwd' quiet=silent >'$T_DIR/build2.log' 2>&1 && test -f '$so'"
rm -rf "$tree"
e2e_end
