#!/bin/sh
# The hooks of bkp run: pre, post and on_failure see the policy, level,
# repository, set and status (never the passphrase); a failing or
# overrunning pre hook aborts that policy's backup only (exit 14), the
# other policies still run; bkp run is silent on success unless --verbose,
# and its --json output parses.
. "$(dirname "$0")/lib.sh"
need_bkp
# libfaketime also fakes file times in stat(); bkp must see the real ones.
NO_FAKE_STAT=1
export NO_FAKE_STAT
# libfaketime is preloaded before the ASan runtime of a sanitizer build.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

src=$T/src
mkdir -p "$src" "$T/ok" "$T/two" "$T/slow" "$T/phase"
echo "some data" >"$src/f"
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
[ -n "$BKP_PASSPHRASE" ] || fail "lib.sh did not export BKP_PASSPHRASE"

# sets POLICY: the ids of POLICY's sets, one a line.
sets() {
	"$BKP" snapshots --repo "$T/repo" --policy "$1" --json |
	    python3 -c '
import json, sys
s = json.load(sys.stdin)
assert not s["interrupted"], s["interrupted"]
for x in s["sets"]:
    print(x["id"])' || fail "cannot list the sets of $1"
}

# env_is FILE VAR VALUE: FILE (an env dump) has VAR=VALUE.
env_is() {
	grep -qx "$2=$3" "$1" ||
		{ grep '^BKP_' "$1" >&2; fail "$1: $2 is not '$3'"; }
}

# no_passphrase FILE: the env dump FILE has no passphrase in it.
no_passphrase() {
	[ -s "$1" ] || fail "$1: the hook did not run"
	! grep -q '^BKP_PASSPHRASE=' "$1" || fail "$1: a hook saw BKP_PASSPHRASE"
	! grep -qF "$BKP_PASSPHRASE" "$1" || fail "$1: a hook saw the passphrase"
}

# json_summary FILE POLICY=ACTION/STATUS...: bkp run's JSON in FILE lists
# exactly these policies with these actions and statuses, in this order,
# and prints POLICY SET lines.
json_summary() {
	_js_file=$1
	shift
	python3 - "$_js_file" "$@" <<'PY' || fail "$_js_file: not the JSON expected"
import json, sys
out = json.load(open(sys.argv[1]))
want = [a.replace("=", "/").split("/") for a in sys.argv[2:]]
assert isinstance(out, list) and len(out) == len(want), out
for o, (policy, action, status) in zip(out, want):
    assert set(o) == {"policy", "action", "set", "status", "next_due"}, o
    assert o["policy"] == policy and o["action"] == action, (o, policy, action)
    assert o["status"] == int(status), (o, status)
    assert (o["set"] != "") == (action in ("full", "incremental")), o
    print(policy, o["set"])
PY
}

log "pre and post see the policy, level, repository and set; silence"
write_policy "$T/ok/ok.policy" ok "$T/repo" "$T/keys" "$src"
# The full falls due in three days: the runs of tomorrow and the day after
# (under faketime) are incrementals.  The pre hook deletes the set named in
# $T/drop, if any.
cat >>"$T/ok/ok.policy" <<EOF
[schedule]
full = weekly $(date -d '+3 days' +%a)
[hooks]
pre = echo hello from pre; env >$T/pre.env; if [ -s $T/drop ]; then rm -r $T/repo/sets/\$(cat $T/drop); fi
post = echo hello from post; env >$T/post.env
on_failure = env >$T/ok-failure.env
EOF
rc=0
"$BKP" run --policies "$T/ok" >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err" >&2
[ "$rc" -eq 0 ] || fail "bkp run: exit $rc"
[ ! -s "$T/out" ] || fail "bkp run printed on stdout without --verbose"
[ ! -s "$T/err" ] || fail "bkp run printed on stderr without --verbose"
set1=$(sets ok)
[ "$(echo "$set1" | wc -w)" -eq 1 ] || fail "not one set: $set1"
env_is "$T/pre.env" BKP_POLICY ok
env_is "$T/pre.env" BKP_LEVEL full
env_is "$T/pre.env" BKP_REPOSITORY "$T/repo"
env_is "$T/pre.env" BKP_SET ""
env_is "$T/post.env" BKP_POLICY ok
env_is "$T/post.env" BKP_LEVEL full
env_is "$T/post.env" BKP_REPOSITORY "$T/repo"
env_is "$T/post.env" BKP_SET "$set1"
env_is "$T/post.env" BKP_STATUS success
no_passphrase "$T/pre.env"
no_passphrase "$T/post.env"
[ ! -e "$T/ok-failure.env" ] || fail "on_failure ran after a success"

