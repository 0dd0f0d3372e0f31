#!/bin/sh
# bkp run called five times a day for 60 days under faketime (a weekly
# full on Sunday, daily incrementals, a 01:00-05:00 window, retention after
# every backup): exactly the backups the calendar says are due, none outside
# the window, one catch-up backup after three days off, the sets retention
# keeps and nothing else, and every surviving set restores to its day.
. "$(dirname "$0")/lib.sh"
need_bkp
command -v faketime >/dev/null || skip "faketime is not installed"
# libfaketime also fakes file times in stat(); bkp must see the real ones.
NO_FAKE_STAT=1
export NO_FAKE_STAT
# libfaketime is preloaded before the ASan runtime of a sanitizer build.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
started=$(date +%s)

src=$T/src
mkdir -p "$src/new" "$T/pol" "$T/runs" "$T/days"
echo "a file that never changes" >"$src/constant"
printf '000' >"$src/counter"
: >"$src/log"
bkp_keygen "$T/keys" >/dev/null
bkp_init "$T/repo" "$T/keys/repo.pub" >/dev/null
write_policy "$T/pol/sixty.policy" sixty "$T/repo" "$T/keys" "$src"
cat >>"$T/pol/sixty.policy" <<'EOF'
[schedule]
full = weekly sun
incremental = daily
window = 01:00-05:00
[retention]
keep_daily = 7
keep_weekly = 4
keep_monthly = 0
keep_yearly = 0
min_versions = 3
EOF
# Not a policy (wrong suffix): bkp run must ignore it.
cp "$T/pol/sixty.policy" "$T/pol/sixty.policy.bak"

# change DAY: the day's deterministic changes to the tree.
change() {
	echo "day $1" >"$src/today"                    # content and size
	printf '%03d' "$1" >"$src/counter"             # same size
	echo "line of day $1" >>"$src/log"             # append
	echo "new on day $1" >"$src/new/d$1"           # new file
	rm -f "$src/new/d$(($1 - 3))"                  # deleted file
	if [ $(($1 % 2)) -eq 0 ]; then                 # mode only
		chmod 600 "$src/constant"
	else
		chmod 644 "$src/constant"
	fi
	case $1 in
	*5) mkdir -p "$src/dir$1/sub" && echo "$1" >"$src/dir$1/sub/f" ;;
	*9) rm -rf "$src/dir$(($1 - 4))" ;;
	esac
}

# Day 1 is Monday 2026-01-05; day 60 is Thursday 2026-03-05.  Days 20-22
# (Saturday to Monday) the machine is off; on Sunday day 35 it runs only
# outside the window.  The other days alternate between call patterns so
# that the window's first minute (01:00), a time inside it, its last minute
# (04:59) and its end (05:00, nothing) each start or skip a backup.
d=1
while [ "$d" -le 60 ]; do
	change "$d"
	date=$(date -u -d "2026-01-05 +$((d - 1)) days" +%Y-%m-%d)
	case $d in
	20 | 21 | 22) times= ;;
	35) times="00:30 05:00 05:30" ;;
	*)
		case $((d % 4)) in
		0) times="00:30 01:00 03:00 05:00 05:30" ;;
		2) times="00:30 04:59 05:00 05:30" ;;
		*) times="00:30 01:15 03:00 04:59 05:30" ;;
		esac
		;;
	esac
	for t in $times; do
		out=$T/runs/$(printf %02d "$d")-$(echo "$t" | tr -d :).json
		rc=0
		faketime "$date $t:00" "$BKP" run --policies "$T/pol" --json \
		    >"$out" 2>"$T/err" || rc=$?
		[ "$rc" -eq 0 ] || { cat "$T/err" >&2; fail "day $d $t: exit $rc"; }
		[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "day $d $t: stderr"; }
		printf '%s %s %s %s\n' "$d" "$date" "$t" "$out" >>"$T/calls"
	done
	# The tree as every backup of this day saw it.
	if [ -n "$times" ]; then
		mkdir "$T/days/$d"
		cp -a "$src" "$T/days/$d/"
	fi
	d=$((d + 1))
done
log "$(wc -l <"$T/calls") bkp run calls"

bkp snapshots --repo "$T/repo" --json >"$T/snap.json"
# The model: the calendar, the window and restic-like retention, computed
# from the calls alone, compared with every run's JSON and the repository.
python3 - "$T/calls" "$T/snap.json" >"$T/restore.list" <<'PY' ||
import datetime as dt, json, sys

calls = [l.split() for l in open(sys.argv[1])]
snap = json.load(open(sys.argv[2]))
UTC = dt.timezone.utc
W0, W1 = 60, 300                          # window, minutes after midnight

def in_window(t):
    return W0 <= t.hour * 60 + t.minute < W1

def midnight(t):
    return t.replace(hour=0, minute=0, second=0, microsecond=0)

def sunday(t):                            # the last Sunday 00:00 <= t
    return midnight(t) - dt.timedelta(days=(t.weekday() + 1) % 7)

