#!/bin/sh
# bkp drill of a policy with PostgreSQL, MariaDB and SQLite stores on
# private servers: every restored dump is loaded into a scratch database
# on its own server (a scratch SQLite file), the report counts the rows of
# every table (odd names included) and gives each check query's result;
# the scratch databases are gone afterwards; a check query with an
# unexpected value or invalid SQL fails the drill (exit 5) naming the
# store; --keep keeps them, and a drill finding one already there fails
# without dropping it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=stores.sh
. "$ITDIR/stores.sh"
command -v sqlite3 >/dev/null || skip "no sqlite3"

pg_start
my_start
stores_repo
# The load scripts, as installed beside bkp.
PATH=$(cd "$ITDIR/../../scripts" && pwd):$PATH
TMPDIR=$T/tmp
export PATH TMPDIR
mkdir -p "$TMPDIR"

log "data: PostgreSQL app, MariaDB shop, SQLite $T/lite/app.db"
pg_sql postgres -c "create database app"
pg_sql app <<'EOF'
create table accounts (id int primary key, balance int);
insert into accounts values (1, 100), (2, 150), (3, 50);
create table items (id int primary key);
insert into items select generate_series(1, 5);
create schema "odd schema";
create table "odd schema"."Log ""x""" (t text);
insert into "odd schema"."Log ""x""" values ('a'), ('b');
EOF
my_sql mysql -e "create database shop"
my_sql shop <<'EOF'
create table orders (id int primary key, total int);
insert into orders values (1, 10), (2, 20), (3, 30), (4, 40);
create table `cust``omers` (id int);
insert into `cust``omers` values (1), (2);
EOF
mkdir -p "$T/lite"
LITE=$T/lite/app.db
sqlite3 "$LITE" <<'EOF'
create table notes (id integer primary key, body text);
insert into notes (body) values ('one'), ('two'), ('three');
create table tags (name text);
create table "we<ird ""q"">" (x);
insert into "we<ird ""q"">" values (1), (2);
EOF

# drill_policy CHECK_QUERY_LINES...: the policy, with these check queries.
drill_policy() {
	stores_policy drill <<EOF
postgresql = app
postgresql_connection = host=$PGD/sock
postgresql_run_as = postgres
mariadb = shop
mariadb_options = $MYCNF
sqlite = $LITE
[drill]
key = $KEYS/repo.key
check_query = $1
EOF
	shift
	for _q; do
		printf '    %s\n' "$_q" >>"$POLICY"
	done
	bkp policy check "$POLICY" >&2 || fail "policy check"
}

drill_policy "postgresql app: select sum(balance) = 300 from accounts" \
    "mariadb shop: select count(*), 'orders' from orders" \
    "select count(*) = 3 from notes"
set=$(store_backup 0)
[ -n "$set" ] || fail "no set"

# scratch_left: the scratch databases still on the servers.
scratch_left() {
	pg_sql postgres -c "select datname from pg_database where datname
	    like 'bkp\_drill\_%'"
	my_sql mysql -e "show databases like 'bkp\_drill\_%'"
}

# drill OUT WANT ARGS...: bkp drill --json into OUT, exiting WANT.
drill() {
	_out=$1 _want=$2
	shift 2
	_rc=0
	bkp -v drill --policy "$POLICY" --json --report "$T/reports" "$@" \
	    >"$_out" 2>"$T/drill.err" || _rc=$?
	cat "$T/drill.err" >&2
	[ "$_rc" -eq "$_want" ] || fail "bkp drill exited $_rc, not $_want"
}

log "a drill loads, counts and checks every database"
drill "$T/r1.json" 0
python3 - "$T/r1.json" "$LITE" "$set" <<'PY' || fail "report 1"
import json, sys
r = json.load(open(sys.argv[1]))
lite, setid = sys.argv[2], sys.argv[3]
assert r["verdict"] == "pass", r["reasons"]
assert list(r["phases"]) == ["connect", "listing", "manifest", "restore",
                             "load", "check"], r["phases"]
assert r["phases"]["load"] > 0, r["phases"]
st = {(s["type"], s["database"]): s for s in r["stores"]}
assert set(st) == {("postgresql", "app"), ("mariadb", "shop"),
                   ("sqlite", lite)}, list(st)
