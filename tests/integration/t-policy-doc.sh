#!/bin/sh
# Every key of the policy table (lib/policy.c) is documented in
# bkp-policy(5): as an item ".TP" / ".B key" between ".SS [section]" and
# the next .SS, and in the SYNOPSIS under its [section].  Also the other way
# round: every .SS [section] of the page is a section of the table.
# POLICY_C and POLICY_MAN name other files to check (to try the test).
. "$(dirname "$0")/lib.sh"

top=$srcdir
[ -f "$top/lib/policy.c" ] || top=$ITDIR/../..
policy_c=${POLICY_C:-$top/lib/policy.c}
man=${POLICY_MAN:-$top/docs/man/bkp-policy.5}
[ -f "$policy_c" ] || fail "no $policy_c"
[ -f "$man" ] || fail "no $man"

# The table: lines such as
#	{ "verify", "after_backup", K_VERIFY, F(verify_after), 0, 0, 0 },
# between "keys[] = {" and its "};", one "section key" per line.
sed -n '/^static const struct key_def keys\[\] = {$/,/^};$/p' "$policy_c" |
    sed -n 's/^[[:space:]]*{ *"\([a-z_]*\)", *"\([a-z_]*\)",.*/\1 \2/p' \
    >"$T/keys"
n=$(wc -l <"$T/keys")
[ "$n" -ge 40 ] || fail "only $n keys found in $policy_c: has the table moved?"
cut -d' ' -f1 "$T/keys" | uniq >"$T/sections"

# The items of each .SS section: "section key" per line.
awk '
/^\.SS / {
	sec = ""
	if (match($0, /^\.SS \[[a-z_]+\]$/))
		sec = substr($0, 6, length($0) - 6)
	next
}
/^\.SH / { sec = ""; next }
sec != "" && prev == ".TP" && /^\.B [a-z_]+$/ { print sec, $2 }
{ prev = $0 }
' "$man" | sort -u >"$T/items"

# The SYNOPSIS, between .nf and .fi: "section key" per line.
awk '
/^\.SH SYNOPSIS/ { on = 1; next }
on && /^\.fi/ { exit }
on && /^\[[a-z_]+\]$/ { sec = substr($0, 2, length($0) - 2); next }
on && sec != "" && /^[a-z_]+ = / { print sec, $1 }
' "$man" | sort -u >"$T/synopsis"

missing=0
while read -r section key; do
	if ! grep -qxF "$section $key" "$T/items"; then
		echo "bkp-policy.5: [$section] $key is not an item (.TP, .B $key) of .SS [$section]" >&2
		missing=$((missing + 1))
	fi
	if ! grep -qxF "$section $key" "$T/synopsis"; then
		echo "bkp-policy.5: [$section] $key is not in the SYNOPSIS under [$section]" >&2
		missing=$((missing + 1))
	fi
done <"$T/keys"

# Sections the page describes that the parser does not know.
sed -n 's/^\.SS \[\([a-z_]*\)\]$/\1/p' "$man" | while read -r section; do
	grep -qxF "$section" "$T/sections" ||
		echo "bkp-policy.5: .SS [$section] is not a section of the policy table" >&2
done 2>&1 | tee "$T/extra" >&2
[ ! -s "$T/extra" ] || missing=$((missing + 1))

[ "$missing" -eq 0 ] || fail "$missing gaps between $policy_c and $man"
echo "bkp-policy(5) documents all $n keys of the policy table"
