#!/bin/sh
# bkp drill: a real recovery of a full + incremental chain into a scratch
# directory (removed afterwards), the policy's check run on it; the JSON
# report's figures add up (phases sum to the RTO, the RPO is the drill's
# time minus the set's, the worst gap is the one between the two backups,
# made 50 h and 26 h ago under faketime); the report is signed, stored in
# the repository under drills/, and a changed byte fails --verify-report;
# a failing check, a missed RPO target and a damaged part each fail the
# drill (exit 5) with a report; the HTML page renders in headless Chromium
# without console errors; bkp run drills or reminds when [drill] every says
# so, and bkp status shows the last drill; a drill over SFTP.
. "$(dirname "$0")/lib.sh"
need_bkp
command -v faketime >/dev/null || skip "faketime is not installed"
# libfaketime also fakes file times in stat(); bkp must see the real ones.
NO_FAKE_STAT=1
# libfaketime is preloaded before the ASan runtime of a sanitizer build.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
TMPDIR=$T/tmp
export NO_FAKE_STAT ASAN_OPTIONS TMPDIR
mkdir -p "$TMPDIR" "$T/pol"

src=$T/src
mkdir -p "$src/d" "$src/db"
echo "hello drill" >"$src/d/a.txt"
python3 - "$src" <<'PY'
import os, random, sys
r = random.Random(7)
for i in range(40):
    with open(os.path.join(sys.argv[1], "db", "t%02d" % i), "wb") as f:
        f.write(r.randbytes(20000 + 1000 * i))
PY
bkp_keygen "$T/keys" >/dev/null
bkp_keygen "$T/other" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
pol=$T/drill.policy
write_policy "$pol" drill "$T/repo" "$T/keys" "$src"
cat >>"$pol" <<EOF
[drill]
key = $T/keys/repo.key
check = test "\$(cat "\$1$src/d/a.txt")" = "hello drill" && test "\$1" = "\$BKP_DRILL_TARGET"
rto_target = 30m
rpo_target = 27h
EOF
bkp policy check "$pol" || fail "the policy does not check"

log "a full 50 h ago and an incremental 26 h ago"
faketime -f "-$((50 * 3600))" "$BKP" backup --policy "$pol" --level full \
    >/dev/null || fail "the full backup failed"
echo "changed" >>"$src/db/t03"
faketime -f "-$((26 * 3600))" "$BKP" backup --policy "$pol" --level incr \
    >/dev/null || fail "the incremental backup failed"
bkp snapshots --repo "$T/repo" --json >"$T/snap.json"
full=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"][0]["id"])' "$T/snap.json")
incr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"][1]["id"])' "$T/snap.json")

# drill OUT ARGS...: bkp drill --json into OUT; the status is left in $rc.
drill() {
	_d_out=$1
	shift
	rc=0
	bkp drill --json "$@" >"$_d_out" 2>"$T/drill.err" || rc=$?
	cat "$T/drill.err" >&2
}

log "a drill of the newest set passes; its figures add up"
t0=$(date +%s.%N)
drill "$T/r1.json" --policy "$pol"
t1=$(date +%s.%N)
[ "$rc" -eq 0 ] || fail "bkp drill: exit $rc, expected 0"
python3 - "$T/r1.json" "$T/snap.json" "$t0" "$t1" "$incr" "$src" <<'PY' ||
import json, os, sys
r = json.load(open(sys.argv[1]))
snap = {s["id"]: s for s in json.load(open(sys.argv[2]))["sets"]}
t0, t1, incr, src = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
assert r["format"] == "bkp-drill-report" and r["version"] == 1, r
assert r["verdict"] == "pass" and r["reasons"] == [] and r["failures"] == 0, r
assert r["set"]["id"] == incr and r["set"]["level"] == "incremental", r
ph = r["phases"]
assert list(ph) == ["connect", "listing", "manifest", "restore", "load",
                    "check"], ph
