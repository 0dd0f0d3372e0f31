#!/bin/bash
# bench/sftp.sh — SFTP throughput of bkp against OpenSSH, on loopback and
# with added round-trip latency.
#
#   bench/sftp.sh [--size MIB] [--rtts "0 10 40"] [--runs N] [--out FILE]
#                 [--work DIR] [--latency auto|netem|proxy]
#
#   --size MIB    the tree backed up (default 1024: 1 GiB, 98% random data)
#   --rtts LIST   round-trip times to add, in ms (default "0 10 40"; 0 is
#                 plain loopback)
#   --runs N      runs of every measurement; the report gives the median
#                 and the range (default 3)
#   --out FILE    markdown report (default docs/BENCHMARKS.md at the top);
#                 only the region between the bench/sftp.sh markers changes
#   --work DIR    scratch directory (default a fresh /dev/shm/bkp-sftp.XXXXXX,
#                 removed at exit)
#   --latency M   netem: a network namespace with a veth pair and
#                 "tc qdisc ... netem delay RTT/2" on both ends, sshd inside;
#                 proxy: bench/delayproxy.py on loopback (RTT/2 each way);
#                 auto (default): netem if the kernel has it, else proxy
#
# Measured at each RTT, every tool through the same private sshd (OpenSSH,
# internal-sftp, "Ciphers chacha20-poly1305@openssh.com", so libssh and
# OpenSSH use the same cipher): bkp backup of the tree to an SFTP repository
# and bkp restore of it; OpenSSH "sftp -b" put and get of one file of the
# same size; "ssh host 'cat > /dev/null' < file" and "ssh host cat file" (the
# SSH channel alone, an upper bound for both).  Also bkp backup and restore
# with a local repository (the pipeline without the network).
#
# Environment: BKP (default bkp/bkp at the top).  Needs root for netem.
# shellcheck disable=SC2016,SC2034  # scripts for bash -c; sftp_report.sh
# Exit status: 0, 1 when a step fails, 2 on usage errors.
set -euo pipefail

prog=bench/sftp.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
usage() { sed -n '5,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
say() { printf '%s: [%ds] %s\n' "$prog" "$SECONDS" "$*" >&2; }

SIZE=1024 RTTS="0 10 40" RUNS=3 OUT='' WORK_ARG='' LATENCY=auto
while [ $# -gt 0 ]; do
	case "$1" in
	--size) SIZE=${2:?}; shift 2 ;;
	--rtts) RTTS=${2:?}; shift 2 ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--work) WORK_ARG=${2:?}; shift 2 ;;
	--latency) LATENCY=${2:?}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) say "unknown argument: $1"; usage ;;
	esac
done
[[ $SIZE =~ ^[0-9]+$ && $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $LATENCY =~ ^(auto|netem|proxy)$ ]] || usage
for r in $RTTS; do [[ $r =~ ^[0-9]+$ ]] || usage; done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/report.sh
. "$here/report.sh"
TOP=$(cd "$here/.." && pwd)
OUT=${OUT:-$TOP/docs/BENCHMARKS.md}
BKP_SRC=${BKP:-$TOP/bkp/bkp}
[ -x "$BKP_SRC" ] || die "no bkp binary at $BKP_SRC (build it, or set BKP)"
for t in sshd ssh sftp ssh-keygen python3; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || die "needs $t"
done
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
CIPHER=chacha20-poly1305@openssh.com