want = {
    ("postgresql", "app"): {"odd schema.Log \"x\"": 2, "public.accounts": 3,
                            "public.items": 5},
    ("mariadb", "shop"): {"cust`omers": 2, "orders": 4},
    ("sqlite", lite): {"notes": 3, "tags": 0, "we<ird \"q\">": 2},
}
result = {("postgresql", "app"): "t", ("mariadb", "shop"): "4\torders",
          ("sqlite", lite): "1"}
short = setid.split("-")[1]
for k, s in st.items():
    got = {t["name"]: t["rows"] for t in s["tables"]}
    assert got == want[k], (k, got)
    assert s["status"] == "pass" and s["error"] is None, s
    assert s["load"]["status"] == "ok", s
    assert s["check"]["status"] == "pass", s
    assert s["check"]["result"] == result[k], s
    assert s["kept"] is False, s
    if k[0] != "sqlite":
        assert s["scratch"] == "bkp_drill_%s_%s" % (short, k[1]), s
assert st[("sqlite", lite)]["check"]["query"] == "select count(*) = 3 from notes"
assert st[("sqlite", lite)]["dump"] == "/bkp-stores/sqlite%s.sql" % lite, st
PY
[ -z "$(scratch_left)" ] || fail "scratch databases left: $(scratch_left)"
[ -z "$(ls "$TMPDIR")" ] || fail "scratch files left: $(ls "$TMPDIR")"
html=$(ls "$T"/reports/*.html)
grep -q "Databases loaded and checked" "$html" || fail "no databases in HTML"
grep -q "we&lt;ird &quot;q&quot;&gt;" "$html" || fail "a name not escaped"
if grep -q "we<ird" "$html"; then fail "a raw name in the HTML"; fi

log "a check query with an unexpected value fails the drill"
drill_policy "postgresql app: select count(*) = 99 from accounts"
drill "$T/r2.json" 5
grep -q "error: drill: postgresql app: the check query gave 'f'" \
    "$T/drill.err" || fail "no message naming the failed check"
python3 - "$T/r2.json" <<'PY' || fail "report 2"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "fail", r
assert any("postgresql app: the check query gave 'f'" in x
           for x in r["reasons"]), r["reasons"]
s = [s for s in r["stores"] if s["type"] == "postgresql"][0]
assert s["check"]["status"] == "fail" and s["check"]["result"] == "f", s
# The stores without a query of their own are loaded and counted.
m = [s for s in r["stores"] if s["type"] == "mariadb"][0]
assert m["check"]["status"] == "none" and m["status"] == "pass", m
PY
[ -z "$(scratch_left)" ] || fail "scratch databases left after a failure"

log "invalid SQL fails the drill"
drill_policy "mariadb shop: select nonsense from nowhere"
drill "$T/r3.json" 5
grep -q "mariadb shop: the check query failed in bkp_drill_" "$T/r3.json" ||
	fail "no reason naming mariadb shop"
grep -q "error: drill: mariadb shop: the check query failed" "$T/drill.err" ||
	fail "no message naming the failed query"
grep -q "nowhere" "$T/drill.err" || fail "the server's error is not logged"
[ -z "$(scratch_left)" ] || fail "scratch databases left after invalid SQL"

log "a check query for a database the set lacks fails the drill"
drill_policy "postgresql nosuch: select 1"
drill "$T/r4.json" 5
grep -q "postgresql nosuch: \[drill\] check_query names it" "$T/r4.json" ||
	fail "no reason for the missing database"

log "--keep keeps the scratch databases; the next drill leaves them be"
drill_policy "select 1"
drill "$T/r5.json" 0 --keep
grep -q "scratch database of postgresql app is kept" "$T/drill.err" ||
	fail "the kept database is not named"
[ "$(scratch_left | wc -l)" -eq 2 ] || fail "not kept: $(scratch_left)"
drill "$T/r6.json" 5
grep -q "exists already" "$T/r6.json" || fail "no reason for the kept one"
[ "$(scratch_left | wc -l)" -eq 2 ] || fail "a kept database was dropped"
echo "PASS: drills of PostgreSQL, MariaDB and SQLite stores" >&2