assert all(v >= 0 for v in ph.values()) and ph["restore"] > 0, ph
assert ph["check"] > 0, "the check did not run"
assert abs(sum(ph.values()) - r["rto_seconds"]) < 1e-5, (ph, r["rto_seconds"])
assert r["rto_seconds"] <= t1 - t0, (r["rto_seconds"], t1 - t0)
# RPO: the drill's start minus the restored set's start (its seal).
rpo = (r["time_ns"] - snap[incr]["time_ns"]) / 1e9
assert abs(r["rpo_seconds"] - rpo) < 1e-3, (r["rpo_seconds"], rpo)
assert 26 * 3600 - 5 < r["rpo_seconds"] < 26 * 3600 + 120, r["rpo_seconds"]
assert r["time_ns"] / 1e9 >= t0 - 1, (r["time_ns"], t0)
w = r["rpo_window"]
assert w["sets"] == 2, w
assert abs(w["worst_gap_seconds"] - 24 * 3600) < 60, w
assert abs(w["newest_set_age_seconds"] - r["rpo_seconds"]) < 1e-3, w
rs = r["restore"]
assert rs["status"] == "ok" and rs["failed"] == 0 and rs["files"] == 41, rs
want = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(src)
           for f in fs)
assert rs["bytes_written"] == want, (rs, want)
assert rs["parts_read"] >= 2 and rs["bytes_read"] > 0, rs
assert r["check"]["status"] == "pass", r["check"]
assert r["targets"] == {"rto_seconds": 1800, "rpo_seconds": 27 * 3600}, r
assert not os.path.exists(r["target"]), "the scratch target was left"
assert r["target"].startswith(os.environ["TMPDIR"]), r["target"]
PY
	fail "the report's figures do not add up"
name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$T/r1.json")

log "the report: local and in the repository, signed"
for ext in json json.sig html; do
	[ -s "$BKP_STATE_DIR/drills/$name.$ext" ] ||
		fail "no $name.$ext in the state directory"
	cmp "$BKP_STATE_DIR/drills/$name.$ext" "$T/repo/drills/$name.$ext" ||
		fail "drills/$name.$ext differs between the repository and here"
done
# --json prints the signed bytes (and a newline).
printf '\n' | cat "$T/repo/drills/$name.json" - | cmp - "$T/r1.json" ||
	fail "bkp drill --json did not print the signed report"
expect_exit 0 bkp drill --verify-report "$T/repo/drills/$name.json" \
    --pub "$T/keys/repo.pub"
expect_exit 0 bkp drill --verify-report "$BKP_STATE_DIR/drills/$name.json" \
    --policy "$pol"
cp "$T/repo/drills/$name.json" "$T/tampered.json"
cp "$T/repo/drills/$name.json.sig" "$T/tampered.json.sig"
python3 - "$T/tampered.json" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b'"files":41')
d[i + 8] = ord("2")     # 41 -> 21: one byte
open(sys.argv[1], "wb").write(d)
PY
expect_exit 5 bkp drill --verify-report "$T/tampered.json" \
    --pub "$T/keys/repo.pub"
expect_exit 5 bkp drill --verify-report "$T/repo/drills/$name.json" \
    --pub "$T/other/repo.pub"
expect_exit 2 bkp drill --verify-report "$T/repo/drills/$name.json"

log "the HTML page renders, without console errors"
html=$BKP_STATE_DIR/drills/$name.html
grep -q '<svg' "$html" || fail "$html: no SVG chart"
! grep -qi '<script\|src="http\|href="http' "$html" ||
	fail "$html: not self-contained"
if command -v chromium >/dev/null; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --user-data-dir="$T/chrome" \
	    --enable-logging=stderr --v=0 --screenshot="$T/shot.png" \
	    --window-size=1200,900 "file://$html" >"$T/chrome.out" \
	    2>"$T/chrome.err" || { tail "$T/chrome.err" >&2;
	    fail "chromium: exit $?"; }
	! grep -E 'Uncaught|ERROR:CONSOLE|CONSOLE\(.*[Ee]rror' "$T/chrome.err" ||
		fail "console errors rendering $html"
	! grep -q 'Page load failed' "$T/chrome.err" || fail "$html did not load"
	python3 - "$T/shot.png" <<'PY' || fail "the screenshot is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev = zlib.decompress(idat), w * bpp, bytearray(w * bpp)