WORK=${WORK_ARG:-$(mktemp -d /dev/shm/bkp-sftp.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
NS="" VETH="" SSHD_PIDS="" PROXY_PID=""
cleanup() {
	set +e
	[ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null
	for p in $SSHD_PIDS; do kill "$p" 2>/dev/null; done
	[ -z "$VETH" ] || ip link del "$VETH" 2>/dev/null
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null
	[ -n "$WORK_ARG" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ setup
export BKP_STATE_DIR=$WORK/state BKP_PASSPHRASE=bench HOME=$WORK/home
unset SSH_AUTH_SOCK
mkdir -p "$WORK/bin" "$WORK/ssh" "$HOME" "$BKP_STATE_DIR"
cp "$BKP_SRC" "$WORK/bin/bkp"
BKP=$WORK/bin/bkp
BKP_VER="$("$BKP" --version), commit $(git -C "$TOP" rev-parse --short HEAD \
    2>/dev/null || echo '?')$(git -C "$TOP" diff --quiet HEAD 2>/dev/null ||
    echo ' + uncommitted changes')"

say "corpus: $SIZE MiB in $WORK/src"
mkdir -p "$WORK/src/data" "$WORK/src/text"
python3 - "$WORK/src" "$SIZE" <<'EOF'
import os, sys
root, size = sys.argv[1], int(sys.argv[2]) << 20
text = size // 50                    # 2% compressible, the rest random
n, left = 0, size - text
while left > 0:
    k = min(left, 16 << 20)
    with open(os.path.join(root, "data", "r%04d" % n), "wb") as f:
        f.write(os.urandom(k))
    left -= k
    n += 1
line = b"a line of text in a log file that compresses well, %d\n"
for i in range(100):
    with open(os.path.join(root, "text", "t%03d.log" % i), "wb") as f:
        f.write(b"".join(line % j for j in range(text // 100 // 56)))
EOF
cat "$WORK/src/data/"* "$WORK/src/text/"* >"$WORK/file.bin"
BYTES=$(stat -c %s "$WORK/file.bin")

ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/id"
cp "$WORK/ssh/id.pub" "$WORK/ssh/authorized_keys"
"$BKP" keygen --out "$WORK/keys" >/dev/null
USER_NAME=$(id -un)
mkdir -p /run/sshd 2>/dev/null || :

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {	# HOST PORT [NETNS]
	local i
	for i in $(seq 100); do
		if ${3:+ip netns exec "$3"} python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' \
		    "$1" "$2" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	die "nothing answers on $1:$2"
}

# start_sshd NAME ADDR [NETNS]: an sshd on ADDR:PORT; sets PORT.
start_sshd() {
	PORT=$(free_port)
	cat >"$WORK/ssh/sshd_$1" <<EOF
Port $PORT
ListenAddress $2
HostKey $WORK/ssh/host_key
AuthorizedKeysFile $WORK/ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
Compression no
Ciphers $CIPHER
PidFile $WORK/ssh/sshd_$1.pid
Subsystem sftp internal-sftp
LogLevel DEBUG
EOF
	${3:+ip netns exec "$3"} "$SSHD" -f "$WORK/ssh/sshd_$1" \
	    -E "$WORK/ssh/sshd_$1.log" || die "sshd $1 did not start"
	wait_port "$2" "$PORT" "${3:-}"
	SSHD_PIDS="$SSHD_PIDS $(cat "$WORK/ssh/sshd_$1.pid")"
}

start_sshd lo 127.0.0.1
LO_PORT=$PORT

# ------------------------------------------------------------ latency
# netem_setup: a namespace with sshd inside, reached over a veth pair;
# 0 when netem works (HOST, HPORT set), 1 when it does not.
netem_setup() {
	NS=bkpbench$$ VETH=vbkp$$
	local a=10.$((RANDOM % 200 + 20)).$((RANDOM % 250)).1
	local b=${a%.1}.2
	ip netns add "$NS" || { NS=; return 1; }
	ip link add "$VETH" type veth peer name "${VETH}n" || { VETH=; return 1; }
	ip link set "${VETH}n" netns "$NS"
	ip addr add "$a/30" dev "$VETH"
	ip link set "$VETH" up
	ip -n "$NS" addr add "$b/30" dev "${VETH}n"
	ip -n "$NS" link set "${VETH}n" up
	ip -n "$NS" link set lo up
	tc qdisc add dev "$VETH" root netem delay 1ms 2>/dev/null || return 1
	ip netns exec "$NS" tc qdisc add dev "${VETH}n" root netem delay 1ms ||
		return 1
	start_sshd ns "$b" "$NS"
	NS_ADDR=$b NS_PORT=$PORT
}

netem_teardown() {
	[ -z "$VETH" ] || ip link del "$VETH" 2>/dev/null || :
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || :
	VETH='' NS=
}

METHOD=proxy
if [ "$LATENCY" != proxy ] && [ "$(id -u)" = 0 ] && command -v tc >/dev/null; then
	if netem_setup; then
		METHOD=netem
	else
		netem_teardown
		[ "$LATENCY" != netem ] ||
			die "netem is not available (kernel without sch_netem?)"
		say "netem is not available; latency by bench/delayproxy.py"
	fi
elif [ "$LATENCY" = netem ]; then
	die "--latency netem needs root and tc"
fi

# endpoint RTT: sets HOST and HPORT for that round-trip time.
endpoint() {
	[ -z "$PROXY_PID" ] || { kill "$PROXY_PID"; wait "$PROXY_PID" || :; }
	PROXY_PID=
	if [ "$1" = 0 ]; then
		HOST=127.0.0.1 HPORT=$LO_PORT
	elif [ "$METHOD" = netem ]; then
		local half
		half=$(awk -v r="$1" 'BEGIN { printf "%.1fms", r / 2 }')
		tc qdisc change dev "$VETH" root netem delay "$half"
		ip netns exec "$NS" tc qdisc change dev "${VETH}n" root netem \
		    delay "$half"
		HOST=$NS_ADDR HPORT=$NS_PORT
	else
		rm -f "$WORK/proxy.port"
		python3 "$here/delayproxy.py" "$WORK/proxy.port" "$LO_PORT" \
		    "$(awk -v r="$1" 'BEGIN { print r / 2 }')" &
		PROXY_PID=$!
		while [ ! -s "$WORK/proxy.port" ]; do sleep 0.05; done
		HOST=127.0.0.1 HPORT=$(cat "$WORK/proxy.port")
	fi
	printf '[%s]:%s %s\n' "$HOST" "$HPORT" \
	    "$(cut -d' ' -f1,2 "$WORK/ssh/host_key.pub")" >"$WORK/ssh/known_hosts"
	SSHO=(-i "$WORK/ssh/id" -o UserKnownHostsFile="$WORK/ssh/known_hosts"
	    -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o Compression=no
	    -c "$CIPHER" -F /dev/null)
	URL=sftp://$USER_NAME@$HOST:$HPORT
}

# ------------------------------------------------------------ measuring
# timed CMD...: runs CMD, appends its wall seconds to $WORK/t.
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$WORK/step.out" 2>"$WORK/step.err" ||
		die "failed: $* ($(tail -3 "$WORK/step.err"))"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$WORK/t"
}

policy() {	# REPO-URL
	cat >"$WORK/p.policy" <<EOF
[policy]
name = bench
[source]
paths = $WORK/src
[repository]
url = $1
identity = $WORK/ssh/id
known_hosts = $WORK/ssh/known_hosts
[keys]
public = $WORK/keys/repo.pub
signing = $WORK/keys/sign.key
EOF
}

same_tree() {
	diff -r "$WORK/src" "$WORK/out$WORK/src" >/dev/null ||
		die "the restored tree differs from the source"
}

# bkp_updown REPO-URL: one backup and one restore, timed.
bkp_updown() {
	rm -rf "$WORK/remote" "$WORK/out" "$BKP_STATE_DIR/cache"
	"$BKP" init --repo "$1" --pub "$WORK/keys/repo.pub" \
	    --identity "$WORK/ssh/id" --known-hosts "$WORK/ssh/known_hosts" \
	    >/dev/null
	policy "$1"
	: >"$WORK/t"
	timed "$BKP" backup --policy "$WORK/p.policy" --level full
	timed "$BKP" restore --repo "$1" --identity "$WORK/ssh/id" \
	    --known-hosts "$WORK/ssh/known_hosts" --key "$WORK/keys/repo.key" \
	    --target "$WORK/out"
	same_tree
	rm -rf "$WORK/remote" "$WORK/out"
}

openssh_updown() {
	rm -f "$WORK/put.bin" "$WORK/got.bin"
	printf 'put %s %s\n' "$WORK/file.bin" "$WORK/put.bin" >"$WORK/put.batch"
	printf 'get %s %s\n' "$WORK/put.bin" "$WORK/got.bin" >"$WORK/get.batch"
	: >"$WORK/t"
	timed sftp "${SSHO[@]}" -P "$HPORT" -b "$WORK/put.batch" \
	    "$USER_NAME@$HOST"
	timed sftp "${SSHO[@]}" -P "$HPORT" -b "$WORK/get.batch" \
	    "$USER_NAME@$HOST"
	cmp -s "$WORK/file.bin" "$WORK/got.bin" || die "sftp get differs"
	rm -f "$WORK/put.bin" "$WORK/got.bin"
}

ssh_updown() {
	: >"$WORK/t"
	timed bash -c 'ssh "${@:2}" "cat > /dev/null" <"$1"' _ "$WORK/file.bin" \
	    "${SSHO[@]}" -p "$HPORT" "$USER_NAME@$HOST"
	timed bash -c 'ssh "$@" >/dev/null' _ "${SSHO[@]}" -p "$HPORT" \
	    "$USER_NAME@$HOST" "cat $WORK/file.bin"
}

# record KEY: the two times in $WORK/t as MiB/s under KEY.up / KEY.down.
record() {
	awk -v b="$BYTES" -v k="$1" 'NR == 1 { print k ".up", b / 1048576 / $1 }
	    NR == 2 { print k ".down", b / 1048576 / $1 }' "$WORK/t" \
	    >>"$WORK/results"
}

: >"$WORK/results"
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
say "local repository (no network)"
for i in $(seq "$RUNS"); do
	bkp_updown "$WORK/remote"
	record "local.bkp"
done
for rtt in $RTTS; do
	endpoint "$rtt"
	say "RTT +$rtt ms ($METHOD): $URL"
	for i in $(seq "$RUNS"); do
		bkp_updown "$URL$WORK/remote"
		record "$rtt.bkp"
		openssh_updown
		record "$rtt.sftp"
		ssh_updown
		record "$rtt.ssh"
		say "run $i: $(grep "^$rtt\." "$WORK/results" | tail -6 |
		    awk '{ printf "%s %.0f  ", $1, $2 }')"
	done
done
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
CIPHERS=$(grep -ho 'cipher: [^ ]*' "$WORK"/ssh/sshd_*.log | sort | uniq -c |
    awk '{ printf "%s%s (%d connections)", (NR > 1 ? ", " : ""), $3, $1 }')

# shellcheck source=bench/sftp_report.sh
. "$here/sftp_report.sh"
