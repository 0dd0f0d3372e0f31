#!/bin/sh
# Faults on the SFTP transport: the server killed in the middle of a large
# backup, and the server frozen (SIGSTOP) in the middle of one.  Either way
# bkp must exit non-zero within a bounded time (a frozen server costs the
# deadline, BKP_SSH_TIMEOUT), the repository must still list only sealed
# sets and restore the earlier one, and the next backup must succeed.
# Reconnecting is off here (retry_attempts = 0); t-sftp-retry.sh tests it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=sshd.sh
. "$(dirname "$0")/sshd.sh"
need_bkp
sshd_start

SRC=$T/src
KEYS=$T/keys
REMOTE=$T/remote
URL=$SFTP_URL_BASE$REMOTE
POLICY=$T/policy.ini
SSHOPTS="--identity $SFTP_ID --known-hosts $SFTP_KNOWN_HOSTS"
BIG_MB=${BIG_MB:-160}

mkdir -p "$SRC/small"
python3 - "$SRC/small" <<'EOF'
import os, sys
for i in range(200):
    with open(os.path.join(sys.argv[1], "s%03d" % i), "w") as f:
        f.write("small file %d\n" % i * (i % 9 + 1))
EOF
bkp_keygen "$KEYS" >/dev/null
# shellcheck disable=SC2086
bkp init --repo "$URL" --pub "$KEYS/repo.pub" $SSHOPTS >/dev/null
cat >"$POLICY" <<EOF
[policy]
name = kill
[source]
paths = $SRC
[repository]
url = $URL
identity = $SFTP_ID
known_hosts = $SFTP_KNOWN_HOSTS
retry_attempts = 0
[keys]
public = $KEYS/repo.pub
signing = $KEYS/sign.key
[backup]
part_size = 4M
EOF

log "a first set"
expect_exit 0 bkp backup --policy "$POLICY" --level full >/dev/null
cp -a "$SRC" "$T/day0"
# Random files of 4 MiB: a part each (a file never spans parts).
mkdir "$SRC/big"
i=0
while [ "$i" -lt $((BIG_MB / 4)) ]; do
	head -c $((4 * 1024 * 1024)) /dev/urandom >"$SRC/big/r$i"
	i=$((i + 1))
done

# snapshots: the sealed ids to $T/sealed, the interrupted ones to
# $T/interrupted.
snapshots() {
	# shellcheck disable=SC2086
	bkp snapshots --repo "$URL" $SSHOPTS --json >"$T/snap.json" ||
		fail "bkp snapshots exited $?"
	python3 - "$T/snap.json" "$T/sealed" "$T/interrupted" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write("".join(s["id"] + "\n" for s in d["sets"]))
open(sys.argv[3], "w").write("".join(i + "\n" for i in d["interrupted"]))
EOF
}

snapshots
FIRST=$(cat "$T/sealed")
[ "$(wc -l <"$T/sealed")" -eq 1 ] || fail "expected one set: $FIRST"

# start_backup: a full backup of the big tree in the background (BKP_PID);
# returns once it has committed three parts on the server.
start_backup() {
	"$BKP" backup --policy "$POLICY" --level full >/dev/null \
	    2>"$T/backup.err" &
	BKP_PID=$!
	_n=0
	while :; do
		_parts=$(find "$REMOTE/sets" -name 'part-*' -newer "$T/mark" \
		    2>/dev/null | wc -l)
		[ "$_parts" -ge 3 ] && return 0
		kill -0 "$BKP_PID" 2>/dev/null || fail "the backup ended" \
		    "before the fault: $(cat "$T/backup.err")"
		[ "$_n" -lt 1200 ] || fail "no part reached the server in 60 s"
		sleep 0.05
		_n=$((_n + 1))
	done
}

# wait_backup MAX: waits up to MAX seconds for the backup to end; sets
# BKP_RC and ELAPSED (seconds, whole).
wait_backup() {
	_start=$(date +%s)
	while kill -0 "$BKP_PID" 2>/dev/null; do
		if [ $(($(date +%s) - _start)) -gt "$1" ]; then
			kill -9 "$BKP_PID" 2>/dev/null || :
			fail "bkp still running $1 s after the fault"
		fi
		sleep 0.1
	done
	BKP_RC=0
	wait "$BKP_PID" || BKP_RC=$?
	ELAPSED=$(($(date +%s) - _start))
}

# check_repository: only the first set is sealed, the interrupted run is
# listed as such, and the first set restores.
check_repository() {
	snapshots
	[ "$(cat "$T/sealed")" = "$FIRST" ] ||
		fail "sealed sets after the fault: $(cat "$T/sealed")"
	[ -s "$T/interrupted" ] || fail "the interrupted run is not listed"
	rm -rf "$T/out"
	# shellcheck disable=SC2086
	expect_exit 0 bkp restore --repo "$URL" $SSHOPTS \
	    --key "$KEYS/repo.key" --set "$FIRST" --target "$T/out" >/dev/null
	diff -r "$T/day0" "$T/out$SRC" >/dev/null ||
		fail "the first set does not restore after the fault"
}

log "the server killed in the middle of a backup"
touch "$T/mark"
start_backup
sshd_stop KILL
wait_backup 30
cat "$T/backup.err" >&2
[ "$BKP_RC" -ne 0 ] || fail "bkp succeeded although the server was killed"
grep -q "connection lost" "$T/backup.err" ||
	fail "no 'connection lost' message"
echo "bkp exited $BKP_RC, $ELAPSED s after the server was killed" >&2
sshd_start
check_repository

log "the server frozen in the middle of a backup"
BKP_SSH_TIMEOUT=3
export BKP_SSH_TIMEOUT
sleep 1
touch "$T/mark"
start_backup
frozen=$(sshd_sessions)
[ -n "$frozen" ] || fail "no session to freeze"
# shellcheck disable=SC2086
kill -STOP $frozen
wait_backup 40
# shellcheck disable=SC2086
kill -CONT $frozen 2>/dev/null || :
cat "$T/backup.err" >&2
[ "$BKP_RC" -ne 0 ] || fail "bkp succeeded although the server froze"
grep -q "no answer from the server for 3 s" "$T/backup.err" ||
	fail "no timeout message"
echo "bkp exited $BKP_RC, $ELAPSED s after the server froze" >&2
unset BKP_SSH_TIMEOUT
sshd_stop
sshd_start
check_repository

log "the next backup succeeds"
expect_exit 0 bkp backup --policy "$POLICY" --level full >/dev/null
snapshots
[ "$(wc -l <"$T/sealed")" -eq 2 ] || fail "expected two sealed sets"
rm -rf "$T/out"
# shellcheck disable=SC2086
expect_exit 0 bkp restore --repo "$URL" $SSHOPTS --key "$KEYS/repo.key" \
    --target "$T/out" >/dev/null
diff -r "$SRC" "$T/out$SRC" >/dev/null || fail "the last set does not restore"

echo "PASS: SFTP faults end the run promptly and leave the repository valid" >&2