# Nothing due: no hook runs, nothing is printed.
rm "$T/pre.env" "$T/post.env"
rc=0
"$BKP" run --policies "$T/ok" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] ||
	{ cat "$T/err" >&2; fail "a run with nothing due: exit $rc or output"; }
[ ! -e "$T/pre.env" ] && [ ! -e "$T/post.env" ] ||
	fail "hooks ran with nothing due"
[ "$(sets ok)" = "$set1" ] || fail "a run with nothing due made a set"

# The next day: an incremental, --verbose shows the hooks' output, --json
# parses.
if command -v faketime >/dev/null; then
	rc=0
	faketime -f +1d "$BKP" --verbose run --policies "$T/ok" --json \
	    >"$T/out.json" 2>"$T/err" || rc=$?
	cat "$T/err" >&2
	[ "$rc" -eq 0 ] || fail "bkp run the next day: exit $rc"
	set2=$(json_summary "$T/out.json" ok=incremental/0 | cut -d' ' -f2)
	[ "$(sets ok | tail -n 1)" = "$set2" ] ||
		fail "the JSON does not name the new set"
	env_is "$T/pre.env" BKP_LEVEL incremental
	env_is "$T/post.env" BKP_LEVEL incremental
	env_is "$T/post.env" BKP_SET "$set2"
	grep -qx "bkp: hook pre: hello from pre" "$T/err" ||
		fail "--verbose does not show the pre hook's output"
	grep -qx "bkp: hook post: hello from post" "$T/err" ||
		fail "--verbose does not show the post hook's output"

	# The day after: an incremental is due, but the pre hook deletes its
	# parent; the set made is a full, and post and the JSON say so.
	echo "$set2" >"$T/drop"
	rc=0
	faketime -f +2d "$BKP" run --policies "$T/ok" --json \
	    >"$T/out.json" 2>"$T/err" || rc=$?
	cat "$T/err" >&2
	rm "$T/drop"
	[ "$rc" -eq 0 ] || fail "bkp run without its parent: exit $rc"
	grep -q "parent set $set2 is gone from the repository; making a full backup" \
	    "$T/err" || fail "the missing parent is not reported"
	env_is "$T/pre.env" BKP_LEVEL incremental
	set3=$(json_summary "$T/out.json" ok=full/0 | cut -d' ' -f2)
	[ "$(sets ok | tail -n 1)" = "$set3" ] ||
		fail "the JSON does not name the full set"
	env_is "$T/post.env" BKP_LEVEL full
	env_is "$T/post.env" BKP_SET "$set3"
	"$BKP" snapshots --repo "$T/repo" --policy ok --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sets"][-1]
assert s["id"] == sys.argv[1] and s["level"] == "full", s' "$set3" ||
		fail "the set made without a parent is not a full"
else
	log "faketime is not installed: no next-day run"
fi

