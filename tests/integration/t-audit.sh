#!/bin/sh
# t-audit.sh: the audit trail.  A day of work (backups, a restore, a
# verify, a prune that deletes a set) leaves the records it should, chained
# and signed; every kind of tampering is found and the first broken record
# named (an edited, a deleted, a reordered record, a cut tail, a forged
# signature, a rebuilt chain, records cut at a line boundary); the copy
# shipped to the repository agrees with the local log; the log is rotated
# without breaking the chain, and old renamed logs expire after 180 days
# only; secrets-looking arguments are redacted.
. "$(dirname "$0")/lib.sh"
need_bkp

LOG=$BKP_STATE_DIR/audit.log
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
mkdir -p "$T/src/d"
echo one >"$T/src/a"
echo two >"$T/src/d/b"
write_policy "$T/p" share "$T/repo" "$T/keys" "$T/src"
printf '[retention]\nkeep_last = 1\nmin_versions = 3\n' >>"$T/p"

# check ARGS...: the log (sys.argv[1]) checked by the Python snippet on
# stdin.
check() {
	python3 - "$LOG" "$@" || fail "records: $*"
}

log "a day: full, incremental, restore, verify, full, incr, full, prune"
bkp backup --policy "$T/p" --level full >/dev/null
first=$(ls "$T/repo/sets")
echo three >"$T/src/c"
bkp backup --policy "$T/p" >/dev/null
bkp restore --repo "$T/repo" --key "$T/keys/repo.key" --target "$T/out" \
    "$T/src/d/" >/dev/null 2>&1
bkp verify --repo "$T/repo" --level hashes >/dev/null
bkp backup --policy "$T/p" --level full >/dev/null
echo four >"$T/src/d/e"
bkp backup --policy "$T/p" >/dev/null
bkp backup --policy "$T/p" --level full >/dev/null
bkp prune --policy "$T/p" >/dev/null
[ ! -e "$T/repo/sets/$first" ] || fail "prune deleted nothing"
[ "$(stat -c %a "$LOG")" = 600 ] || fail "the log is not mode 0600"
check "$first" "$T" "$T/src/d/" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
first, T, pattern = sys.argv[2], sys.argv[3], sys.argv[4]
ev = [r["event"] for r in recs]
def one(name, **kw):
    m = [r for r in recs if r["event"] == name and
         all(r.get(k) == v for k, v in kw.items())]
    assert m, (name, kw)
    return m
for r in recs:
    for k in ("seq", "prev", "log", "time", "host", "uid", "user", "cmd"):
        assert k in r, (k, r)
assert [r["seq"] for r in recs] == list(range(1, len(recs) + 1))
assert ev.count("begin") == ev.count("end") == 10, ev
one("policy.change", policy="share", note="first use of this policy here")
b = one("backup.end", policy="share", what="full", result="success")
assert b[0]["set"] == first and b[0]["bytes"] > 0, b
one("backup.end", what="incremental")
r = one("restore", target=T + "/out", result="success")[0]
assert r["patterns"] == [pattern] and r["what"].startswith("the paths"), r
assert r["cmd"].startswith("bkp restore --repo "), r
one("verify", what="hashes", count=2)
one("prune.delete", set=first, policy="share")
assert len(one("prune.delete", policy="share")) == 2	# the full, its incr
one("prune", policy="share", count=2)
# Every command with a policy ends with a signed checkpoint; the others
# say that their head is not signed.
for r in recs:
    if r["event"] == "end" and r["command"] in ("backup", "prune"):
        assert r["note"].startswith("head signed by"), r
    elif r["event"] == "end":
        assert r["note"].startswith("head not signed"), r
assert ev.count("checkpoint") == 6, ev
assert ev[-1] == "checkpoint" and recs[-1]["head_seq"] == recs[-2]["seq"]
PY
bkp audit verify --pub "$T/keys/repo.pub" >"$T/v.out" ||
	fail "the untouched log does not verify"
grep -q "chain intact" "$T/v.out" || fail "verify: $(cat "$T/v.out")"

log "shipped copies: one object per command that changed the repository"
[ "$(ls "$T/repo/audit" | wc -l)" -eq 6 ] ||
	fail "expected 6 shipped objects: $(ls "$T/repo/audit")"
bkp audit verify --repo "$T/repo" --local --pub "$T/keys/repo.pub" \
    >"$T/v.out" || fail "the shipped copy does not verify"
grep -q "equal to the local log" "$T/v.out" || fail "$(cat "$T/v.out")"

