#!/bin/sh
# The repository lock (locks/ in the repository): prune and destroy refuse
# (exit 11, naming host, pid and since) while a writer of another host or
# process holds a lock, and work once it is gone; a writer refuses while
# prune holds it exclusively; stale locks (not refreshed for 30 minutes; a
# gone or reused pid on this host) are taken over with a warning and an
# audit record; bkp run backs up and puts its pruning off; no lock is left
# after a backup that succeeds, fails or is interrupted (SIGINT); bkp
# unlock; an older repository without locks/; the same over SFTP.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=sshd.sh
. "$(dirname "$0")/sshd.sh"
need_bkp

SRC=$T/src
KEYS=$T/keys
REPO=$T/repo
HOST=$(hostname)
mkdir -p "$SRC" "$T/pol"
echo "some data" >"$SRC/f"
bkp_keygen "$KEYS" >/dev/null
bkp_init "$REPO" "$KEYS/repo.pub" >/dev/null
write_policy "$T/pol/a.policy" a "$REPO" "$KEYS" "$SRC"
P=$T/pol/a.policy

# put_lock DIR KIND HOST PID START AGE-SECONDS: a lock object in DIR/locks.
n=0
put_lock() {
	n=$((n + 1))
	mkdir -p "$1/locks"
	now=$(date +%s)
	printf '{"kind":"%s","host":"%s","what":"backup of policy other",' \
	    "$2" "$3" >"$1/locks/$(printf '%032x' $n)"
	printf '"pid":%s,"start":%s,"created":%s,"refreshed":%s}\n' "$4" \
	    "$5" $((now - $6 - 60)) $((now - $6)) >>"$1/locks/$(printf '%032x' $n)"
}
nlocks() {
	find "$1/locks" -type f 2>/dev/null | wc -l
}
# pid_start PID: the process's start as bkp records it.
pid_start() {
	python3 - "$1" <<'PY'
import os, sys
stat = open("/proc/%s/stat" % sys.argv[1]).read()
ticks = int(stat[stat.rindex(")") + 2:].split()[19])
btime = [int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime ")][0]
print(btime + ticks // os.sysconf("SC_CLK_TCK"))
PY
}
# slow_backup CMD...: starts CMD, a backup whose [stores] dump waits for
# $T/hold to go, in the background (pid in bpid, output in $T/bg.out and
# $T/bg.err), and returns once the dump has started.
slow_backup() {
	touch "$T/hold"
	rm -f "$T/started"
	"$@" >"$T/bg.out" 2>"$T/bg.err" &
	bpid=$!
	i=0
	until [ -e "$T/started" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "the backup did not start"
		sleep 0.1
	done
}

# lock_now REPO: "ID REFRESHED" of the one lock object in REPO, read again
# if the holder replaces it meanwhile (a refresh writes, then removes).
lock_now() {
	python3 - "$1/locks" <<'EOF'
import json, os, sys, time
for _ in range(50):
    seen = []
    for name in os.listdir(sys.argv[1]):
        try:
            with open(os.path.join(sys.argv[1], name)) as f:
                seen.append((name, json.load(f)["refreshed"]))
        except (FileNotFoundError, ValueError):
            pass
    if len(seen) == 1:
        print(seen[0][0], seen[0][1])
        sys.exit(0)
    time.sleep(0.05)
sys.exit("not one lock object: %r" % seen)
EOF
}

nsets() {
	find "$1/sets" -name seal | wc -l
}

log "an older repository (no locks/) works; nothing is left behind"
[ ! -e "$REPO/locks" ] || fail "init made locks/"
expect_exit 0 bkp backup --policy "$P" >/dev/null
[ "$(nlocks "$REPO")" -eq 0 ] || fail "a backup left its lock"

log "prune and destroy refuse while another host writes"
put_lock "$REPO" shared otherhost 4242 1 0
expect_exit 11 bkp prune --policy "$P" 2>"$T/err"
cat "$T/err" >&2
grep -q "in use by backup of policy other on host otherhost (pid 4242, since " \
    "$T/err" || fail "prune does not name the holder"
[ "$(grep -c "^bkp: " "$T/err")" -eq 1 ] || fail "more than one line"
set1=$(ls "$REPO/sets")
expect_exit 11 bkp destroy --policy "$P" --set "$set1" 2>"$T/err"
grep -q "otherhost (pid 4242" "$T/err" || fail "destroy does not name it"
[ "$(nsets "$REPO")" -eq 1 ] || fail "destroy deleted while locked"
[ "$(nlocks "$REPO")" -eq 1 ] || fail "a refused prune left its lock"
log "a dry run takes no lock; a writer shares it"
expect_exit 0 bkp prune --policy "$P" --dry-run >/dev/null
expect_exit 0 bkp backup --policy "$P" >/dev/null
bkp snapshots --repo "$REPO" >/dev/null || fail "snapshots needs a lock"

log "bkp run backs up and puts retention off"
mkdir "$T/runpol"
bkp_init "$T/repo2" "$KEYS/repo.pub" >/dev/null
write_policy "$T/runpol/r.policy" r "$T/repo2" "$KEYS" "$SRC"
put_lock "$T/repo2" shared otherhost 4242 1 0
expect_exit 1 "$BKP" run --policies "$T/runpol" 2>"$T/err"
cat "$T/err" >&2
grep -q "retention put off" "$T/err" || fail "run does not say so"
[ "$(nsets "$T/repo2")" -eq 1 ] || fail "run made no backup"
[ "$(nlocks "$T/repo2")" -eq 1 ] || fail "run left a lock"

log "bkp unlock keeps a held lock; prune works once it is gone"
bkp unlock --repo "$REPO" >"$T/out"
grep -q "held: backup of policy other on host otherhost" "$T/out" ||
	fail "unlock does not list the held lock"
[ "$(nlocks "$REPO")" -eq 1 ] || fail "unlock removed a held lock"
rm "$REPO/locks/"*
expect_exit 0 bkp prune --policy "$P" >/dev/null
[ "$(nlocks "$REPO")" -eq 0 ] || fail "prune left its lock"

log "a writer refuses while prune holds the lock"
put_lock "$REPO" exclusive otherhost 77 1 0
before=$(nsets "$REPO")
expect_exit 11 bkp backup --policy "$P" 2>"$T/err"
grep -q "locked by backup of policy other on host otherhost (pid 77," \
    "$T/err" || fail "backup does not name the holder"
[ "$(nsets "$REPO")" -eq "$before" ] || fail "a set was made"
[ "$(nlocks "$REPO")" -eq 1 ] || fail "the refused backup left its lock"
rm "$REPO/locks/"*

log "stale locks are taken over"
put_lock "$REPO" shared otherhost 4242 1 $((31 * 60))
sh -c 'exit 0' &
dead=$!
wait "$dead"
put_lock "$REPO" shared "$HOST" "$dead" 12345 0
sleep 600 &
live=$!
# this host, a live pid, but another start: a reused pid.
put_lock "$REPO" shared "$HOST" "$live" 12345 0
expect_exit 0 bkp prune --policy "$P" >/dev/null 2>"$T/err"
cat "$T/err" >&2
grep -q "removed the stale lock of .*otherhost.*not refreshed for 31 minutes" \
    "$T/err" || fail "no warning for the old lock"
grep -q "removed the stale lock of .*pid $dead.*is gone" "$T/err" ||
	fail "no warning for the dead pid"
grep -q "removed the stale lock of .*pid $live.*is gone" "$T/err" ||
	fail "no warning for the reused pid"
[ "$(grep -c '"event":"lock.takeover"' "$BKP_STATE_DIR/audit.log")" -eq 3 ] ||
	fail "takeovers are not in the audit trail"
[ "$(nlocks "$REPO")" -eq 0 ] || fail "stale locks remain"
log "a live process of this host holds its lock however old"
put_lock "$REPO" shared "$HOST" "$live" "$(pid_start "$live")" 7200
expect_exit 11 bkp prune --policy "$P" 2>/dev/null
kill "$live"
wait "$live" || :
expect_exit 0 bkp prune --policy "$P" >/dev/null 2>&1

log "bkp unlock: stale and damaged locks; --all"
put_lock "$REPO" shared otherhost 1 1 7200
echo garbage >"$REPO/locks/ffffffffffffffffffffffffffffffff"
put_lock "$REPO" shared otherhost 2 1 0
bkp unlock --repo "$REPO" >"$T/out"
grep -q "removed 2 lock(s); 1 held" "$T/out" || fail "unlock: $(cat "$T/out")"
bkp unlock --repo "$REPO" --all >"$T/out"
grep -q "removed 1 lock(s); 0 held" "$T/out" || fail "unlock --all"
[ "$(nlocks "$REPO")" -eq 0 ] || fail "unlock --all left a lock"
bkp unlock --help | grep -q -- "--all" || fail "unlock --help"

log "a real backup holds the lock while it runs"
cat >>"$P" <<EOF
[stores]
command = slow: sh -c 'touch $T/started; while [ -e $T/hold ]; do sleep 0.1; done; echo dump'
EOF
slow_backup "$BKP" backup --policy "$P"
# another policy's prune on the same repository
write_policy "$T/b.policy" b "$REPO" "$KEYS" "$SRC"
expect_exit 11 bkp prune --policy "$T/b.policy" 2>"$T/err"
grep -q "in use by backup of policy a on host $HOST (pid $bpid, since " \
    "$T/err" || fail "prune does not name the running backup: $(cat "$T/err")"
rm "$T/hold"
wait "$bpid" || fail "the backup failed"
[ "$(nlocks "$REPO")" -eq 0 ] || fail "the backup left its lock"
expect_exit 0 bkp prune --policy "$T/b.policy" >/dev/null

log "no lock left after a failure, or SIGINT"
sed -i 's/^command = .*/command = bad: sh -c "exit 3"/' "$P"
expect_exit 10 bkp backup --policy "$P" >/dev/null 2>&1
[ "$(nlocks "$REPO")" -eq 0 ] || fail "a failed backup left its lock"
sed -i "s|^command = .*|command = slow: sh -c 'touch $T/started; while [ -e $T/hold ]; do sleep 0.1; done; echo dump'|" "$P"
before=$(nsets "$REPO")
# a background job of a script ignores SIGINT: give it back its default
slow_backup env --default-signal=INT "$BKP" backup --policy "$P"
kill -INT "$bpid"
sleep 0.3
rm "$T/hold"
rc=0
wait "$bpid" || rc=$?
cat "$T/bg.err" >&2
[ "$rc" -eq 130 ] || fail "an interrupted backup exited $rc, not 130"
grep -q "interrupted" "$T/bg.err" || fail "no word of the interruption"
[ "$(nlocks "$REPO")" -eq 0 ] || fail "an interrupted backup left its lock"
[ "$(nsets "$REPO")" -eq "$before" ] || fail "an interrupted set was sealed"

log "refreshed while it runs, even in one long step"
# The slow dump writes no part: the lock is refreshed all the same.
slow_backup env BKP_LOCK_REFRESH_SECS=1 "$BKP" backup --policy "$P"
first=$(lock_now "$REPO")
sleep 3
second=$(lock_now "$REPO")
[ "${second% *}" != "${first% *}" ] ||
	fail "the lock was not refreshed during a long step: $first, $second"
[ "${second#* }" -gt "${first#* }" ] ||
	fail "refreshed did not advance: $first, $second"
rm "$T/hold"
wait "$bpid" || fail "the backup failed"
[ "$(nlocks "$REPO")" -eq 0 ] || fail "a refreshed lock was left"
sed -i '/^\[stores\]/,$d' "$P"

log "over SFTP"
sshd_start
R2=$T/remote
URL=$SFTP_URL_BASE$R2
SSHOPTS="--identity $SFTP_ID --known-hosts $SFTP_KNOWN_HOSTS"
# shellcheck disable=SC2086
bkp init --repo "$URL" --pub "$KEYS/repo.pub" $SSHOPTS >/dev/null
cat >"$T/s.policy" <<EOF
[policy]
name = s
[source]
paths = $SRC
[repository]
url = $URL
identity = $SFTP_ID
known_hosts = $SFTP_KNOWN_HOSTS
[keys]
public = $KEYS/repo.pub
signing = $KEYS/sign.key
EOF
expect_exit 0 bkp backup --policy "$T/s.policy" >/dev/null
[ "$(nlocks "$R2")" -eq 0 ] || fail "sftp: the backup left its lock"
put_lock "$R2" shared otherhost 4242 1 0
expect_exit 11 bkp prune --policy "$T/s.policy" 2>"$T/err"
grep -q "in use by backup of policy other on host otherhost (pid 4242" \
    "$T/err" || fail "sftp: prune does not name the holder"
[ "$(nlocks "$R2")" -eq 1 ] || fail "sftp: the refused prune left its lock"
rm "$R2/locks/"*
put_lock "$R2" exclusive otherhost 4243 1 0
expect_exit 11 bkp backup --policy "$T/s.policy" 2>"$T/err"
grep -q "locked by .*otherhost (pid 4243" "$T/err" ||
	fail "sftp: backup does not name the holder"
rm "$R2/locks/"*
put_lock "$R2" shared otherhost 4244 1 3600
expect_exit 0 bkp prune --policy "$T/s.policy" >/dev/null 2>"$T/err"
grep -q "removed the stale lock" "$T/err" || fail "sftp: no takeover"
put_lock "$R2" shared otherhost 4245 1 3600
# shellcheck disable=SC2086
bkp unlock --repo "$URL" $SSHOPTS >"$T/out"
grep -q "removed 1 lock(s); 0 held" "$T/out" || fail "sftp: unlock"
[ "$(nlocks "$R2")" -eq 0 ] || fail "sftp: a lock was left"
echo "repository locks keep prune from deleting under a writer"