colours = set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 4))
    prev = line
green = [c for c in colours if c[1] > 100 and c[0] < 80 and c[2] < 80]
print("screenshot: %dx%d, %d colours sampled" % (w, h, len(colours)))
assert len(colours) > 1, "one colour only"
assert green, "no green PASS badge"
PY
else
	echo "SKIP (part): chromium is not installed (scripts/deps.sh test);" \
	    "the HTML page was not rendered" >&2
fi

log "--at picks the full set; --keep keeps the restored tree"
drill "$T/r2.json" --policy "$pol" --at "$(date -u -d '-30 hours' +%Y-%m-%dT%H:%M:%SZ)" \
    --target "$T/kept" --keep --report "$T/reports"
[ "$rc" -eq 0 ] || fail "bkp drill --at: exit $rc, expected 0"
python3 -c 'import json,sys; r = json.load(open(sys.argv[1]));
assert r["set"]["id"] == sys.argv[2] and r["kept"], r' "$T/r2.json" "$full" ||
	fail "--at did not restore the full set"
[ -d "$T/kept$src" ] || fail "--keep: the restored tree is gone"
[ "$(wc -c <"$T/kept$src/db/t03")" -eq 23000 ] ||
	fail "--at: the file changed later is not as it was in the full set"
[ -s "$T/reports/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$T/r2.json").html" ] ||
	fail "--report DIR: no page there"
expect_exit 2 bkp drill --policy "$pol" --target "$T/kept"

log "a failing check fails the drill (exit 5), with a report"
sed 's/hello drill/hello nobody/' "$pol" >"$T/fail.policy"
drill "$T/r3.json" --policy "$T/fail.policy"
[ "$rc" -eq 5 ] || fail "a failing check: exit $rc, expected 5"
python3 -c 'import json,sys; r = json.load(open(sys.argv[1]));
assert r["verdict"] == "fail" and r["check"]["status"] == "fail", r
assert r["failures"] == 1 and any("check" in x for x in r["reasons"]), r' \
    "$T/r3.json" || fail "the failed check is not in the report"
name3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$T/r3.json")
expect_exit 0 bkp drill --verify-report "$T/repo/drills/$name3.json" \
    --pub "$T/keys/repo.pub"

log "a missed RPO target fails the drill"
sed 's/^rpo_target = .*/rpo_target = 25h/' "$pol" >"$T/rpo.policy"
drill "$T/r4.json" --policy "$T/rpo.policy"
[ "$rc" -eq 5 ] || fail "a missed RPO target: exit $rc, expected 5"
python3 -c 'import json,sys; r = json.load(open(sys.argv[1]));
assert r["verdict"] == "fail" and r["failures"] == 0, r
assert len(r["reasons"]) == 1 and "RPO" in r["reasons"][0], r' "$T/r4.json" ||
	fail "the missed RPO target is not the reason"

log "a damaged part: its files fail their hash check, the drill fails"
cp -a "$T/repo" "$T/repo.good"
part=$T/repo/sets/$incr/part-000000
python3 - "$part" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x55]))
PY
drill "$T/r5.json" --policy "$pol"
[ "$rc" -eq 5 ] || fail "a damaged part: exit $rc, expected 5"
python3 -c 'import json,sys; r = json.load(open(sys.argv[1]));
assert r["verdict"] == "fail" and r["restore"]["failed"] > 0, r
assert r["check"]["status"] == "skipped", r' "$T/r5.json" ||
	fail "the damaged part is not in the report"
rm -rf "$T/repo"
mv "$T/repo.good" "$T/repo"

