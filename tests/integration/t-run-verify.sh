#!/bin/sh
# bkp run verifies: [verify] after_backup after each backup, [verify] weekly
# when the repository was not verified at that level within seven days;
# problems fail the policy's run and reach the [notify] command; bkp status
# shows the last verify and the share of stored bytes re-read.  With
# [verify] compare_source = yes the run's verify also compares the restored
# files with their live sources, and a source gone bad beneath the file
# system (bitrot.so, see t-verify-source.sh) fails the run.
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

log "[verify] compare_source = yes"
src2=$T/src2
mkdir -p "$src2" "$T/pol2"
seq 1 5000 >"$src2/c"
seq 7 9000 >"$src2/d"
bkp_init "$T/repo2" "$T/keys/repo.pub" >/dev/null
write_policy "$T/pol2/c.policy" c "$T/repo2" "$T/keys" "$src2"
printf '%s\n' "$BKP_PASSPHRASE" >"$T/passphrase"
cat >>"$T/pol2/c.policy" <<POLICY
[verify]
after_backup = sample:100%
weekly = full
key = $T/keys/repo.key
passphrase_file = $T/passphrase
compare_source = yes
[notify]
command = echo "\$BKP_POLICY \$BKP_LEVEL \$BKP_STATUS" >> $T/notified2
POLICY
# The verify's summary line reaches stdout with --verbose.
"$BKP" --verbose run --policies "$T/pol2" >"$T/out2" 2>"$T/err2" ||
	{ cat "$T/err2" >&2; fail "run with compare_source failed"; }
grep -q "verify --level sample:100% --compare-source" "$T/err2" ||
	fail "the run did not start its verify with --compare-source"
grep -q "sources: 2 compared, 0 differ, 0 skipped (source changed), 0 skipped (nothing to compare): 0 problems" \
    "$T/out2" || fail "no source comparison in the summary: $(cat "$T/out2")"
python3 - "$BKP_STATE_DIR/verify.log" "$T/repo2" <<'PY' ||
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
recs = [r for r in recs if r["repo"] == sys.argv[2]]
assert len(recs) == 1 and recs[0]["level"] == "sample", recs
assert recs[0]["source_compared"] == 2, recs
assert recs[0]["source_differ"] == 0 and recs[0]["problems"] == 0, recs
PY
	fail "verify.log does not record the source comparison"
[ ! -e "$T/notified2" ] || fail "a good run was notified: $(cat "$T/notified2")"

CC=${CC_FOR_TESTS:-cc}
if command -v "$CC" >/dev/null &&
    "$CC" -shared -fPIC -O2 -o "$T/bitrot.so" "$ITDIR/bitrot.c" -ldl; then
	# Nothing is due but the weekly full verify (the log is emptied), and
	# a live file reads differently from its backup, unchanged.
	: >"$BKP_STATE_DIR/verify.log"
	rc=0
	BITROT_PATH=$src2/c LD_PRELOAD=$T/bitrot.so \
	    "$BKP" run --json --policies "$T/pol2" >"$T/json2" 2>"$T/err2" ||
	    rc=$?
	[ "$rc" -eq 14 ] ||
		{ cat "$T/err2" >&2; fail "source differs: exit $rc, expected 14"; }
	grep -q "error: .*: part [0-9]*: ${src2#/}/c: source differs" \
	    "$T/err2" || fail "the differing source is not named: $(cat "$T/err2")"
	python3 - "$T/json2" "$BKP_STATE_DIR/verify.log" <<'PY' ||
import json, sys
run = json.load(open(sys.argv[1]))
pol = [p for p in (run["policies"] if isinstance(run, dict) else run)
       if p["policy"] == "c"]
assert pol[0]["action"] == "nothing" and pol[0]["status"] == 16, run
recs = [json.loads(l) for l in open(sys.argv[2])]
assert len(recs) == 1 and recs[0]["level"] == "full", recs
assert recs[0]["source_compared"] == 2, recs
assert recs[0]["source_differ"] == 1, recs
PY
		fail "the run's JSON or verify.log does not show the difference"
	grep -qx "c nothing a source file differs from its backup" \
	    "$T/notified2" || fail "notify: $(cat "$T/notified2" 2>&1)"
else
	log "no C compiler for bitrot.so: no silent corruption case"
fi
echo "bkp run verifies after backups and weekly; problems are notified"
