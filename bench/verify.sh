#!/bin/bash
# bench/verify.sh — what proving the backups costs, on one corpus: bkp
# verify of a 1% sample of the files (bytes read and wall), of every
# object's hash (MiB/s) and of every file, and a bkp drill of the corpus's
# set against a plain bkp restore of the same set (the drill's overhead;
# the target is under 10%); restic check --read-data for reference when
# restic is installed.
#
#   bench/verify.sh [--runs N] [--scale S] [--out FILE] [--work DIR] [CORPUS]
#
#   CORPUS        an existing corpus directory, only read, never copied
#                 (e.g. /dev/shm/corpus); default: a new one made with
#                 ../shared/bench/make-corpus.sh create DIR 42 S
#   --runs N      measured runs of every step, the median reported (default 3)
#   --scale S     size of a generated corpus (default 1.0 = ~1 GiB)
#   --out FILE    report (default docs/BENCHMARKS.md at the repo top); only
#                 the region between the bench/verify.sh markers is replaced
#   --work DIR    scratch directory (default: a fresh
#                 /dev/shm/bkp-bench-verify.XXXXXX, removed at exit); a DIR
#                 given here must be empty and is kept
#
# Environment: BKP (the bkp binary; default bkp/bkp at the repo top),
# MAKE_CORPUS (default ../shared/bench/make-corpus.sh next to the repo top),
# BENCH_SEED (corpus seed, 42), BENCH_TOOLS ("bkp restic", the default, or
# "bkp" to leave restic out).
#
# Exit status: 0 done; 1 a step failed (its log is named); 2 usage.
set -euo pipefail

prog=bench/verify.sh
START=$SECONDS
say() { printf '%s: [%ds] %s\n' "$prog" $((SECONDS - START)) "$*" >&2; }
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
usage() { sed -n '9,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

# ---------------------------------------------------------------- arguments
RUNS=3 SCALE=1.0 OUT='' WORK_ARG='' CORPUS_ARG=''
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
    --scale) [ $# -ge 2 ] || usage; SCALE=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || usage; WORK_ARG=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) say "unknown option: $1"; usage ;;
    *) [ -z "$CORPUS_ARG" ] || usage; CORPUS_ARG=$1; shift ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { say "--runs wants a number, got '$RUNS'"; exit 2; }
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || { say "--scale wants a number, got '$SCALE'"; exit 2; }
SEED=${BENCH_SEED:-42}
TOOLS=${BENCH_TOOLS:-bkp restic}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/report.sh
. "$here/report.sh"
TOP=$(cd "$here/.." && pwd)
OUT=${OUT:-$TOP/docs/BENCHMARKS.md}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
MAKE_CORPUS=${MAKE_CORPUS:-$TOP/../shared/bench/make-corpus.sh}

[ -x /usr/bin/time ] || die "GNU time missing at /usr/bin/time (apt-get install time)"
command -v python3 >/dev/null || die "python3 is needed"
BKP=${BKP:-$TOP/bkp/bkp}
[ -x "$BKP" ] || die "no bkp at $BKP: build it (./autogen.sh && ./configure && make) or set BKP"
BKP=$(cd "$(dirname "$BKP")" && pwd)/$(basename "$BKP")
RESTIC=
case " $TOOLS " in *" restic "*) RESTIC=$(command -v restic || true) ;; esac
if [ -n "$CORPUS_ARG" ]; then
    [ -d "$CORPUS_ARG" ] || die "$CORPUS_ARG: not a directory"
    CORPUS=$(cd "$CORPUS_ARG" && pwd -P)
else
    [ -f "$MAKE_CORPUS" ] || die "corpus generator not found at $MAKE_CORPUS (set MAKE_CORPUS)"
fi

# ---------------------------------------------------------------- work dir
OWN_WORK=0
if [ -n "$WORK_ARG" ]; then
    mkdir -p "$WORK_ARG" || die "cannot create --work $WORK_ARG"
    [ -z "$(ls -A "$WORK_ARG")" ] || die "--work $WORK_ARG is not empty"
    WORK=$(cd "$WORK_ARG" && pwd -P)
else
    WORK=$(mktemp -d /dev/shm/bkp-bench-verify.XXXXXX) || die "cannot create a work dir in /dev/shm"
    OWN_WORK=1
