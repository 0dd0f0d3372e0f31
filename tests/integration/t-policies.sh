#!/bin/sh
# Every example policy in policies/ is valid, and bkp policy check reports
# problems as file:line, all at once.
. "$(dirname "$0")/lib.sh"
need_bkp
top=$(cd "$ITDIR/../.." && pwd)
for p in "$top"/policies/*.policy; do
	bkp policy check --syntax-only "$p" >/dev/null || fail "$p is not valid"
done

cat >"$T/bad.policy" <<'POLICY'
[policy]
name = bad
colour = blue
[source]
paths = relative/path
one_file_system = maybe
[backup]
part_size = lots
POLICY
rc=0
"$BKP" policy check "$T/bad.policy" 2>"$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "bad policy: exit $rc, expected 3"
grep -q "bad.policy:3: unknown key 'colour' in section \[policy\]" "$T/err" ||
	fail "no line-numbered error for the unknown key"
grep -q "bad.policy:6: .*one_file_system = maybe: expected yes or no" \
	"$T/err" || fail "no line-numbered error for the bad boolean"
grep -q "bad.policy:8: .*part_size = lots" "$T/err" ||
	fail "no line-numbered error for the bad size"
[ "$(wc -l <"$T/err")" -ge 3 ] || fail "errors were not all reported at once"
echo "example policies valid; errors name file:line"
