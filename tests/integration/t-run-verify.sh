#!/bin/sh
# bkp run verifies: [verify] after_backup after each backup, [verify] weekly
# when the repository was not verified at that level within seven days;
# problems fail the policy's run and reach the [notify] command; bkp status
# shows the last verify and the share of stored bytes re-read.
. "$(dirname "$0")/lib.sh"
need_bkp

src=$T/src
mkdir -p "$src" "$T/pol"
seq 1 20000 >"$src/a"
seq 5 30000 >"$src/b"
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/pol/v.policy" v "$T/repo" "$T/keys" "$src"
cat >>"$T/pol/v.policy" <<POLICY
[verify]
after_backup = sample:100%
weekly = hashes
key = $T/keys/repo.key
[notify]
command = echo "\$BKP_POLICY \$BKP_STATUS" >> $T/notified
POLICY

"$BKP" run --policies "$T/pol" >"$T/out1" 2>&1 || fail "first run failed"
[ ! -s "$T/out1" ] || fail "a good run printed something: $(cat "$T/out1")"
python3 - "$BKP_STATE_DIR/verify.log" <<'PY' || fail "no sample verify after the backup"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1 and recs[0]["level"] == "sample", recs
assert recs[0]["files_checked"] == 2 and recs[0]["problems"] == 0, recs
PY

# Nothing due, and a verify within the week: nothing runs.
"$BKP" run --policies "$T/pol" || fail "idle run failed"
[ "$(wc -l <"$BKP_STATE_DIR/verify.log")" -eq 1 ] ||
	fail "a verify ran although one was recorded this week"

# Damage a part; with no recent verify the weekly hashes check finds it.
part=$(ls "$T"/repo/sets/*/part-000000 | head -n 1)
python3 - "$part" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(200)
    b = f.read(1)
    f.seek(200)
    f.write(bytes([b[0] ^ 0xFF]))
PY
: >"$BKP_STATE_DIR/verify.log"
rc=0
"$BKP" run --policies "$T/pol" 2>"$T/err" || rc=$?
[ "$rc" -eq 14 ] || fail "damage found by verify: exit $rc, expected 14"
grep -q "part 0: content does not match the seal's hash" "$T/err" ||
	fail "the damaged part is not named: $(cat "$T/err")"
grep -q "^v corrupt or not authentic$" "$T/notified" ||
	fail "the notify command was not told"

rc=0
"$BKP" status --policies "$T/pol" >"$T/status" || rc=$?
[ "$rc" -eq 1 ] || fail "status with problems: exit $rc, expected 1"
grep -q "last verify .* (PROBLEMS)" "$T/status" ||
	fail "status does not show the failed verify: $(cat "$T/status")"
grep -q "the last verify found problems" "$T/status" ||
	fail "status does not warn about the failed verify"
echo "bkp run verifies after backups and weekly; problems are notified"