log "bkp run: remind, then drill when due; bkp status shows it"
# No RPO target: the backup bkp run makes two days ahead leaves a gap.
grep -v '^rpo_target' "$pol" >"$T/pol/drill.policy"
printf 'every = 1d\n' >>"$T/pol/drill.policy"
"$BKP" status --policies "$T/pol" --json >"$T/st1.json" 2>/dev/null || :
python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))[0]["drill"];
assert s["verdict"] == "fail" and s["last"] and not s["overdue"], s' \
    "$T/st1.json" || fail "bkp status does not show the last drill"
rc=0
faketime -f +2d "$BKP" run --policies "$T/pol" 2>"$T/run.err" || rc=$?
cat "$T/run.err" >&2
[ "$rc" -eq 1 ] || fail "bkp run with a drill due (remind): exit $rc"
grep -q 'recovery drill is due' "$T/run.err" || fail "bkp run did not remind"
n0=$(ls "$T/repo/drills" | grep -c '\.json$')
printf 'mode = run\n' >>"$T/pol/drill.policy"
rc=0
faketime -f +2d "$BKP" run --policies "$T/pol" >"$T/run.out" 2>"$T/run.err" ||
	rc=$?
cat "$T/run.err" >&2
[ "$rc" -eq 0 ] || fail "bkp run with a drill due (run): exit $rc"
[ ! -s "$T/run.out" ] && [ ! -s "$T/run.err" ] || fail "bkp run was not silent"
[ "$(ls "$T/repo/drills" | grep -c '\.json$')" -eq $((n0 + 1)) ] ||
	fail "bkp run did not drill"
faketime -f +2d "$BKP" status --policies "$T/pol" --json >"$T/st2.json" ||
	:
python3 -c 'import json,sys; s = json.load(open(sys.argv[1]))[0]["drill"];
assert s["verdict"] == "pass" and not s["overdue"], s' "$T/st2.json" ||
	fail "bkp status does not show the drill bkp run made"
rc=0
faketime -f +4d "$BKP" status --policies "$T/pol" >"$T/st3" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'recovery drill overdue' "$T/st3" ||
	fail "bkp status does not warn of an overdue drill (exit $rc)"
printf '[policy]\nname = x\n[source]\npaths = /x\n[repository]\nurl = /x\n[keys]\npublic = /k\nsigning = /k\n[drill]\nmode = run\n' \
    >"$T/nokey.policy"
"$BKP" policy check "$T/nokey.policy" 2>"$T/pc.err" && fail "mode = run without a key passed"
grep -q 'mode = run needs \[drill\] key' "$T/pc.err" || fail "no message for mode = run"

log "a drill over SFTP"
if [ -x /usr/sbin/sshd ]; then
	. "$ITDIR/sshd.sh"
	sshd_start
	url=$SFTP_URL_BASE$T/srepo
	bkp init --repo "$url" --pub "$T/keys/repo.pub" --identity "$SFTP_ID" \
	    --known-hosts "$SFTP_KNOWN_HOSTS" >/dev/null
	write_policy "$T/sftp.policy" sftp "$url" "$T/keys" "$src"
	sed -i "s|^url = .*|&\nidentity = $SFTP_ID\nknown_hosts = $SFTP_KNOWN_HOSTS|" \
	    "$T/sftp.policy"
	sed -n '/^\[drill\]/,$p' "$pol" >>"$T/sftp.policy"
	bkp backup --policy "$T/sftp.policy" >/dev/null
	drill "$T/r6.json" --policy "$T/sftp.policy"
	[ "$rc" -eq 0 ] || fail "a drill over SFTP: exit $rc"
	name6=$(python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))
assert r["verdict"] == "pass" and r["repository"].startswith("sftp://"), r
print(r["name"])' "$T/r6.json") || fail "the SFTP drill's report"
	expect_exit 0 bkp drill --verify-report "$T/srepo/drills/$name6.json" \
	    --pub "$T/keys/repo.pub"
else
	echo "SKIP (part): no /usr/sbin/sshd; no drill over SFTP" >&2
fi
echo "bkp drill: reports add up, are signed and stored, render; failures fail"
