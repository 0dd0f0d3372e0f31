# sshd.sh: a private OpenSSH server on 127.0.0.1 for the SFTP tests.
# Sourced after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/sshd.sh"
#     sshd_start
#
# sshd_start generates a host key ($T/sshd/host_key) and a client key
# ($T/ssh/id), authorizes the client key, picks a free port, starts
# /usr/sbin/sshd with its own config (public keys only, internal-sftp) and
# log ($T/sshd/log), waits until it answers, and exports:
#     SFTP_PORT         the port
#     SFTP_URL_BASE     sftp://USER@127.0.0.1:PORT (append an absolute path)
#     SFTP_ID           the client's private key
#     SFTP_KNOWN_HOSTS  a known_hosts file with the server's key
#     SFTP_USER         the user the server logs in
# It never touches ~/.ssh or the machine's own sshd: HOME is set to
# $T/home and SSH_AUTH_SOCK is unset.  Without /usr/sbin/sshd the test is
# skipped.  As root the server runs as root (privilege separation in
# /run/sshd); otherwise it runs unprivileged and can log in only the user
# running it.  sshd_stop (also run on exit) stops the server and the
# sessions it started, by process id.  sshd_sessions prints the ids of the
# sessions' processes.
# shellcheck shell=sh

SSHD=${SSHD:-/usr/sbin/sshd}
SSHD_DIR=$T/sshd
SSHD_PID=

# On exit: stop the server, then lib.sh's cleanup, which takes the status
# from $? (set +e: a failing "(exit N)" would end the trap right there).
_sshd_exit() {
	_sshd_rc=$?
	set +e
	sshd_stop
	(exit "$_sshd_rc")
	cleanup
}
trap _sshd_exit EXIT

# _sshd_free_port: a TCP port free on 127.0.0.1 right now.
_sshd_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _sshd_wait_port PORT: waits up to 10 s for PORT to accept connections.
_sshd_wait_port() {
	python3 - "$1" <<'EOF'
import socket, sys, time
deadline = time.time() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.05)
EOF
}

_sshd_keys() {
	mkdir -p "$SSHD_DIR" "$T/ssh" "$T/home"
	chmod 700 "$T/ssh"
	ssh-keygen -q -t ed25519 -N '' -C bkp-test-host -f "$SSHD_DIR/host_key"
	ssh-keygen -q -t ed25519 -N '' -C bkp-test-client -f "$T/ssh/id"
	cp "$T/ssh/id.pub" "$SSHD_DIR/authorized_keys"
	chmod 644 "$SSHD_DIR/authorized_keys"
}

_sshd_config() {
	cat >"$SSHD_DIR/config" <<EOF
Port $SFTP_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_key
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PidFile $SSHD_DIR/pid
Subsystem sftp internal-sftp
LogLevel VERBOSE
MaxStartups 100
EOF
}

# sshd_start: generates keys and config (first call only) and starts the
# server; a second call restarts it on the same port.
sshd_start() {
	[ -x "$SSHD" ] || skip "no $SSHD (Debian package openssh-server)"
	command -v ssh-keygen >/dev/null || skip "no ssh-keygen"
	if [ ! -f "$SSHD_DIR/config" ]; then
		_sshd_keys
		SFTP_PORT=$(_sshd_free_port)
		_sshd_config
	fi
	if [ "$(id -u)" = 0 ]; then
		mkdir -p /run/sshd
		chmod 755 /run/sshd
	fi
	"$SSHD" -f "$SSHD_DIR/config" -E "$SSHD_DIR/log" ||
		fail "sshd did not start: $(tail -5 "$SSHD_DIR/log")"
	_sshd_wait_port "$SFTP_PORT" ||
		fail "sshd does not answer on port $SFTP_PORT"
	SSHD_PID=$(cat "$SSHD_DIR/pid")
	printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" \
	    "$(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" >"$T/ssh/known_hosts"
	SFTP_USER=$(id -un)
	SFTP_URL_BASE=sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT
	SFTP_ID=$T/ssh/id
	SFTP_KNOWN_HOSTS=$T/ssh/known_hosts
	HOME=$T/home
	unset SSH_AUTH_SOCK
	export SFTP_PORT SFTP_URL_BASE SFTP_ID SFTP_KNOWN_HOSTS SFTP_USER HOME
}

# sshd_sessions: the processes serving connections (the listener's
# descendants), parents before children.
sshd_sessions() {
	[ -n "$SSHD_PID" ] || return 0
	_ss_level=$SSHD_PID
	while :; do
		_ss_level=$(ps -o pid= --ppid "$(echo $_ss_level | tr ' ' ,)" \
		    2>/dev/null | tr -s ' \n' '  ')
		_ss_level=$(echo $_ss_level)
		[ -n "$_ss_level" ] || return 0
		echo "$_ss_level"
	done
}

# sshd_stop [SIGNAL]: stops the server and its sessions (SIGTERM, or
# SIGNAL: KILL makes a crash).
sshd_stop() {
	[ -n "$SSHD_PID" ] || return 0
	for _ss_pid in $(sshd_sessions) "$SSHD_PID"; do
		kill -"${1:-TERM}" "$_ss_pid" 2>/dev/null || :
	done
	_ss_n=0
	while kill -0 "$SSHD_PID" 2>/dev/null && [ "$_ss_n" -lt 50 ]; do
		sleep 0.1
		_ss_n=$((_ss_n + 1))
	done
	SSHD_PID=
}