log "a failing pre hook; the next policy still runs"
write_policy "$T/two/a.policy" a "$T/repo" "$T/keys" "$src"
cat >>"$T/two/a.policy" <<EOF
[hooks]
pre = echo pre says no; exit 1
post = env >$T/a-post.env
on_failure = echo on_failure ran; env >$T/a-failure.env
EOF
write_policy "$T/two/b.policy" b "$T/repo" "$T/keys" "$src"
cat >>"$T/two/b.policy" <<EOF
[hooks]
post = env >$T/b-post.env
EOF
rc=0
"$BKP" run --policies "$T/two" --json >"$T/two.json" 2>"$T/err" || rc=$?
cat "$T/err" >&2
[ "$rc" -eq 14 ] || fail "a failed pre hook: exit $rc, expected 14"
[ -z "$(sets a)" ] || fail "a backup was made although the pre hook failed"
setb=$(sets b)
[ "$(echo "$setb" | wc -w)" -eq 1 ] ||
	fail "the second policy did not run after the first failed"
json_summary "$T/two.json" a=failed/14 b=full/0 >"$T/two.sets"
grep -qx "b $setb" "$T/two.sets" || fail "the JSON does not name b's set"
grep -qx "bkp: error: hook pre failed (exit 1): echo pre says no; exit 1" \
    "$T/err" || fail "the failed pre hook is not reported"
grep -qx "bkp: warning: hook pre: pre says no" "$T/err" ||
	fail "a failed hook's output is not shown"
grep -q "policy a: the pre hook failed; no backup made" "$T/err" ||
	fail "the skipped backup is not reported"
! grep -q "on_failure ran" "$T/err" ||
	fail "a successful on_failure hook's output was shown without --verbose"
! grep -q "policy b" "$T/err" || fail "policy b reported a problem"
[ ! -e "$T/a-post.env" ] || fail "the post hook ran after a failure"
env_is "$T/a-failure.env" BKP_POLICY a
env_is "$T/a-failure.env" BKP_STATUS failure
env_is "$T/a-failure.env" BKP_SET ""
env_is "$T/a-failure.env" BKP_LEVEL full
no_passphrase "$T/a-failure.env"
env_is "$T/b-post.env" BKP_POLICY b
env_is "$T/b-post.env" BKP_SET "$setb"
env_is "$T/b-post.env" BKP_STATUS success
grep -q '"policy":"a","action":"failed","set":"","status":14' \
    "$BKP_STATE_DIR/runs.log" || fail "runs.log does not record the failure"

log "a backup that fails: on_failure runs, the JSON says failed"
mkdir "$T/nokey"
write_policy "$T/nokey/nokey.policy" nokey "$T/repo" "$T/keys" "$src"
sed -i "s|^signing = .*|signing = $T/keys/gone.key|" "$T/nokey/nokey.policy"
cat >>"$T/nokey/nokey.policy" <<EOF
[hooks]
post = env >$T/nokey-post.env
on_failure = env >$T/nokey-failure.env
EOF
rc=0
"$BKP" run --policies "$T/nokey" --json >"$T/nokey.json" 2>"$T/err" || rc=$?
cat "$T/err" >&2
[ "$rc" -eq 14 ] || fail "a failed backup: exit $rc, expected 14"
grep -q "gone.key" "$T/err" || fail "the missing signing key is not reported"
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))[0]
assert o["action"] == "failed" and o["status"] not in (0, 1, 11), o' \
    "$T/nokey.json" || fail "a failed backup is not a failed action"
[ -z "$(sets nokey)" ] || fail "a failed backup left a set"
[ ! -e "$T/nokey-post.env" ] || fail "the post hook ran after a failed backup"
env_is "$T/nokey-failure.env" BKP_STATUS failure
env_is "$T/nokey-failure.env" BKP_POLICY nokey
env_is "$T/nokey-failure.env" BKP_SET ""
no_passphrase "$T/nokey-failure.env"