fi
FAILED=0
cleanup() {
    if [ "$OWN_WORK" = 1 ]; then
        if [ "$FAILED" = 1 ]; then
            find "$WORK" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null || true
            say "logs kept in $WORK/logs (remove the directory when done)"
        else
            rm -rf "$WORK"
        fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
LOGS=$WORK/logs
mkdir -p "$LOGS" "$WORK/bin" "$WORK/tmp"

# bkp's version and commit, taken now; a private copy is what runs.
BKP_VER=$("$BKP" --version 2>/dev/null | head -n 1 || echo "bkp")
if [ "$BKP" = "$TOP/bkp/bkp" ] && c=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null); then
    d=$(git -C "$TOP" status --porcelain --untracked-files=no 2>/dev/null | head -n 1)
    BKP_VER="$BKP_VER, commit $c${d:+ + uncommitted changes}"
else
    BKP_VER="$BKP_VER (binary $BKP)"
fi
cp "$BKP" "$WORK/bin/bkp"
BKP=$WORK/bin/bkp

PASS=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export BKP_PASSPHRASE=$PASS RESTIC_PASSWORD=$PASS
export BKP_STATE_DIR=$WORK/bkp-state TMPDIR=$WORK/tmp
export RESTIC_REPOSITORY=$WORK/repo-restic RESTIC_CACHE_DIR=$WORK/restic-cache
REPO=$WORK/repo-bkp KEYS=$WORK/keys POLICY=$WORK/bench.policy

# ------------------------------------------------------------------ helpers
# step NAME CMD...: one run of CMD under GNU time; stdout in LOGS/NAME.out,
# stderr in LOGS/NAME.log, "wall user sys maxrss_kib" in LOGS/NAME.time.
step() {
    local name=$1 rc=0
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$LOGS/$name.time" "$@" \
        >"$LOGS/$name.out" 2>"$LOGS/$name.log" || rc=$?
    if [ "$rc" != 0 ]; then
        FAILED=1
        die "FAILED: $name (exit $rc), log: $LOGS/$name.log"
    fi
}
field() { tail -n 1 "$LOGS/$1.time" | cut -d' ' -f"$2"; }
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$LOGS/$1.out" "$2"; }
bytes() { du -sb "$1" | cut -f1; }
warm() { find "$1" -type f -print0 | xargs -0 -r cat >/dev/null 2>&1 || true; }

# stats NAME FIELD: "median min max" of a field over the runs of NAME.
stats() {
    local i
    for i in $(seq 1 "$RUNS"); do field "$1.$i" "$2"; done | sort -g |
        awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
            printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}
