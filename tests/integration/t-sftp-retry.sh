#!/bin/sh
# Reconnecting after a lost SFTP connection.  A proxy (cutproxy.py) between
# bkp and a private sshd cuts connections after given byte counts: during
# the parts of a full backup (several times, once right after the new
# handshake), at many points of small incrementals (the key, the part, the
# manifest, the seal, its rename), and during a restore.  Every run must
# complete, say that it reconnected, and restore byte-identical.  Then the
# budget: with the server gone, bkp gives up after retry_attempts, or after
# retry_time, with one clear error and exit status 9.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=sshd.sh
. "$(dirname "$0")/sshd.sh"
need_bkp
sshd_start

SRC=$T/src
KEYS=$T/keys
REMOTE=$T/remote
PROXY_PID=

# On exit: the proxy too.
_retry_exit() {
	_re_rc=$?
	set +e
	[ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null
	(exit "$_re_rc")
	_sshd_exit
}
trap _retry_exit EXIT

# proxy_start CUT...: a fresh proxy; sets PROXY_PORT, PURL (the repository
# through it), and KH (a known_hosts file for it).
proxy_start() {
	proxy_stop
	rm -f "$T/proxy.port" "$T/proxy.log"
	python3 "$ITDIR/cutproxy.py" "$T/proxy.port" "$SFTP_PORT" \
	    "$T/proxy.log" "$@" &
	PROXY_PID=$!
	_n=0
	while [ ! -s "$T/proxy.port" ]; do
		[ "$_n" -lt 100 ] || fail "the proxy did not start"
		sleep 0.05
		_n=$((_n + 1))
	done
	PROXY_PORT=$(cat "$T/proxy.port")
	PURL=sftp://$SFTP_USER@127.0.0.1:$PROXY_PORT$REMOTE
	KH=$T/kh_proxy
	printf '[127.0.0.1]:%s %s\n' "$PROXY_PORT" \
	    "$(cut -d' ' -f1,2 "$T/sshd/host_key.pub")" >"$KH"
}

proxy_stop() {
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null || :
	wait "$PROXY_PID" 2>/dev/null || :
	PROXY_PID=
}

# cuts: how many connections the proxy cut.
cuts() {
	grep -c ' cut$' "$T/proxy.log" || :
}

# policy [RETRY-LINES]: $T/policy.ini for the repository through the proxy.
policy() {
	cat >"$T/policy.ini" <<EOF
[policy]
name = retry
[source]
paths = $SRC
[repository]
url = $PURL
identity = $SFTP_ID
known_hosts = $KH
${1:-}
[keys]
public = $KEYS/repo.pub
signing = $KEYS/sign.key
[backup]
part_size = 12M
EOF
}

# restore_cmp: the newest set, restored straight from the server, equals
# the source.
restore_cmp() {
	rm -rf "$T/out"
	expect_exit 0 bkp restore --repo "$SFTP_URL_BASE$REMOTE" \
	    --identity "$SFTP_ID" --known-hosts "$SFTP_KNOWN_HOSTS" \
	    --key "$KEYS/repo.key" --target "$T/out" >/dev/null 2>&1
	treecmp "$SRC" "$T/out$SRC" >"$T/cmp.out" || {
		cat "$T/cmp.out" >&2
		fail "the restored tree differs from the source"
	}
}

# backup_through CUT...: a backup through a proxy making these cuts; it
# must succeed, and every cut must have happened.
backup_through() {
	proxy_start "$@"
	policy
	"$BKP" --verbose backup --policy "$T/policy.ini" >/dev/null \
	    2>"$T/err" || {
		cat "$T/err" >&2
		fail "backup with cuts $* failed"
	}
	cat "$T/err" >>"$T/all.err"
	[ "$(cuts)" -ge "$#" ] ||
		fail "cuts $*: only $(cuts) made: $(cat "$T/proxy.log")"
	[ "${NEED_RECONNECT:-1}" = 0 ] || grep -q "reconnected" "$T/err" ||
		fail "no reconnection: $(cat "$T/err") $(cat "$T/proxy.log")"
}

mkdir -p "$SRC/big" "$SRC/small"
python3 - "$SRC" <<'EOF'
import os, random, sys
r = random.Random(11)
for i in range(6):
    with open(os.path.join(sys.argv[1], "big", "r%d" % i), "wb") as f:
        f.write(r.randbytes(4 << 20))
for i in range(100):
    with open(os.path.join(sys.argv[1], "small", "s%03d" % i), "w") as f:
        f.write("small file %d\n" % i * (i % 5 + 1))
EOF
bkp_keygen "$KEYS" >/dev/null
bkp init --repo "$SFTP_URL_BASE$REMOTE" --pub "$KEYS/repo.pub" \
    --identity "$SFTP_ID" --known-hosts "$SFTP_KNOWN_HOSTS" >/dev/null

# Parts are bigger than the 8 MiB a writer keeps in flight: a cut late in
# a part then finds acknowledged bytes to resume after.
log "a full backup cut in its parts: at 5 MB, 3 MB, just after the next" \
    "handshake, and at 9 MB"
backup_through 5000000 3000000 20000 9000000
grep -q 'tmp\.part-' "$T/err" || fail "no cut during a part"
grep -q 'resuming at byte [1-9]' "$T/err" ||
	fail "no upload resumed: $(cat "$T/err")"
restore_cmp

log "incrementals cut at points from the middle to the very end"
# The bytes a small incremental sends, measured without a cut.
echo change >"$SRC/small/changed"
proxy_start -
policy
expect_exit 0 bkp backup --policy "$T/policy.ini" >/dev/null 2>&1
_n=0
until grep -q '^conn 0 ' "$T/proxy.log"; do
	[ "$_n" -lt 100 ] || fail "the proxy logged no connection"
	sleep 0.05
	_n=$((_n + 1))
done
total=$(awk '$1 == "conn" { print $4; exit }' "$T/proxy.log")
[ "$total" -gt 5000 ] || fail "implausible byte count: $total"
# The audit records go last, over the same connection: the cuts below
# are spread over what comes before them.
audit_obj=$(ls -t "$REMOTE/audit/"*.jsonl | head -1)
total=$((total - $(stat -c %s "$audit_obj")))
# The last percent of the bytes can be the channels' and the session's
# closing messages alone: a cut there needs no reconnection, but the
# backup must still succeed and restore.
for permille in 500 650 800 880 930 960 975 985 990; do
	echo "$permille" >>"$SRC/small/changed"
	NEED_RECONNECT=1
	[ "$permille" -lt 985 ] || NEED_RECONNECT=0
	backup_through $((total * permille / 1000))
	restore_cmp
done
NEED_RECONNECT=1
grep -q 'tmp\.seal\.' "$T/all.err" ||
	fail "no cut fell on the seal: $(grep -i lost "$T/all.err")"

log "a restore cut while it downloads"
proxy_start d4000000 d6000000
rm -rf "$T/out"
expect_exit 0 bkp restore --repo "$PURL" --identity "$SFTP_ID" \
    --known-hosts "$KH" --key "$KEYS/repo.key" --target "$T/out" \
    >/dev/null 2>"$T/err"
[ "$(cuts)" -eq 2 ] || fail "restore: $(cuts) cuts: $(cat "$T/proxy.log")"
grep -q "reconnected" "$T/err" || fail "restore: no reconnection"
treecmp "$SRC" "$T/out$SRC" >/dev/null || fail "the restore differs"

# give_up RETRY-LINES: a backup whose server goes away for good after a
# part; sets ELAPSED.
give_up() {
	proxy_start
	policy "$1"
	mkdir -p "$SRC/more"
	head -c $((16 << 20)) /dev/urandom >"$SRC/more/$(date +%s%N)"
	touch "$T/mark"
	"$BKP" backup --policy "$T/policy.ini" --level full >/dev/null \
	    2>"$T/err" &
	_pid=$!
	_n=0
	until find "$REMOTE/sets" -name 'part-*' -newer "$T/mark" | grep -q .
	do
		[ "$_n" -lt 600 ] || fail "no part reached the server"
		sleep 0.05
		_n=$((_n + 1))
	done
	proxy_stop
	_start=$(date +%s)
	_rc=0
	wait "$_pid" || _rc=$?
	ELAPSED=$(($(date +%s) - _start))
	[ "$_rc" -eq 9 ] || { cat "$T/err" >&2; fail "exit $_rc, expected 9"; }
	grep -q "giving up" "$T/err" || fail "no 'giving up': $(cat "$T/err")"
	[ "$(grep -c 'giving up' "$T/err")" -eq 1 ] ||
		fail "'giving up' more than once: $(cat "$T/err")"
}

log "the server gone: giving up after retry_attempts"
give_up "retry_attempts = 2"
grep -q "2 attempts" "$T/err" || fail "not 2 attempts: $(cat "$T/err")"
[ "$ELAPSED" -lt 20 ] || fail "gave up after $ELAPSED s"

log "the server gone: giving up after retry_time"
give_up "retry_attempts = 100
retry_time = 3s"
[ "$ELAPSED" -lt 20 ] || fail "gave up after $ELAPSED s"

echo "PASS: cut connections are resumed; a lost server is given up" >&2
