# stores.sh: sourced by the [stores] tests after lib.sh.  Private database
# servers in $T, on unix sockets only, stopped by PID when the test exits;
# keys, a repository and helpers to back up and restore.
# shellcheck shell=sh

need_bkp
[ "$(id -u)" -eq 0 ] || skip "needs root (servers run as their own users)"
# The servers run as their own users: they must reach their directories.
chmod 711 "$T"
export PATH="$PATH:/usr/sbin:/sbin"

KEYS=$T/keys
REPO=$T/repo
POLICY=$T/policy.ini
SERVER_PIDS=

stores_cleanup() {
	_sc_rc=$?
	for _sc_pid in $SERVER_PIDS; do
		kill -TERM "$_sc_pid" 2>/dev/null || :
	done
	for _sc_pid in $SERVER_PIDS; do
		_sc_n=0
		while kill -0 "$_sc_pid" 2>/dev/null && [ $_sc_n -lt 100 ]; do
			sleep 0.1
			_sc_n=$((_sc_n + 1))
		done
		kill -KILL "$_sc_pid" 2>/dev/null || :
	done
	(exit "$_sc_rc")
	cleanup
}
trap stores_cleanup EXIT

# stores_repo: keys and a repository.
stores_repo() {
	bkp_keygen "$KEYS" >/dev/null
	bkp_init "$REPO" "$KEYS/repo.pub" >/dev/null
}

# stores_policy NAME < STORES-SECTION: a policy with only [stores].
stores_policy() {
	{
		printf '[policy]\nname = %s\n' "$1"
		printf '[repository]\nurl = %s\n' "$REPO"
		printf '[keys]\npublic = %s/repo.pub\nsigning = %s/sign.key\n' \
		    "$KEYS" "$KEYS"
		printf '[stores]\n'
		cat
	} >"$POLICY"
}

# json_set FILE: the set id in the --json report of bkp backup in FILE
# (empty when no set was sealed).
json_set() {
	python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["set"])
except Exception:
    pass' "$1"
}

# store_backup WANT: a backup that must exit WANT; prints the new set id.
store_backup() {
	expect_exit "$1" bkp -v backup --policy "$POLICY" --json \
	    >"$T/backup.json"
	json_set "$T/backup.json"
}

# store_restore SET DIR: restores SET into DIR (new).
store_restore() {
	bkp restore --repo "$REPO" --key "$KEYS/repo.key" --set "$1" \
	    --target "$2" >&2 || fail "restore of $1 exited $?"
}

# ---- PostgreSQL ------------------------------------------------------

# pg_start: a cluster in $T/pg, socket in $T/pg/sock, peer auth only.
pg_start() {
	# shellcheck disable=SC2012
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$PGBIN/initdb" ] || skip "no PostgreSQL server (postgresql)"
	id postgres >/dev/null 2>&1 || skip "no postgres user"
	PGD=$T/pg
	mkdir -p "$PGD/sock"
	chown -R postgres: "$PGD"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres \
	    --auth-local=peer --auth-host=reject --no-sync -E UTF8 \
	    --locale=C >"$T/initdb.log" 2>&1 || {
		cat "$T/initdb.log" >&2; fail "initdb"; }
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" \
	    -w -o "-k $PGD/sock -c listen_addresses= -c fsync=off" start \
	    >/dev/null || { cat "$PGD/log" >&2; fail "pg_ctl start"; }
	SERVER_PIDS="$SERVER_PIDS $(head -1 "$PGD/data/postmaster.pid")"
	PGHOST=$PGD/sock
	export PGHOST
}

# pg_sql DB SQL...: psql as postgres; output unaligned, no headers.
pg_sql() {
	_db=$1
	shift
	runuser -u postgres -- "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
	    -d "$_db" "$@"
}

# pg_tables DB: the user tables of DB, one a line.
pg_tables() {
	pg_sql "$1" -c "select tablename from pg_tables where schemaname =
	    'public' order by 1"
}

# pg_save DB DIR: every table's rows, sorted, one file a table.
pg_save() {
	mkdir -p "$2"
	for _t in $(pg_tables "$1"); do
		pg_sql "$1" -c "select * from $_t order by 1" >"$2/$_t"
	done
}

# pg_load DUMP DB: a restored dump into a new database.
pg_load() {
	chmod 644 "$1"
	chmod -R a+rX "$T/r"*
	runuser -u postgres -- env PATH="$PGBIN:$PATH" \
	    "$ITDIR/../../scripts/bkp-load-postgresql" "$1" "$2" \
	    >/dev/null 2>&1 || fail "bkp-load-postgresql $1 $2"
}

# ---- MariaDB -----------------------------------------------------------

# my_start: a server in $T/my, socket only, root by unix socket auth;
# $MYCNF is an option file naming the socket.
my_start() {
	command -v mariadbd >/dev/null || skip "no MariaDB server (mariadb-server)"
	MYD=$T/my
	mkdir -p "$MYD/run"
	chown mysql: "$MYD/run"
	mariadb-install-db --no-defaults --datadir="$MYD/data" --user=mysql \
	    --auth-root-authentication-method=socket --skip-test-db \
	    >"$T/install-db.log" 2>&1 || {
		cat "$T/install-db.log" >&2; fail "mariadb-install-db"; }
	MYCNF=$MYD/client.cnf
	printf '[client]\nsocket=%s\n' "$MYD/run/sock" >"$MYCNF"
	mariadbd --no-defaults --datadir="$MYD/data" --socket="$MYD/run/sock" \
	    --skip-networking --user=mysql --pid-file="$MYD/run/pid" \
	    --log-error="$MYD/run/err.log" --innodb-buffer-pool-size=128M \
	    --innodb-flush-log-at-trx-commit=2 >/dev/null 2>&1 &
	MYPID=$!
	SERVER_PIDS="$SERVER_PIDS $MYPID"
	_n=0
	until my_sql mysql -e 'select 1' >/dev/null 2>&1; do
		_n=$((_n + 1))
		[ $_n -lt 150 ] || { cat "$MYD/run/err.log" >&2; fail "mariadbd"; }
		sleep 0.2
	done
}

# my_sql DB ARGS...: the client as root over the socket.
my_sql() {
	_db=$1
	shift
	mariadb --defaults-extra-file="$MYCNF" -N -B "$_db" "$@"
}

my_tables() {
	my_sql "$1" -e 'show tables'
}

my_save() {
	mkdir -p "$2"
	for _t in $(my_tables "$1"); do
		my_sql "$1" -e "select * from $_t order by 1" >"$2/$_t"
	done
}

my_load() {
	"$ITDIR/../../scripts/bkp-load-mariadb" \
	    --defaults-extra-file="$MYCNF" "$1" "$2" >/dev/null 2>&1 ||
		fail "bkp-load-mariadb $1 $2"
}

# ---- comparing -----------------------------------------------------------

# same_tables WANT GOT: two directories of saved tables are the same.
same_tables() {
	diff -r "$1" "$2" >"$T/diff.out" || {
		head -20 "$T/diff.out" >&2
		fail "tables differ: $1 $2"
	}
}