def window_open(t):
    while not in_window(t):
        t = (t + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    return t

def next_due(t, last_full, last_any):
    if last_full is None or last_full < sunday(t) or last_any < midnight(t):
        return window_open(t)
    return window_open(min(midnight(t) + dt.timedelta(days=1),
                           sunday(t) + dt.timedelta(days=7)))

made = []                                 # (time, level, id, day)
last_full = last_any = None
by_day = {}
for day, date, hm, path in calls:
    t = dt.datetime.fromisoformat(f"{date}T{hm}:00").replace(tzinfo=UTC)
    full = last_full is None or last_full < sunday(t)
    incr = last_any is None or last_any < midnight(t)
    want = "nothing"
    if in_window(t) and (full or incr):
        want = "full" if full else "incremental"
    out = json.load(open(path))
    assert len(out) == 1, (path, out)
    o = out[0]
    assert o["policy"] == "sixty" and o["status"] == 0, (path, o)
    assert o["action"] == want, (day, hm, o["action"], want)
    if want == "nothing":
        assert o["set"] == "", (path, o)
    else:
        assert o["set"][:8] == date.replace("-", ""), (path, o)
        made.append((t, want, o["set"], int(day)))
        last_any = t
        if want == "full":
            last_full = t
        by_day.setdefault(int(day), []).append(want)
    nd = next_due(t, last_full, last_any)
    assert o["next_due"] == nd.strftime("%Y-%m-%dT%H:%M:%SZ"), \
        (day, hm, o["next_due"], nd)

# The calendar in words: a full on the first run and on every Sunday with
# runs in the window, one incremental every other day with such runs; after
# the days off (Sunday 21 among them) and after Sunday 35 (no run in the
# window) the next day's only backup is a full.
days_run = sorted({int(c[0]) for c in calls})
for d in days_run:
    if d == 35:
        assert d not in by_day, by_day.get(d)
        continue
    want = "full" if d in (1, 23, 36) or (d - 1) % 7 == 6 else "incremental"
    assert by_day.get(d) == [want], (d, by_day.get(d), want)
assert not set(by_day) - set(days_run)
assert len(made) == len(days_run) - 1, len(made)

# Retention over all the backups made (what survives repeated pruning after
# every backup is what one pruning of all of them keeps).
n = len(made)
parent = []
for i, (t, level, sid, day) in enumerate(made):
    parent.append(-1 if level == "full" else i - 1)
keep = {n - 1}
def buckets(key, count):
    seen = []
    for i in range(n - 1, -1, -1):
        b = key(made[i][0])
        if b in seen:
            continue
        if len(seen) == count:
            break
        seen.append(b)
        keep.add(i)
buckets(lambda t: t.date(), 7)
buckets(lambda t: t.isocalendar()[:2], 4)
for i in range(n - 1, -1, -1):
    if len(keep) >= 3:
        break
    keep.add(i)
for i in sorted(keep, reverse=True):
    p = parent[i]
    while p >= 0:
        keep.add(p)
        p = parent[p]
want_ids = sorted(made[i][2] for i in keep)
sets = snap["sets"]
got_ids = sorted(s["id"] for s in sets)
assert got_ids == want_ids, ("survivors", got_ids, want_ids)
assert not snap["interrupted"], snap["interrupted"]
# Sanity of the model itself: the rules keep some incrementals whose chain
# reaches back past the daily and weekly picks, and delete something.
assert n - len(keep) >= 20, (n, len(keep))
ids = [m[2] for m in made]
for s in sets:
    i = ids.index(s["id"])
    assert s["level"] == made[i][1], s
    assert s["parent"] == ("" if parent[i] < 0 else ids[parent[i]]), s
    print(s["id"], made[i][3])
print(f"{n} backups made, {len(keep)} kept", file=sys.stderr)
PY
	fail "the runs or the surviving sets are not what the schedule says"

# Every surviving set restores to the tree of its day.
[ -s "$T/restore.list" ] || fail "no surviving sets"
while read -r id day; do
	"$BKP" restore --repo "$T/repo" --key "$T/keys/repo.key" --set "$id" \
	    --target "$T/out$day" >/dev/null 2>"$T/err" ||
		{ cat "$T/err" >&2; fail "restore of $id"; }
	diff -r "$T/days/$day/src" "$T/out$day$src" >&2 ||
		fail "set $id does not restore to day $day"
	treecmp "$T/days/$day/src" "$T/out$day$src" >&2 ||
		fail "set $id does not restore day $day's metadata"
done <"$T/restore.list"

# bkp status the evening of the last day: all well, next due tomorrow at the
# window's start; three days later: overdue.
faketime "2026-03-05 18:00:00" "$BKP" status --policies "$T/pol" --json \
    >"$T/status.json" || fail "bkp status: exit $?, expected 0"
rc=0
faketime "2026-03-08 18:00:00" "$BKP" status --policies "$T/pol" --json \
    >"$T/late.json" || rc=$?
[ "$rc" -eq 1 ] || fail "bkp status of an overdue policy: exit $rc, expected 1"
python3 - "$T/status.json" "$T/late.json" "$(wc -l <"$T/restore.list")" <<'PY' ||
import json, sys
s, late = (json.load(open(f)) for f in sys.argv[1:3])
assert len(s) == 1 and len(late) == 1, (s, late)
s, late = s[0], late[0]
assert s["policy"] == "sixty" and s["sets"] == int(sys.argv[3]), s
assert s["newest_set"].startswith("20260305T"), s
assert s["next_due"] == "2026-03-06T01:00:00Z", s
assert s["last_run"] == "nothing" and s["warnings"] == "", s
assert abs(s["rpo_seconds"] - 17 * 3600) < 3600, s
assert "backup overdue" in late["warnings"], late
assert late["next_due"] == "2026-03-09T01:00:00Z", late
PY
	fail "bkp status does not say what the runs did"

# The history bkp run keeps: one line per call.
[ "$(wc -l <"$BKP_STATE_DIR/runs.log")" -eq "$(wc -l <"$T/calls")" ] ||
	fail "runs.log does not have one entry per call"
echo "60 days of bkp run: $(wc -l <"$T/calls") calls, the due backups only," \
    "retention as the rules say, every set restores" \
    "($(($(date +%s) - started)) s)"