log "show: filters"
bkp audit show --event prune.delete --json >"$T/show" || fail "show"
[ "$(wc -l <"$T/show")" -eq 2 ] && grep -q "\"set\":\"$first\"" "$T/show" ||
	fail "show --event: $(cat "$T/show")"
bkp audit show --policy share >"$T/show" || fail "show --policy"
grep -q "backup.end .*policy=share" "$T/show" || fail "show: $(cat "$T/show")"
! grep -q " restore " "$T/show" || fail "show --policy kept other records"
bkp audit show --since 2200-01-01 >"$T/show" || fail "show --since"
[ ! -s "$T/show" ] || fail "show --since: $(cat "$T/show")"

log "redaction: a secret-looking value never reaches the log"
expect_exit 2 "$BKP" restore --passphrase=hunter2 --target "$T/x" \
    --repo sftp://alice:s3cret@host/repo 2>/dev/null
! grep -q 'hunter2\|s3cret' "$LOG" || fail "a secret reached the log"
grep -q -- '--passphrase=\*\*\* ' "$LOG" && grep -q 'alice:\*\*\*@host' "$LOG" ||
	fail "the redacted arguments are not in the log"

log "a lock left by a dead run, and a policy change"
echo "host elsewhere pid 1 started 1" >"$BKP_STATE_DIR/share.lock"
echo "# changed" >>"$T/p"
bkp backup --policy "$T/p" >/dev/null 2>&1
check <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
t = [r for r in recs if r["event"] == "lock.takeover"]
assert t and t[-1]["note"] == "host elsewhere pid 1 started 1", t
c = [r for r in recs if r["event"] == "policy.change"]
assert len(c) == 2 and c[1]["note"] == "was " + c[0]["what"], c
PY

log "a failure: its status and first error are recorded"
sed "s|$T/repo|$T/nowhere|" "$T/p" >"$T/p-bad"
expect_exit 8 "$BKP" backup --policy "$T/p-bad" 2>/dev/null
check <<'PY'
import json, sys
e = [r for r in map(json.loads, open(sys.argv[1])) if r["event"] == "end"][-1]
assert e["command"] == "backup" and e["status"] == 8, e
assert e["result"] == "repository error" and "nowhere" in e["error"], e
PY

bkp audit verify --pub "$T/keys/repo.pub" >/dev/null ||
	fail "the log does not verify"

# tamper NAME SEQ-NAMED WHAT PYTHON: a copy of the log changed by PYTHON
# (lines in L), which verify must refuse, naming SEQ-NAMED and WHAT.
tamper() {
	_t_name=$1 _t_seq=$2 _t_what=$3
	python3 - "$LOG" "$T/t-$_t_name" "$4" <<'PY'
import hashlib, json, sys
L = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
def h(line):
    return hashlib.blake2b(line, digest_size=32).hexdigest().encode()
exec(sys.argv[3])
open(sys.argv[2], "wb").write(out if "out" in dir() else b"\n".join(L) + b"\n")
PY
	rc=0
	"$BKP" audit verify --pub "$T/keys/repo.pub" "$T/t-$_t_name" \
	    >/dev/null 2>"$T/t-$_t_name.err" || rc=$?
	cat "$T/t-$_t_name.err" >&2
	[ "$rc" -eq 5 ] || fail "$_t_name: verify exit $rc, expected 5"
	grep -q ":$_t_seq: first broken record: .*$_t_what" \
	    "$T/t-$_t_name.err" || fail "$_t_name: not reported as expected"
	[ "$(grep -c 'first broken' "$T/t-$_t_name.err")" -eq 1 ] ||
		fail "$_t_name: more than the first broken record reported"
}

log "tampering: each kind is found, the first broken record named"
tamper edited "11: seq 11" "seq 10.*altered" \
    'L[9] = L[9].replace(b"\"user\":\"", b"\"user\":\"x")'
tamper deleted "10: seq 11" "after seq 9: 1 record" 'del L[9]'
tamper reordered "10: seq 11" "after seq 9" 'L[9], L[10] = L[10], L[9]'
tamper truncated "$(wc -l <"$LOG")" "cut short" \
    'out = b"\n".join(L)[:-20]'
n=$(grep -n '"event":"checkpoint"' "$LOG" | tail -1 | cut -d: -f1)
tamper forged "$n: seq $n" "bad signature" "
import re
i = $n - 1
L[i] = re.sub(rb'\"sig\":\"(.)', lambda m: b'\"sig\":\"' +
    (b'0' if m.group(1) != b'0' else b'1'), L[i])"
