#!/bin/sh
# [stores] mariadb against a private MariaDB server (unix socket in $T,
# root by unix socket auth, the socket named in an option file):
#  1. two points in time (insert, update, delete, drop a table between
#     them), each restored and loaded into a scratch database with
#     bkp-load-mariadb and compared table by table; users and grants too;
#  2. a backup while a client makes transfers between two InnoDB tables:
#     the restored copy's total balance is what it always is
#     (--single-transaction);
#  3. the dump process killed in the middle of a table: that dump fails,
#     the set is sealed without it, exit status 10.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=stores.sh
. "$ITDIR/stores.sh"

my_start
stores_repo
stores_policy my <<EOF
mariadb = all
mariadb_options = $MYCNF
EOF
bkp policy check "$POLICY" >&2 || fail "policy check"

log "point 1"
my_sql mysql <<'EOF'
create database app;
use app;
create table items (id int primary key, name varchar(40), qty int) engine=innodb;
create table notes (id int primary key, body text) engine=innodb;
create table gone (id int primary key) engine=innodb;
insert into notes values (1, 'first'), (2, 'tab\there'), (3, 'ünïcödé');
insert into gone values (1), (2), (3);
create user reader@localhost identified via unix_socket;
grant select on app.* to reader@localhost;
EOF
seq 1 2000 | awk '{ printf "insert into items values (%d, \"item %d\", %d);\n",
    $1, $1, $1 % 7 }' | my_sql app
my_save app "$T/want1"
set1=$(store_backup 0)

log "point 2: insert, update, delete, drop"
my_sql app <<'EOF'
insert into items values (3000, 'new', 1);
update items set qty = qty + 100 where id % 10 = 0;
delete from items where id between 100 and 199;
update notes set body = 'changed' where id = 1;
drop table gone;
EOF
my_save app "$T/want2"
set2=$(store_backup 0)

for point in "1 $set1" "2 $set2"; do
	n=${point%% *}
	store_restore "${point#* }" "$T/r$n"
	d=$T/r$n/bkp-stores/mariadb
	[ -s "$d/app.sql" ] || fail "set $n has no app.sql"
	[ ! -e "$d/mysql.sql" ] || fail "the mysql schema is dumped as a database"
	grep -q 'reader' "$d/system.users.sql" ||
		fail "set $n: users and grants are missing"
	my_load "$d/app.sql" "scratch$n"
	my_save "scratch$n" "$T/got$n"
	same_tables "$T/want$n" "$T/got$n"
	log "point $n restored: $(cd "$T/got$n" && echo *)"
done
if [ ! -f "$T/got1/gone" ] || [ -f "$T/got2/gone" ]; then
	fail "the dropped table is not where it should be"
fi

log "a backup while transfers run"
my_sql app <<'EOF'
create table acct_a (id int primary key, bal bigint) engine=innodb;
create table acct_b (id int primary key, pad text) engine=innodb;
create table acct_c (id int primary key, bal bigint) engine=innodb;
insert into acct_a select seq, 1000 from seq_1_to_1000;
insert into acct_c select seq, 1000 from seq_1_to_1000;
insert into acct_b select seq, repeat(md5(seq), 8) from seq_1_to_200000;
EOF
# Transfers as fast as one client goes, until the backup is made.
python3 - "$T/stop" <<'EOF_PY' | my_sql app 2>"$T/writer.err" &
import os, random, sys
random.seed(7)
while not os.path.exists(sys.argv[1]):
    for _ in range(100):
        a, c, x = random.randint(1, 1000), random.randint(1, 1000), random.randint(1, 100)
        print("start transaction; update acct_a set bal = bal - %d where id = %d; "
              "update acct_c set bal = bal + %d where id = %d; commit;" % (x, a, x, c))
    sys.stdout.flush()
EOF_PY
writer=$!
sleep 1
set3=$(store_backup 0)
touch "$T/stop"
wait "$writer" || { cat "$T/writer.err" >&2; fail "the writer failed"; }
store_restore "$set3" "$T/r3"
my_load "$T/r3/bkp-stores/mariadb/app.sql" scratch3
total=$(my_sql scratch3 -e "select (select sum(bal) from acct_a) +
    (select sum(bal) from acct_c)")
moved=$(my_sql scratch3 -e "select sum(abs(bal - 1000)) from acct_a")
log "restored during transfers: total $total, moved $moved"
[ "$total" = 2000000 ] || fail "total balance $total, not 2000000"
[ "$moved" -gt 0 ] || fail "no transfer happened before the dump"

log "the dump is killed in the middle of a table"
my_sql app -e "insert into acct_b select seq, repeat(md5(seq), 8)
    from seq_200001_to_1500000"
echo "+ bkp -v backup --policy $POLICY --json &" >&2
"$BKP" -v backup --policy "$POLICY" --json >"$T/out4" 2>"$T/err4" &
backup=$!
n=0
until [ "$(my_sql mysql -e "select count(*) from information_schema.processlist
    where info like 'SELECT /*!40001 SQL_NO_CACHE */%acct_b%'")" = 1 ]; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "the dump of acct_b was never seen"
	sleep 0.05
done
dump=$(ps -o pid= -o comm= --ppid "$backup" | awk '/dump/ { print $1 }')
[ -n "$dump" ] || fail "no dump process under bkp $backup"
kill -KILL "$dump"
rc=0
wait "$backup" || rc=$?
cat "$T/err4" >&2
[ "$rc" -eq 10 ] || fail "backup with a killed dump exited $rc, not 10"
grep -q "mariadb database app: mariadb-dump failed (killed by signal 9" \
    "$T/err4" || fail "no error for the killed dump"
set4=$(json_set "$T/out4")
[ -n "$set4" ] || fail "no set was sealed"
store_restore "$set4" "$T/r4"
[ ! -e "$T/r4/bkp-stores/mariadb/app.sql" ] ||
	fail "a set lists the dump that was killed"
[ -s "$T/r4/bkp-stores/mariadb/scratch1.sql" ] ||
	fail "the other databases are not in the set"
echo "PASS: MariaDB points in time, consistency, killed dump" >&2
