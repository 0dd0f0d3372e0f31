#!/bin/sh
# [stores] postgresql against a private PostgreSQL server (peer auth on a
# unix socket in $T, dumps run as the postgres user):
#  1. two points in time (insert, update, delete, drop a table between
#     them), each restored and loaded into a scratch database with
#     bkp-load-postgresql and compared table by table;
#  2. a backup while pgbench makes transfers between two tables: the
#     restored copy's total balance is what it always is;
#  3. the server stopped in the middle of a dump: that dump fails with
#     pg_dump's error, the set is sealed without it, exit status 10.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=stores.sh
. "$ITDIR/stores.sh"

pg_start
stores_repo
stores_policy pg <<EOF
postgresql = all
postgresql_connection = host=$PGD/sock
postgresql_run_as = postgres
EOF
bkp policy check "$POLICY" >&2 || fail "policy check"

log "point 1: two databases"
pg_sql postgres -c "create database app" -c "create database \"odd/name\""
pg_sql app <<'EOF'
create table items (id int primary key, name text, qty int);
insert into items select g, 'item ' || g, g % 7 from generate_series(1, 2000) g;
create table notes (id int primary key, body text);
insert into notes values (1, 'first'), (2, E'tab\there'), (3, 'ünïcödé');
create table gone (id int primary key);
insert into gone select generate_series(1, 10);
EOF
pg_sql "odd/name" -c "create table t (id int primary key)" \
    -c "insert into t values (42)"
pg_save app "$T/want1"
set1=$(store_backup 0)

log "point 2: insert, update, delete, drop"
pg_sql app <<'EOF'
insert into items values (3000, 'new', 1);
update items set qty = qty + 100 where id % 10 = 0;
delete from items where id between 100 and 199;
update notes set body = 'changed' where id = 1;
drop table gone;
EOF
pg_save app "$T/want2"
set2=$(store_backup 0)

for point in "1 $set1" "2 $set2"; do
	n=${point%% *}
	store_restore "${point#* }" "$T/r$n"
	d=$T/r$n/bkp-stores/postgresql
	for f in globals.sql app.dump postgres.dump odd%2Fname.dump; do
		[ -s "$d/$f" ] || fail "set $n has no $f"
	done
	pg_load "$d/app.dump" "scratch$n"
	pg_save "scratch$n" "$T/got$n"
	same_tables "$T/want$n" "$T/got$n"
	log "point $n restored: $(cd "$T/got$n" && echo *)"
done
if [ ! -f "$T/got1/gone" ] || [ -f "$T/got2/gone" ]; then
	fail "the dropped table is not where it should be"
fi
pg_load "$T/r1/bkp-stores/postgresql/odd%2Fname.dump" scratch_odd
[ "$(pg_sql scratch_odd -c 'select id from t')" = 42 ] ||
	fail "odd/name did not come back"

log "a backup while transfers run"
pg_sql app <<'EOF'
create table acct_a (id int primary key, bal bigint);
create table acct_b (id int primary key, pad text);
create table acct_c (id int primary key, bal bigint);
insert into acct_a select g, 1000 from generate_series(1, 1000) g;
insert into acct_c select g, 1000 from generate_series(1, 1000) g;
insert into acct_b select g, repeat(md5(g::text), 8)
    from generate_series(1, 200000) g;
EOF
cat >"$T/transfer.sql" <<'EOF'
\set a random(1, 1000)
\set c random(1, 1000)
\set x random(1, 100)
BEGIN;
UPDATE acct_a SET bal = bal - :x WHERE id = :a;
UPDATE acct_c SET bal = bal + :x WHERE id = :c;
COMMIT;
EOF
chmod 644 "$T/transfer.sql"
runuser -u postgres -- "$PGBIN/pgbench" -n -f "$T/transfer.sql" -c 2 -T 6 \
    app >"$T/pgbench.log" 2>&1 &
bench=$!
sleep 1
set3=$(store_backup 0)
wait "$bench" || { cat "$T/pgbench.log" >&2; fail "pgbench"; }
grep "number of transactions actually processed" "$T/pgbench.log" >&2
store_restore "$set3" "$T/r3"
pg_load "$T/r3/bkp-stores/postgresql/app.dump" scratch3
total=$(pg_sql scratch3 -c "select (select sum(bal) from acct_a) +
    (select sum(bal) from acct_c)")
moved=$(pg_sql scratch3 -c "select sum(abs(bal - 1000)) from acct_a")
log "restored during transfers: total $total, moved $moved"
[ "$total" = 2000000 ] || fail "total balance $total, not 2000000"
[ "$moved" -gt 0 ] || fail "no transfer happened before the dump"

log "the server stops in the middle of a dump"
pg_sql app -c "insert into acct_b select g, repeat(md5(g::text), 8)
    from generate_series(200001, 1500000) g"
bkp -v backup --policy "$POLICY" --json >"$T/out4" 2>"$T/err4" &
backup=$!
n=0
until [ "$(pg_sql postgres -c "select count(*) from pg_stat_activity where
    query like 'COPY public.acct_b%'")" = 1 ]; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "the dump of acct_b was never seen"
	sleep 0.05
done
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop \
    >/dev/null
rc=0
wait "$backup" || rc=$?
cat "$T/err4" >&2
[ "$rc" -eq 10 ] || fail "backup with the server gone exited $rc, not 10"
grep -q "postgresql database app: pg_dump failed (exit status 1)" \
    "$T/err4" || fail "no error for the failed dump of app"
grep -q "postgresql database app: pg_dump: error:" "$T/err4" ||
	fail "pg_dump's own message is not in the log"
set4=$(json_set "$T/out4")
[ -n "$set4" ] || fail "no set was sealed"
bkp restore --repo "$REPO" --key "$KEYS/repo.key" --set "$set4" \
    --target "$T/r4" >&2 || fail "restore of the sealed set"
[ ! -e "$T/r4/bkp-stores/postgresql/app.dump" ] ||
	fail "a set lists the dump that failed"
echo "PASS: PostgreSQL points in time, consistency, failed dump" >&2
