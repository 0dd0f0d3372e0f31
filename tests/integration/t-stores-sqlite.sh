#!/bin/sh
# [stores] sqlite: a WAL database owned by nobody (the dump runs as the
# file's owner, so the -wal and -shm files stay the application's):
#  1. two points in time (insert, update, delete, drop a table between
#     them), each restored, loaded with bkp-load-sqlite and compared;
#  2. a backup while a writer makes transfers between two tables: the
#     restored copy's total balance is what it always is;
#  3. a damaged database, whose .dump ends in "ROLLBACK; -- due to errors"
#     although sqlite3 exits 0, and a missing one: failed sources, exit
#     status 10, sets without them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=stores.sh
. "$ITDIR/stores.sh"
command -v sqlite3 >/dev/null || skip "no sqlite3"

DIR=$T/app
DB=$DIR/app.db
mkdir "$DIR"
chown nobody: "$DIR"
as_app() {
	runuser -u nobody -- "$@"
}
sq() {
	as_app sqlite3 -batch "$DB" "$@"
}
# sq_save DB DIR: every table's rows, sorted, one file a table.
sq_save() {
	mkdir -p "$2"
	for _t in $(sqlite3 -batch "$1" "select name from sqlite_schema where
	    type = 'table' order by 1"); do
		sqlite3 -batch "$1" "select * from $_t order by 1" >"$2/$_t"
	done
}
sq_load() {
	"$ITDIR/../../scripts/bkp-load-sqlite" "$1" "$2" 2>/dev/null ||
		fail "bkp-load-sqlite $1 $2"
}

stores_repo
stores_policy sq <<EOF
sqlite = $DB
EOF
bkp policy check "$POLICY" >&2 || fail "policy check"
DUMP=bkp-stores/sqlite/${DB#/}.sql

log "point 1"
sq <<'EOF'
pragma journal_mode = wal;
create table items (id integer primary key, name text, qty int);
with recursive g(i) as (select 1 union all select i + 1 from g where i < 2000)
insert into items select i, 'item ' || i, i % 7 from g;
create table notes (id integer primary key, body text);
insert into notes values (1, 'first'), (2, 'tab	here'), (3, 'ünïcödé');
create table gone (id integer primary key);
insert into gone values (1), (2), (3);
EOF
sq_save "$DB" "$T/want1"
set1=$(store_backup 0)
for f in "$DB" "$DB-wal" "$DB-shm"; do
	[ ! -e "$f" ] || [ "$(stat -c %U "$f")" = nobody ] ||
		fail "$f belongs to $(stat -c %U "$f") after the backup"
done

log "point 2: insert, update, delete, drop"
sq <<'EOF'
insert into items values (3000, 'new', 1);
update items set qty = qty + 100 where id % 10 = 0;
delete from items where id between 100 and 199;
update notes set body = 'changed' where id = 1;
drop table gone;
EOF
sq_save "$DB" "$T/want2"
set2=$(store_backup 0)

for point in "1 $set1" "2 $set2"; do
	n=${point%% *}
	store_restore "${point#* }" "$T/r$n"
	tail -1 "$T/r$n/$DUMP" | grep -qx 'COMMIT;' || fail "dump $n incomplete"
	sq_load "$T/r$n/$DUMP" "$T/scratch$n.db"
	sq_save "$T/scratch$n.db" "$T/got$n"
	same_tables "$T/want$n" "$T/got$n"
	log "point $n restored: $(cd "$T/got$n" && echo *)"
done
if [ ! -f "$T/got1/gone" ] || [ -f "$T/got2/gone" ]; then
	fail "the dropped table is not where it should be"
fi

log "a backup while transfers run"
sq <<'EOF'
create table acct_a (id integer primary key, bal int);
create table acct_b (id integer primary key, pad text);
create table acct_c (id integer primary key, bal int);
with recursive g(i) as (select 1 union all select i + 1 from g where i < 1000)
insert into acct_a select i, 1000 from g;
insert into acct_c select id, bal from acct_a;
with recursive g(i) as (select 1 union all select i + 1 from g where i < 100000)
insert into acct_b select i, hex(randomblob(100)) from g;
EOF
as_app python3 - "$DB" "$T/stop" <<'EOF' 2>"$T/writer.err" &
import os, random, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
n = 0
while not os.path.exists(sys.argv[2]):
    a, c, x = random.randint(1, 1000), random.randint(1, 1000), random.randint(1, 100)
    db.execute("begin immediate")
    db.execute("update acct_a set bal = bal - ? where id = ?", (x, a))
    db.execute("update acct_c set bal = bal + ? where id = ?", (x, c))
    db.execute("commit")
    n += 1
print(n, "transfers", file=sys.stderr)
EOF
writer=$!
sleep 1
set3=$(store_backup 0)
touch "$T/stop"
wait "$writer" || { cat "$T/writer.err" >&2; fail "the writer failed"; }
cat "$T/writer.err" >&2
store_restore "$set3" "$T/r3"
sq_load "$T/r3/$DUMP" "$T/scratch3.db"
total=$(sqlite3 "$T/scratch3.db" "select (select sum(bal) from acct_a) +
    (select sum(bal) from acct_c)")
moved=$(sqlite3 "$T/scratch3.db" "select sum(abs(bal - 1000)) from acct_a")
log "restored during transfers: total $total, moved $moved"
[ "$total" = 2000000 ] || fail "total balance $total, not 2000000"
[ "$moved" -gt 0 ] || fail "no transfer happened before the dump"

log "a damaged database"
sq 'pragma wal_checkpoint(truncate);' >/dev/null
size=$(stat -c %s "$DB")
# Garbage over a stretch in the middle of the file (acct_b's pages).
head -c 65536 /dev/urandom | dd of="$DB" bs=4096 seek=$((size / 4096 / 2)) \
    conv=notrunc status=none
expect_exit 10 bkp -v backup --policy "$POLICY" --json >"$T/out4" \
    2>"$T/err4"
cat "$T/err4" >&2
grep -q "its output does not end as a complete dump does" "$T/err4" ||
	fail "the damaged database's dump was not refused"
set4=$(json_set "$T/out4")
[ -n "$set4" ] || fail "no set was sealed"
store_restore "$set4" "$T/r4"
[ ! -e "$T/r4/$DUMP" ] || fail "a set lists the dump of a damaged database"

log "a database that is not there"
stores_policy sq <<EOF
sqlite = $DIR/missing.db
EOF
expect_exit 10 bkp backup --policy "$POLICY" 2>"$T/err5"
cat "$T/err5" >&2
grep -q "missing.db: No such file or directory" "$T/err5" ||
	fail "no error for the missing database"
[ ! -e "$DIR/missing.db" ] || fail "the backup made an empty database"
echo "PASS: SQLite points in time, consistency, damaged and missing" >&2