# A rebuilt chain: record 10 edited, every later prev recomputed (and the
# checkpoints' heads): only the signatures can tell.
first_cp=$(grep -n '"event":"checkpoint"' "$LOG" | awk -F: '$1 > 10 { print $1; exit }')
tamper rebuilt "$first_cp: seq $first_cp" "bad signature" '
L[9] = L[9].replace(b"\"user\":\"", b"\"user\":\"x")
for i in range(10, len(L)):
    r = json.loads(L[i])
    old = r["prev"].encode()
    new = h(L[i - 1])
    L[i] = L[i].replace(b"\"prev\":\"" + old, b"\"prev\":\"" + new)
    if r["event"] == "checkpoint":
        L[i] = L[i].replace(b"\"head\":\"" + old, b"\"head\":\"" + new)'

log "signed by another key: refused with --pub"
bkp_keygen "$T/other" >/dev/null
rc=0
"$BKP" audit verify --pub "$T/other/repo.pub" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 5 ] && grep -q "none of the keys given with --pub" "$T/err" ||
	fail "a checkpoint by an unknown key was accepted (exit $rc)"

log "records cut at a line boundary: only the offsite copy can tell"
cp "$LOG" "$T/full.log"
bkp backup --policy "$T/p" >/dev/null
last_ok=$(wc -l <"$T/full.log")
head -n "$last_ok" "$LOG" >"$T/cut.log"
"$BKP" audit verify "$T/cut.log" >/dev/null ||
	fail "a log cut at a line boundary does not verify locally"
rc=0
"$BKP" audit verify --repo "$T/repo" "$T/cut.log" >/dev/null 2>"$T/err" ||
	rc=$?
cat "$T/err" >&2
[ "$rc" -eq 5 ] && grep -q "beyond the local log's last record" "$T/err" ||
	fail "the cut log was not found against the shipped copy (exit $rc)"
# And an altered shipped copy is found too.
obj=$(ls "$T/repo/audit" | tail -1)
chmod u+w "$T/repo/audit/$obj"
sed -i '1s/"user":"/"user":"x/' "$T/repo/audit/$obj"
rc=0
"$BKP" audit verify --repo "$T/repo" --local >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 5 ] && grep -q "differs from the local log" "$T/err" ||
	fail "an altered shipped record was not found (exit $rc)"

log "rotation: audit.log.N, the chain unbroken across files"
BKP_AUDIT_ROTATE_SIZE=4000
export BKP_AUDIT_ROTATE_SIZE
for i in 1 2 3 4 5 6 7 8 9 10; do
	bkp snapshots --repo "$T/repo" >/dev/null
done
[ -f "$LOG.1" ] && [ -f "$LOG.2" ] || fail "the log was not rotated"
[ "$(stat -c %a "$LOG.1")" = 600 ] || fail "a renamed log is not 0600"
python3 - "$LOG.1" "$LOG.2" <<'PY' || fail "the new log does not follow the old"
import hashlib, json, sys
last = open(sys.argv[1], "rb").read().split(b"\n")[-2]
first = json.loads(open(sys.argv[2], "rb").readline())
assert first["event"] == "log.rotate" and first["previous"] == "audit.log.1"
assert first["prev"] == hashlib.blake2b(last, digest_size=32).hexdigest()
assert first["seq"] == json.loads(last)["seq"] + 1
PY
bkp audit verify --pub "$T/keys/repo.pub" >"$T/v.out" ||
	fail "the rotated logs do not verify"
grep -q "^[0-9]* file(s)" "$T/v.out" && ! grep -q "^1 file" "$T/v.out" ||
	fail "verify did not read every file: $(cat "$T/v.out")"

log "retention: renamed logs go only once older than 180 days"
touch -d '181 days ago' "$LOG.1"
touch -d '179 days ago' "$LOG.2"
n=$(ls "$BKP_STATE_DIR"/audit.log.* | sed 's/.*\.//' | sort -n | tail -1)
while [ ! -e "$LOG.$((n + 1))" ]; do
	bkp snapshots --repo "$T/repo" >/dev/null
done
[ ! -e "$LOG.1" ] || fail "a renamed log older than 180 days was kept"
[ -e "$LOG.2" ] || fail "a renamed log newer than 180 days was deleted"
bkp audit verify --pub "$T/keys/repo.pub" >/dev/null ||
	fail "the logs left do not verify"
unset BKP_AUDIT_ROTATE_SIZE

echo "audit trail: records, chain, signatures, offsite copy, rotation"
