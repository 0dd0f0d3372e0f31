#!/bin/sh
# Retention: 17 daily sets (a full every week) under faketime; prune keeps
# exactly what keep_daily / keep_weekly / min_versions and the chains say,
# deletes the rest seal first, and every kept set still restores.
. "$(dirname "$0")/lib.sh"
need_bkp
command -v faketime >/dev/null || skip "faketime is not installed"
# libfaketime also fakes file times in stat(); bkp must see the real ones.
NO_FAKE_STAT=1
export NO_FAKE_STAT

src=$T/src
mkdir -p "$src"
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/p" daily "$T/repo" "$T/keys" "$src"
printf '[retention]\nkeep_daily = 3\nkeep_weekly = 2\nkeep_monthly = 0\nkeep_yearly = 0\nmin_versions = 3\n' >>"$T/p"

for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17; do
	echo "day $d" >"$src/f$d"
	level=incr
	case $d in 01 | 08 | 15) level=full ;; esac
	faketime "2026-03-$d 02:00:00" "$BKP" backup --policy "$T/p" \
	    --level $level >/dev/null || fail "backup of day $d"
	mkdir -p "$T/day$d"
	cp -a "$src" "$T/day$d/"
done

bkp prune --policy "$T/p" --dry-run --json >"$T/plan.json"
python3 - "$T/plan.json" <<'PY' || fail "the retention plan is wrong"
import json, sys
plan = json.load(open(sys.argv[1]))
kept = {p["time"][8:10]: p["reason"] for p in plan if p["keep"]}
# daily: 17, 16, 15; weekly: W12 (17), W11 (15); 15 is a full, so no
# chain is needed; min_versions 3 is met.
assert sorted(kept) == ["15", "16", "17"], kept
assert kept["17"] == "newest set" and kept["16"] == "daily 2026-03-16", kept
assert len(plan) == 17, len(plan)
PY
[ "$(ls "$T/repo/sets" | wc -l)" -eq 17 ] || fail "--dry-run deleted sets"

# Keep one more week: the chain of day 13 (an incremental) must come along.
sed -i 's/keep_daily = 3/keep_daily = 5/' "$T/p"
bkp prune --policy "$T/p" --json >"$T/plan2.json"
python3 - "$T/plan2.json" <<'PY' || fail "chains are not kept whole"
import json, sys
plan = json.load(open(sys.argv[1]))
kept = sorted(p["time"][8:10] for p in plan if p["keep"])
assert kept == ["08", "09", "10", "11", "12", "13", "14", "15", "16", "17"], kept
PY
[ "$(ls "$T/repo/sets" | wc -l)" -eq 10 ] || fail "prune did not delete"

# Every kept set restores to its day.
bkp snapshots --repo "$T/repo" --json >"$T/snap.json"
python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["sets"]:
    print(s["id"], s["time"][8:10])' "$T/snap.json" |
while read -r id day; do
	"$BKP" restore --repo "$T/repo" --key "$T/keys/repo.key" --set "$id" \
	    --target "$T/out$day" >/dev/null 2>&1 || fail "restore of $id"
	diff -r "$T/day$day/src" "$T/out$day$src" >/dev/null ||
	    fail "set of day $day does not restore to that day"
done

# An interrupted set (no seal) older than a day is removed; a new one stays.
mkdir "$T/repo/sets/20260301T000000Z-0badf00d"
echo x >"$T/repo/sets/20260301T000000Z-0badf00d/part-000000"
now=$(date -u +%Y%m%dT%H%M%SZ)
mkdir "$T/repo/sets/$now-0badcafe"
bkp prune --policy "$T/p" >/dev/null
[ ! -e "$T/repo/sets/20260301T000000Z-0badf00d" ] ||
	fail "an old interrupted set was not removed"
[ -e "$T/repo/sets/$now-0badcafe" ] || fail "a running backup was removed"
echo "retention keeps what the rules say, whole chains, and restorable sets"