# The same over CPU seconds (user + sys) and peak RSS (KiB, the largest).
cpu_median() {
    local i
    for i in $(seq 1 "$RUNS"); do
        awk '{ printf "%.2f\n", $2 + $3 }' <(tail -n 1 "$LOGS/$1.$i.time")
    done | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rss_max() {
    local i
    for i in $(seq 1 "$RUNS"); do field "$1.$i" 4; done | sort -g | tail -n 1 |
        awk '{ printf "%.0f", $1 / 1024 }'
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
wall_cell() { read -r m lo hi < <(stats "$1" 1); printf '%s (%s–%s)' "$m" "$lo" "$hi"; }
median_of() { stats "$1" 1 | cut -d' ' -f1; }

# ------------------------------------------------------------------ corpus
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
if [ -z "$CORPUS_ARG" ]; then
    say "generating the corpus (seed $SEED, scale $SCALE)"
    CORPUS=$WORK/corpus
    "$MAKE_CORPUS" create "$CORPUS" "$SEED" "$SCALE" >"$LOGS/corpus.log" 2>&1 ||
        { FAILED=1; die "FAILED: corpus (log: $LOGS/corpus.log)"; }
    CORPUS_HOW="\`make-corpus.sh create DIR $SEED $SCALE\`"
else
    CORPUS_HOW="the directory \`$CORPUS\`, used in place"
    if [ -f "$CORPUS/db/main.db" ] && [ -d "$CORPUS/src" ]; then
        CORPUS_HOW="$CORPUS_HOW (laid out by \`make-corpus.sh\`; seed and scale unknown to the harness)"
    fi
fi
C_FILES=$(find "$CORPUS" -type f | wc -l)
C_BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
say "corpus: $C_FILES files, $(mib "$C_BYTES") MiB"

# ------------------------------------------------------------------- setup
say "bkp: keys, repository, full backup"
"$BKP" keygen --out "$KEYS" >"$LOGS/keygen.log" 2>&1 || die "keygen failed ($LOGS/keygen.log)"
"$BKP" init --repo "$REPO" --pub "$KEYS/repo.pub" >"$LOGS/init.log" 2>&1 || die "init failed ($LOGS/init.log)"
cat >"$POLICY" <<EOF
[policy]
name = bench
[source]
paths = $CORPUS
[repository]
url = $REPO
[keys]
public = $KEYS/repo.pub
signing = $KEYS/sign.key
[drill]
key = $KEYS/repo.key
EOF
warm "$CORPUS"
rc=0
/usr/bin/time -f '%e %U %S %M' -o "$LOGS/backup.time" \
    "$BKP" backup --policy "$POLICY" --level full >"$LOGS/backup.out" 2>"$LOGS/backup.log" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { FAILED=1; die "FAILED: bkp backup (exit $rc), log: $LOGS/backup.log"; }
BACKUP_NOTE=
[ "$rc" = 0 ] || BACKUP_NOTE=" (exit 1: warnings, see the log)"
REPO_BYTES=$(bytes "$REPO")
NPARTS=$(find "$REPO/sets" -name 'part-*' | wc -l)
if [ -n "$RESTIC" ]; then
    say "restic: repository and backup (for check --read-data)"
    restic init --repository-version 2 >"$LOGS/restic-init.log" 2>&1 || die "restic init failed ($LOGS/restic-init.log)"
    restic backup --compression auto "$CORPUS" >"$LOGS/restic-backup.log" 2>&1 ||
        die "restic backup failed ($LOGS/restic-backup.log)"
    RESTIC_BYTES=$(bytes "$RESTIC_REPOSITORY")
fi

# ---------------------------------------------------------------- measured
# Each run does every step, side by side; restore and drill swap places
# from one run to the next.  The repository is read once before each step.
restore_run() {
    warm "$REPO"
    step "restore.$1" "$BKP" restore --repo "$REPO" --key "$KEYS/repo.key" \
        --target "$WORK/restored" --json
    RESTORED_BYTES=$(bytes "$WORK/restored")
    rm -rf "$WORK/restored"
}
drill_run() {
    warm "$REPO"
    step "drill.$1" "$BKP" drill --policy "$POLICY" --target "$WORK/drilled" \
        --keep --report "$WORK/drills" --json
    [ "$(jget "drill.$1" 'd["verdict"]')" = pass ] ||
        { FAILED=1; die "FAILED: the drill did not pass (report: $LOGS/drill.$1.out)"; }
    rm -rf "$WORK/drilled"
}
for i in $(seq 1 "$RUNS"); do
    say "run $i of $RUNS: verify sample, hashes, full"
    warm "$REPO"
    step "sample.$i" "$BKP" verify --repo "$REPO" --key "$KEYS/repo.key" \
        --level sample --sample 1% --no-rotate --seed 42 --json
    warm "$REPO"
    step "hashes.$i" "$BKP" verify --repo "$REPO" --level hashes --json
    warm "$REPO"
    step "full.$i" "$BKP" verify --repo "$REPO" --key "$KEYS/repo.key" \
        --level full --json
    say "run $i of $RUNS: restore and drill"
    if [ $((i % 2)) = 1 ]; then restore_run "$i"; drill_run "$i"
    else drill_run "$i"; restore_run "$i"; fi
    if [ -n "$RESTIC" ]; then
        say "run $i of $RUNS: restic check --read-data"
        warm "$RESTIC_REPOSITORY"
        step "restic.$i" restic check --read-data
    fi
done
T1=$(date +%s)
LOAD1=$(cut -d' ' -f1 /proc/loadavg)

# ------------------------------------------------------------------ report
SAMPLE_READ=$(jget sample.1 'd["bytes_read"]')
HASH_READ=$(jget hashes.1 'd["bytes_read"]')
FULL_READ=$(jget full.1 'd["bytes_read"]')
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b / 1048576 / s; else print "n/a" }'; }
row() {   # LABEL NAME READ FILES
    local w
    w=$(median_of "$2")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(wall_cell "$2")" \
        "$(cpu_median "$2")" "$(rss_max "$2")" "$(mib "$3")" "$(pct "$3" "$REPO_BYTES")" \
        "$4" "$(rate "$3" "$w")"
}
R_WALL=$(median_of restore) D_WALL=$(median_of drill)
OVERHEAD=$(awk -v d="$D_WALL" -v r="$R_WALL" 'BEGIN { printf "%+.1f", 100 * (d / r - 1) }')
MET=$(awk -v d="$D_WALL" -v r="$R_WALL" 'BEGIN { print (d < 1.10 * r) ? "yes" : "**no**" }')
# The drill's own phases, from the run with the median wall time.
mid=$(for i in $(seq 1 "$RUNS"); do echo "$(field "drill.$i" 1) $i"; done | sort -g |
    awk -v n="$RUNS" 'NR == int((n + 1) / 2) { print $2 }')
PHASES=$(jget "drill.$mid" '", ".join("%s %.2f s" % (k, v) for k, v in d["phases"].items())')
RTO=$(jget "drill.$mid" '"%.2f" % d["rto_seconds"]')

REPORT=$WORK/report.md
{
    echo "<!-- bench/verify.sh: begin -->"
    echo "<!-- Generated by bench/verify.sh; edit outside these markers only. -->"
    echo
    echo "## Verifying and drilling: bkp verify, bkp drill against bkp restore"
    echo
    echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC'), $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s in all: \`bench/verify.sh --runs $RUNS\`; every step run $RUNS time(s), side by side: the median wall time and its range."
    echo
    echo "### Machine"
    echo
    bench_machine_lines "$LOAD0" "$LOAD1"
    echo "- work dir (repositories, restore targets, scratch): $(stat -f -c %T "$WORK"); corpus: $(stat -f -c %T "$CORPUS")"
    echo "- $BKP_VER"
    [ -z "$RESTIC" ] || echo "- $(restic version | head -n 1)"
    echo
    echo "### Corpus and repository"
    echo
    echo "- corpus: $CORPUS_HOW; $C_FILES regular files, $(mib "$C_BYTES") MiB"
    echo "- bkp repository: one full set, $NPARTS part(s), $(mib "$REPO_BYTES") MiB (policy defaults: 64 MiB parts); the backup took $(field backup 1) s$BACKUP_NOTE"
    [ -z "$RESTIC" ] || echo "- restic repository (version 2, compression auto): $(mib "$RESTIC_BYTES") MiB"
    echo
    echo "### bkp verify"
    echo
    echo "| check | wall s | CPU s (user+sys) | peak RSS MiB | read MiB | of the repository | files checked | MiB/s read |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|"
    row "sample, 1% of the files (\`--sample 1% --no-rotate --seed 42\`)" sample "$SAMPLE_READ" \
        "$(jget sample.1 'd["files_checked"]') of $(jget sample.1 'd["candidates"]')"
    row "hashes (no key)" hashes "$HASH_READ" "–"
    row "full" full "$FULL_READ" "$(jget full.1 'd["files_checked"]')"
    if [ -n "$RESTIC" ]; then
        row "*restic check --read-data (reference)*" restic "$RESTIC_BYTES" "–"
    fi
    echo
    echo "- read MiB: the repository bytes the check read (\`bytes_read\` of \`--json\`: for sample and full, whole parts — a part is the unit of reading, so a sample that touches most parts reads most of the repository); for restic, its repository's size."
    echo "- hashes reads every object and hashes its ciphertext: MiB/s read is its throughput. sample and full also decrypt, decompress, write into a scratch directory and check every file's hash."
    echo
    echo "### Drill against a plain restore"
    echo
    echo "| | wall s | CPU s (user+sys) | peak RSS MiB | restored MiB (du -sb) |"
    echo "|---|--:|--:|--:|--:|"
    echo "| \`bkp restore\` of the set | $(wall_cell restore) | $(cpu_median restore) | $(rss_max restore) | $(mib "$RESTORED_BYTES") |"
    echo "| \`bkp drill --keep\` of the same set | $(wall_cell drill) | $(cpu_median drill) | $(rss_max drill) | $(mib "$RESTORED_BYTES") |"
    echo
    echo "Drill overhead (median wall, drill ÷ restore − 1): **${OVERHEAD}%**; target under +10%: $MET."
    echo "The drill's own RTO in its median run: $RTO s ($PHASES); it also unlocks the key, lists and verifies every seal, and writes, signs and stores its JSON and HTML report.  Both keep the restored tree (\`--keep\`), removed afterwards outside the timing; the repository is read once before each step."
    echo
    echo "<!-- bench/verify.sh: end -->"
} >"$REPORT"

bench_write_region "$OUT" bench/verify.sh "$REPORT" || die "not writing $OUT"
cat "$REPORT"
say "report written to $OUT"