log "a pre hook past its timeout is killed, even if it ignores SIGTERM"
write_policy "$T/slow/slow.policy" slow "$T/repo" "$T/keys" "$src"
cat >>"$T/slow/slow.policy" <<EOF
[hooks]
pre = trap '' TERM; echo \$\$ >$T/slow.pid; echo slow hook started; sleep 30; touch $T/slow.survived
on_failure = echo "\$BKP_STATUS" >$T/slow.status
timeout = 2s
EOF
t0=$(date +%s%N)
rc=0
"$BKP" run --policies "$T/slow" 2>"$T/err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
cat "$T/err" >&2
[ "$rc" -eq 14 ] || fail "a hook past its timeout: exit $rc, expected 14"
[ "$ms" -ge 2000 ] || fail "the hook was killed after $ms ms, before 2 s"
[ "$ms" -lt 6000 ] || fail "the hook was killed only after $ms ms"
grep -qx "bkp: error: hook pre: killed after 2 s: trap '' TERM; echo \$\$ >$T/slow.pid; echo slow hook started; sleep 30; touch $T/slow.survived" \
    "$T/err" || fail "the killed hook is not reported"
grep -qx "bkp: warning: hook pre: slow hook started" "$T/err" ||
	fail "the killed hook's output is not shown"
[ "$(grep -c '^bkp: warning: hook pre: ' "$T/err")" -eq 1 ] ||
	fail "more output from the killed hook than it wrote"
pid=$(cat "$T/slow.pid")
! kill -0 "$pid" 2>/dev/null || fail "the hook's shell still runs"
! pgrep -s "$pid" >/dev/null || fail "the hook's sleep still runs"
[ -z "$(sets slow)" ] || fail "a backup was made after the hook timed out"
[ "$(cat "$T/slow.status")" = failure ] ||
	fail "on_failure did not run with BKP_STATUS=failure"
sleep 1
[ ! -e "$T/slow.survived" ] || fail "the hook went on after its timeout"

log "a hook that closes its output is still held to its timeout"
mkdir "$T/quiet"
write_policy "$T/quiet/quiet.policy" quiet "$T/repo" "$T/keys" "$src"
cat >>"$T/quiet/quiet.policy" <<EOF
[hooks]
pre = exec >/dev/null 2>&1; echo \$\$ >$T/quiet.pid; sleep 30
timeout = 2s
EOF
t0=$(date +%s%N)
rc=0
"$BKP" run --policies "$T/quiet" 2>"$T/err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
cat "$T/err" >&2
[ "$rc" -eq 14 ] || fail "a silent hook past its timeout: exit $rc, expected 14"
[ "$ms" -lt 6000 ] || fail "a silent hook was waited for $ms ms"
grep -qx "bkp: error: hook pre: killed after 2 s: exec >/dev/null 2>&1; echo \$\$ >$T/quiet.pid; sleep 30" \
    "$T/err" || fail "the killed silent hook is not reported"
! kill -0 "$(cat "$T/quiet.pid")" 2>/dev/null || fail "the silent hook still runs"
[ -z "$(sets quiet)" ] || fail "a backup was made after the hook timed out"

log "a hook that ends just before its timeout is not killed"
# The timeout counts from the hook's start, not from a whole second: start
# the run late in a second, with a hook that writes something after 0.3 s
# and ends after 1.5 s of its 2.
write_policy "$T/phase/phase.policy" phase "$T/repo" "$T/keys" "$src"
cat >>"$T/phase/phase.policy" <<EOF
[hooks]
pre = sleep 0.3; echo working; sleep 1.2
timeout = 2s
EOF
until [ "$(date +%N)" -ge 850000000 ]; do :; done
rc=0
"$BKP" run --policies "$T/phase" 2>"$T/err" || rc=$?
cat "$T/err" >&2
[ "$rc" -eq 0 ] || fail "a hook within its timeout: exit $rc"
[ -n "$(sets phase)" ] || fail "no backup after a hook within its timeout"
echo "hooks see what they should, failures stop only their policy," \
    "timeouts kill, bkp run is silent on success"
