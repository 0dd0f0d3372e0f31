#!/bin/bash
# shellcheck disable=SC2016  # single-quoted scripts for bash -c are on purpose
# bench/run.sh — bkp against its peers (restic, borg, tar|zstd|age) on one corpus.
#
#   bench/run.sh [--corpus DIR] [--scale S] [--out FILE] [--work DIR]
#
#   --corpus DIR  back up a copy of DIR instead of the reference corpus
#   --scale S     size of the generated reference corpus (default 1.0 = ~1 GiB)
#   --out FILE    markdown report (default docs/BENCHMARKS.md at the repo top);
#                 only the region between the bench/run.sh markers is replaced
#   --work DIR    scratch directory (default: a fresh /dev/shm/bkp-bench.XXXXXX,
#                 removed at exit); a DIR given here must be empty and is kept
#
# Environment:
#   BKP           bkp binary (default: bkp/bkp, else bkp, at the repo top)
#   BENCH_TOOLS   tools to run, any of "bkp restic borg tar" (default: all four)
#   MAKE_CORPUS   corpus generator (default: ../shared/bench/make-corpus.sh
#                 next to the repo top)
#   BENCH_SEED    corpus seed (default 42)
#
# Exit status: 0 on success; 1 when a step fails (one line on stderr names the
# step and its log); 2 on usage errors; 3 when every step ran but a restored
# tree differs from the corpus (the report is still written).
set -euo pipefail

prog=bench/run.sh
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
usage() { sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
START=$SECONDS
say() { printf '%s: [%ds] %s\n' "$prog" $((SECONDS - START)) "$*" >&2; }

# ---------------------------------------------------------------- arguments
CORPUS_ARG='' SCALE=1.0 OUT='' WORK_ARG=''
while [ $# -gt 0 ]; do
    case "$1" in
    --corpus) [ $# -ge 2 ] || usage; CORPUS_ARG=$2; shift 2 ;;
    --corpus=*) CORPUS_ARG=${1#*=}; shift ;;
    --scale) [ $# -ge 2 ] || usage; SCALE=$2; shift 2 ;;
    --scale=*) SCALE=${1#*=}; shift ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    --work) [ $# -ge 2 ] || usage; WORK_ARG=$2; shift 2 ;;
    --work=*) WORK_ARG=${1#*=}; shift ;;
    -h|--help) usage 0 ;;
    *) say "unknown argument: $1"; usage ;;
    esac
done
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || { say "--scale wants a number, got '$SCALE'"; exit 2; }
SEED=${BENCH_SEED:-42}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/report.sh
. "$here/report.sh"
TOP=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/.." && pwd))
OUT=${OUT:-$TOP/docs/BENCHMARKS.md}
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac
MAKE_CORPUS=${MAKE_CORPUS:-$TOP/../shared/bench/make-corpus.sh}

TOOLS=${BENCH_TOOLS:-bkp restic borg tar}
for t in $TOOLS; do
    case "$t" in bkp|restic|borg|tar) ;; *) die "BENCH_TOOLS: unknown tool '$t' (known: bkp restic borg tar)" ;; esac
done
has_tool() { case " $TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }

# ------------------------------------------------------------ prerequisites
[ -x /usr/bin/time ] || die "GNU time missing at /usr/bin/time (apt-get install time)"
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install $2)"; }
need find findutils; need du coreutils; need md5sum coreutils
has_tool restic && need restic restic
has_tool borg && need borg borgbackup
if has_tool tar; then need tar tar; need zstd zstd; need age age; need age-keygen age; fi

BKP_FROM_ENV=0
if has_tool bkp; then
    if [ -n "${BKP:-}" ]; then
        BKP_FROM_ENV=1
        if ! [ -f "$BKP" ] || ! [ -x "$BKP" ]; then die "BKP=$BKP is not an executable file"; fi
    elif [ -f "$TOP/bkp/bkp" ] && [ -x "$TOP/bkp/bkp" ]; then
        BKP=$TOP/bkp/bkp
    elif [ -f "$TOP/bkp" ] && [ -x "$TOP/bkp" ]; then
        BKP=$TOP/bkp
    else
        die "bkp binary not found (looked at \$BKP, bkp/bkp, bkp): build it with ./autogen.sh && ./configure && make, set BKP=/path/to/bkp, or leave it out with BENCH_TOOLS=\"restic borg tar\""
    fi
    BKP=$(cd "$(dirname "$BKP")" && pwd)/$(basename "$BKP")
fi

if [ -n "$CORPUS_ARG" ]; then
    [ -d "$CORPUS_ARG" ] || die "--corpus $CORPUS_ARG: not a directory"
    CORPUS_SRC=$(cd "$CORPUS_ARG" && pwd)
else
    [ -f "$MAKE_CORPUS" ] || die "corpus generator not found at $MAKE_CORPUS (set MAKE_CORPUS)"
    command -v python3 >/dev/null 2>&1 || die "python3 is needed by the corpus generator"
fi

# ---------------------------------------------------------------- work dir
OWN_WORK=0 FAILED=0
if [ -n "$WORK_ARG" ]; then
    mkdir -p "$WORK_ARG" || die "cannot create --work $WORK_ARG"
    [ -z "$(ls -A "$WORK_ARG")" ] || die "--work $WORK_ARG is not empty"
    WORK=$(cd "$WORK_ARG" && pwd)
else
    WORK=$(mktemp -d /dev/shm/bkp-bench.XXXXXX) || die "cannot create a work dir in /dev/shm"
    OWN_WORK=1
fi
cleanup() {
    local rc=$?
    if [ "$OWN_WORK" = 1 ]; then
        if [ "$FAILED" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 3 ]; }; then
            # keep the logs (small) so the printed log path stays valid
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
mkdir -p "$LOGS"
CORPUS=$WORK/corpus

# bkp's version and commit, taken now, before the run
BKP_VER=
if has_tool bkp; then
    BKP_ORIG=$BKP
    BKP_VER=$("$BKP_ORIG" --version 2>/dev/null | head -n 1 || true)
    [ -n "$BKP_VER" ] || BKP_VER="bkp (no --version)"
    c=
    [ "$BKP_FROM_ENV" = 1 ] || c=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || true)
    if [ -n "$c" ]; then
        d=$(git -C "$TOP" status --porcelain --untracked-files=no 2>/dev/null | head -n 1)
        BKP_VER="$BKP_VER, commit $c${d:+ + uncommitted changes}"
    elif [ "$BKP_FROM_ENV" = 1 ]; then
        BKP_VER="$BKP_VER (binary given by \$BKP)"
    else
        BKP_VER="$BKP_VER, no commit yet"
    fi
    # Run a private copy, so a rebuild during the run cannot mix versions.
    mkdir -p "$WORK/bin"
    cp "$BKP_ORIG" "$WORK/bin/bkp"
    BKP=$WORK/bin/bkp
fi

# Secrets reach the tools through the environment only, never argv.
PASS=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export BKP_PASSPHRASE=$PASS RESTIC_PASSWORD=$PASS BORG_PASSPHRASE=$PASS
export BKP_STATE_DIR=$WORK/bkp-state
export RESTIC_REPOSITORY=$WORK/repo-restic RESTIC_CACHE_DIR=$WORK/state-restic
export BORG_BASE_DIR=$WORK/state-borg BORG_REPO=$WORK/repo-borg
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# ------------------------------------------------------------------ helpers
# run_logged TOOL STEP CMD...: an untimed step (setup, corpus), output to a log
run_logged() {
    local tool=$1 step=$2; shift 2
    local log=$LOGS/$tool-$step.log rc=0
    "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        FAILED=1
        die "FAILED: $tool $step (exit $rc), log: $log"
    fi
}

# timed TOOL OP CMD...: one measured step; stores wall, user+sys, peak RSS
declare -A WALL CPU RSS REPO STATE NOTE
OK_RC=0   # an exit status that means "done, with warnings" (bkp and borg: 1)
timed() {
    local tool=$1 op=$2; shift 2
    local log=$LOGS/$tool-$op.log tf=$LOGS/$tool-$op.time rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        if [ "$rc" = "$OK_RC" ]; then
            NOTE[$op|$tool]="exit $rc (warnings, see log)"
        else
            FAILED=1
            die "FAILED: $tool $op (exit $rc), log: $log"
        fi
    fi
    local wall user sys rss
    read -r wall user sys rss < <(tail -n 1 "$tf")
    WALL[$op|$tool]=$wall
    CPU[$op|$tool]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    RSS[$op|$tool]=$rss
}

bytes() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }

warm() {    # page cache, dentries and inodes of DIR
    find "$1" -type f -print0 | xargs -0 -r cat >/dev/null 2>&1 || true
    find "$1" >/dev/null 2>&1 || true
}

# fingerprint DIR OUTPREFIX: layout-independent content summary
fingerprint() {
    (cd "$1" && find . -type f -print0 | xargs -0 -r md5sum | cut -c1-32 | LC_ALL=C sort) >"$2.files"
    (cd "$1" && find . -type l -printf '%l\n' | LC_ALL=C sort) >"$2.links"
}

corpus_stats() {   # files dirs symlinks multi-linked-names bytes
    local f d l h b
    f=$(find "$1" -type f | wc -l)
    d=$(find "$1" -mindepth 1 -type d | wc -l)
    l=$(find "$1" -type l | wc -l)
    h=$(find "$1" -type f -links +1 | wc -l)
    b=$(find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
    echo "$f $d $l $h $b"
}

# ------------------------------------------------------------------- tools
# Each tool_TOOL OP runs one operation: setup (untimed), full, incr0 (no
# change), incr1 (after the ~1% change), restore (into $2).

tool_bkp() {
    local keys=$WORK/keys-bkp repo=$WORK/repo-bkp policy=$WORK/bkp-policy.ini
    case "$1" in
    setup)
        mkdir -p "$BKP_STATE_DIR"
        run_logged bkp keygen "$BKP" keygen --out "$keys"
        run_logged bkp init "$BKP" init --repo "$repo" --pub "$keys/repo.pub"
        cat >"$policy" <<EOF
[policy]
name = bench
[source]
paths = $CORPUS
[repository]
url = $repo
[keys]
public = $keys/repo.pub
signing = $keys/sign.key
EOF
        ;;
    full|incr0|incr1)   # exit 1: completed with warnings
        local level=incr
        [ "$1" = full ] && level=full
        OK_RC=1
        timed bkp "$1" "$BKP" backup --policy "$policy" --level "$level"
        OK_RC=0 ;;
    restore) timed bkp restore "$BKP" restore --repo "$repo" --key "$keys/repo.key" --target "$2" ;;
    repo) echo "$repo" ;;
    state) echo "$BKP_STATE_DIR" ;;
    esac
}

tool_restic() {
    case "$1" in
    setup) run_logged restic init restic init --repository-version 2 ;;
    full|incr0|incr1) timed restic "$1" restic backup --compression auto "$CORPUS" ;;
    restore) timed restic restore restic restore latest --target "$2" ;;
    repo) echo "$RESTIC_REPOSITORY" ;;
    state) echo "$RESTIC_CACHE_DIR" ;;
    esac
}

tool_borg() {
    case "$1" in
    setup) run_logged borg init borg init --encryption repokey ;;
    full|incr0|incr1)
        OK_RC=1
        timed borg "$1" borg create --compression zstd,3 "$BORG_REPO::$1" "$CORPUS"
        OK_RC=0 ;;
    restore)
        OK_RC=1
        timed borg restore bash -c 'cd "$1" && exec borg extract "$2"' _ "$2" "$BORG_REPO::incr1"
        OK_RC=0 ;;
    repo) echo "$BORG_REPO" ;;
    state) echo "$BORG_BASE_DIR" ;;
    esac
}

TAR_REPO=$WORK/repo-tar TAR_STATE=$WORK/state-tar TAR_KEY=$WORK/keys-tar/key.txt
tool_tar() {
    # A GNU tar --listed-incremental chain: full (level 0), incr0, incr1; each
    # level starts from a copy of the previous level's snapshot file.
    local pipe='set -euo pipefail
        snar=$1 prev=$2 out=$3 recipient=$4 parent=$5
        if [ -n "$prev" ]; then cp "$prev" "$snar"; fi
        tar --listed-incremental="$snar" -cf - -C "$parent" corpus |
            zstd -3 -T0 -q | age -r "$recipient" >"$out"'
    local recipient
    case "$1" in
    setup)
        mkdir -p "$TAR_REPO" "$TAR_STATE" "$(dirname "$TAR_KEY")"
        run_logged tar keygen age-keygen -o "$TAR_KEY"
        ;;
    full|incr0|incr1)
        local prev=
        case "$1" in incr0) prev=$TAR_STATE/snar.full ;; incr1) prev=$TAR_STATE/snar.incr0 ;; esac
        recipient=$(age-keygen -y "$TAR_KEY")
        timed tar "$1" bash -c "$pipe" _ "$TAR_STATE/snar.$1" "$prev" \
            "$TAR_REPO/$1.tar.zst.age" "$recipient" "$WORK"
        ;;
    restore)
        timed tar restore bash -c 'set -euo pipefail
            key=$1 target=$2; shift 2
            for f in "$@"; do
                age -d -i "$key" "$f" | zstd -d -q | tar --listed-incremental=/dev/null -xf - -C "$target"
            done' _ "$TAR_KEY" "$2" \
            "$TAR_REPO/full.tar.zst.age" "$TAR_REPO/incr0.tar.zst.age" "$TAR_REPO/incr1.tar.zst.age"
        ;;
    repo) echo "$TAR_REPO" ;;
    state) echo "$TAR_STATE" ;;
    esac
}

record_sizes() {   # OP TOOL
    REPO[$1|$2]=$(bytes "$("tool_$2" repo)")
    STATE[$1|$2]=$(bytes "$("tool_$2" state)")
}

# ------------------------------------------------------------------ corpus
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
if [ -n "$CORPUS_ARG" ]; then
    say "copying $CORPUS_SRC into the work dir"
    run_logged corpus copy cp -a "$CORPUS_SRC" "$CORPUS"
    # A corpus made by make-corpus.sh is recognised by its layout and gets
    # the generator's own daily change; any other gets ~1% of files appended to.
    if [ -f "$CORPUS/db/main.db" ] && [ -f "$CORPUS/blobs/media.bin" ] && [ -d "$CORPUS/src" ] &&
        [ -f "$MAKE_CORPUS" ]; then
        MUTATE=corpus
        CORPUS_HOW="a copy of a corpus made by \`make-corpus.sh\` (layout recognised; seed and scale unknown to the harness)"
    else
        MUTATE=append
        CORPUS_HOW="a copy of a user-supplied directory (\`$(basename "$CORPUS_SRC")\`)"
    fi
else
    say "generating the reference corpus (seed $SEED, scale $SCALE)"
    run_logged corpus create "$MAKE_CORPUS" create "$CORPUS" "$SEED" "$SCALE"
    MUTATE=corpus
    CORPUS_HOW="\`make-corpus.sh create DIR $SEED $SCALE\` (reference corpus)"
    if [ "$SEED" != 42 ] || ! awk -v s="$SCALE" 'BEGIN { exit !(s == 1) }'; then
        CORPUS_HOW="$CORPUS_HOW — not the reference seed 42 / scale 1.0: a quick check, not comparable with reference figures"
    fi
fi
read -r C_FILES C_DIRS C_LINKS C_HARD C_BYTES < <(corpus_stats "$CORPUS")
say "corpus: $C_FILES files, $C_DIRS dirs, $C_LINKS symlinks, $C_BYTES bytes"

mutate_corpus() {
    if [ "$MUTATE" = corpus ]; then
        run_logged corpus mutate "$MAKE_CORPUS" mutate "$CORPUS" 1 "$SEED"
    else
        # every 100th regular file (sorted by path) gets one line appended
        run_logged corpus mutate bash -c 'find "$1" -type f -print0 | LC_ALL=C sort -z |
            awk -v RS="\0" -v ORS="\0" "NR % 100 == 1" |
            while IFS= read -r -d "" f; do printf "bench/run.sh: day 1 change\n" >>"$f"; done' _ "$CORPUS"
    fi
}

# ------------------------------------------------------------------- setup
for t in $TOOLS; do "tool_$t" setup; done

# find baseline: the metadata walk every incremental needs at least
baseline_walk() {
    timed find "$1" find "$CORPUS" -printf '%s %T@ %C@ %i\n'
}

# --------------------------------------------------------------- run steps
OPS="full incr0 incr1 restore"
for op in full incr0 incr1; do
    if [ "$op" = incr1 ]; then
        say "applying the ~1% change"
        mutate_corpus
    fi
    warm "$CORPUS"
    baseline_walk "$op"
    for t in $TOOLS; do
        say "$op: $t"
        warm "$CORPUS"
        "tool_$t" "$op"
        record_sizes "$op" "$t"
    done
done
read -r M_FILES M_DIRS M_LINKS _ M_BYTES < <(corpus_stats "$CORPUS")
MUTATE_LINE=$(tail -n 1 "$LOGS/corpus-mutate.log" 2>/dev/null || true)

# restore: latest state into an empty dir in the work dir, then check it
fingerprint "$CORPUS" "$WORK/ref" || { FAILED=1; die "FAILED: corpus fingerprint (reading the corpus)"; }
declare -A CHECK RESTORED
CHECK_FAILED=
check_restore() {   # TOOL DIR
    fingerprint "$2" "$WORK/got-$1" || { FAILED=1; die "FAILED: $1 restore check (reading the restored tree)"; }
    local nf nl
    nf=$(wc -l <"$WORK/got-$1.files"); nl=$(wc -l <"$WORK/got-$1.links")
    RESTORED[$1]=$(find "$2" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
    if cmp -s "$WORK/ref.files" "$WORK/got-$1.files" && cmp -s "$WORK/ref.links" "$WORK/got-$1.links"; then
        CHECK[$1]=ok
    else
        CHECK[$1]="MISMATCH ($nf/$(wc -l <"$WORK/ref.files") files, $nl/$(wc -l <"$WORK/ref.links") symlinks)"
        { echo "== files: content hashes only in corpus (<) or only in restore (>)"
          diff "$WORK/ref.files" "$WORK/got-$1.files" | head -n 50 || true
          echo "== symlink targets"
          diff "$WORK/ref.links" "$WORK/got-$1.links" | head -n 50 || true
        } >"$LOGS/$1-restore-check.log"
        CHECK_FAILED="$CHECK_FAILED $1"
        say "WARNING: $1 restore differs from the corpus, see $LOGS/$1-restore-check.log"
    fi
}

# cp -a baseline: copying the tree is the floor for any restore
mkdir -p "$WORK/restore-cp"
warm "$CORPUS"
timed cp restore cp -a "$CORPUS" "$WORK/restore-cp/corpus"
rm -rf "$WORK/restore-cp"
for t in $TOOLS; do
    say "restore: $t"
    target=$WORK/restore-$t
    mkdir -p "$target"
    warm "$("tool_$t" repo)"
    "tool_$t" restore "$target"
    record_sizes restore "$t"
    check_restore "$t" "$target"
    rm -rf "$target"
done
# One file out of the latest set: what a partial restore fetches.
PARTIAL=
if has_tool bkp; then
    one=$(cd / && find "${CORPUS#/}" -type f -size -64k | LC_ALL=C sort | awk "NR == 1")
    say "restore: bkp, one file ($one)"
    mkdir -p "$WORK/restore-one"
    PARTIAL=$("$BKP" restore --repo "$WORK/repo-bkp" --key "$WORK/keys-bkp/repo.key" \
        --target "$WORK/restore-one" --json "$one" 2>>"$LOGS/bkp-restore-one.log") ||
        die "FAILED: bkp one-file restore (log: $LOGS/bkp-restore-one.log)"
    PARTIAL_FILE=$one
    rm -rf "$WORK/restore-one"
fi
T1=$(date +%s)
LOAD1=$(cut -d' ' -f1 /proc/loadavg)

# ------------------------------------------------------------------ report
ver() { "$@" 2>/dev/null | head -n 1 || true; }

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
kib2mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() {   # bkp wall / tool wall
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
label() {
    case "$1" in
    bkp) echo "bkp" ;;
    restic) echo "restic (compression auto)" ;;
    borg) echo "borg (repokey, zstd,3)" ;;
    tar) echo "tar \\| zstd -3 \\| age" ;;
    find) echo "*baseline: find metadata walk*" ;;
    cp) echo "*baseline: cp -a of the corpus*" ;;
    esac
}
op_title() {
    case "$1" in
    full) echo "Full backup" ;;
    incr0) echo "Incremental, no change" ;;
    incr1) echo "Incremental after the ~1% change" ;;
    restore) echo "Full restore of the latest state" ;;
    esac
}

table() {   # OP
    local op=$1 base t row
    case "$op" in restore) base='cp' ;; *) base='find' ;; esac
    printf '| tool | wall s | CPU s (user+sys) | peak RSS MiB | repo MiB | repo growth MiB | local state MiB |'
    [ "$op" = restore ] && printf ' restored MiB | check |'
    has_tool bkp && printf ' bkp wall ÷ tool wall |'
    printf '\n|---|--:|--:|--:|--:|--:|--:|'
    [ "$op" = restore ] && printf -- '--:|---|'
    has_tool bkp && printf -- '--:|'
    printf '\n'
    local prev
    case "$op" in incr0) prev=full ;; incr1) prev=incr0 ;; restore) prev=incr1 ;; *) prev= ;; esac
    for t in $TOOLS $base; do
        row="| $(label "$t") | ${WALL[$op|$t]} | ${CPU[$op|$t]} | $(kib2mib "${RSS[$op|$t]}") |"
        if [ "$t" = "$base" ]; then
            row="$row – | – | – |"
            # the cp baseline copies the corpus as it is after the change
            [ "$op" = restore ] && row="$row $(mib "$M_BYTES") | – |"
        else
            local growth
            if [ -n "$prev" ]; then
                growth=$(mib $(( ${REPO[$op|$t]} - ${REPO[$prev|$t]} )))
            else
                growth=$(mib "${REPO[$op|$t]}")
            fi
            row="$row $(mib "${REPO[$op|$t]}") | $growth | $(mib "${STATE[$op|$t]}") |"
            [ "$op" = restore ] && row="$row $(mib "${RESTORED[$t]}") | ${CHECK[$t]} |"
        fi
        if has_tool bkp; then
            if [ "$t" = bkp ]; then row="$row 1.00 |"
            else row="$row $(ratio "${WALL[$op|bkp]}" "${WALL[$op|$t]}") |"; fi
        fi
        echo "$row"
    done
    for t in $TOOLS; do
        [ -n "${NOTE[$op|$t]:-}" ] && printf '\n%s: %s.\n' "$t" "${NOTE[$op|$t]}"
    done
    return 0
}

REPORT=$WORK/report.md
{
    echo "<!-- bench/run.sh: begin -->"
    echo "<!-- Generated by bench/run.sh; edit outside these markers only. -->"
    echo
    echo "## bkp against restic, borg and tar | zstd | age"
    echo
    echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC'), $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s in all."
    echo
    echo "### Machine"
    echo
    bench_machine_lines "$LOAD0" "$LOAD1"
    echo "- work dir (corpus, repositories, restore targets): $(stat -f -c %T "$WORK")$([ "$OWN_WORK" = 1 ] && echo " (/dev/shm)")"
    echo "- tools:"
    has_tool bkp && echo "  - $BKP_VER"
    has_tool restic && echo "  - $(ver restic version)"
    has_tool borg && echo "  - $(ver borg --version)"
    if has_tool tar; then
        echo "  - $(ver tar --version), zstd $(ver zstd -V | grep -o 'v[0-9][0-9.]*' | head -n 1), age $(ver age --version)"
    fi
    echo
    echo "### Corpus"
    echo
    echo "- made by: $CORPUS_HOW"
    echo "- before the change: $C_FILES regular files ($C_HARD of them hard-linked names), $C_DIRS directories, $C_LINKS symlinks, $(mib "$C_BYTES") MiB in regular files"
    if [ "$MUTATE" = corpus ]; then
        echo "- the ~1% change: \`make-corpus.sh mutate DIR 1 $SEED\` — ${MUTATE_LINE:-see the generator}"
    else
        echo "- the ~1% change: one line appended to every 100th regular file (sorted by path)"
    fi
    echo "- after the change: $M_FILES regular files, $M_DIRS directories, $M_LINKS symlinks, $(mib "$M_BYTES") MiB in regular files"
    echo
    echo "### How it was measured"
    echo
    echo "- Every step is one run of \`/usr/bin/time -f '%e %U %S %M'\`, caches warm (the corpus is read once before each step). Pipelines run under \`bash -c\`: CPU is the sum over the pipeline, peak RSS that of its largest process."
    echo "- Steps run side by side: each operation for every tool, then the next operation. Incrementals build on the previous set (full → no-change incremental → incremental after the ~1% change). The restore is of the latest state, into an empty directory, and is checked afterwards (MD5 of every regular file and every symlink target, layout-independent; modes, owners and times are not checked)."
    echo "- repo MiB: \`du -sb\` of the repository after the step; repo growth: the change from the previous step; local state: caches and state kept outside the repository (bkp state dir, restic cache, borg base dir with its cache, tar snapshot files)."
    has_tool bkp && echo "- **bkp wall ÷ tool wall**: bkp's wall time divided by that row's; below 1.00 bkp is faster, above 1.00 it is slower."
    echo "- Settings: bkp with the policy's defaults; restic repository version 2, \`--compression auto\`; borg \`--encryption repokey --compression zstd,3\`; tar with \`--listed-incremental\`, \`zstd -3 -T0\`, \`age\` to an X25519 recipient; restore of tar replays the full and each incremental in order."
    for op in $OPS; do
        echo
        echo "### $(op_title "$op")"
        echo
        table "$op"
    done
    if [ -n "$PARTIAL" ]; then
        echo
        echo "### Restoring one file"
        echo
        python3 - "$PARTIAL" "$(bytes "$WORK/repo-bkp")" "$PARTIAL_FILE" <<'PY'
import json, sys
r, repo, path = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print("bkp restore of one file (`%s`) from the latest set: %d part(s) read, "
      "%.2f MiB fetched (manifest and part) of a %.1f MiB repository (%.1f%%), "
      "%.2f s." % (path, r["parts_read"], r["bytes_fetched"] / 1048576,
                   repo / 1048576, 100.0 * r["bytes_fetched"] / repo, r["seconds"]))
PY
    fi
    echo
    echo "<!-- bench/run.sh: end -->"
} >"$REPORT"

# Replace the marked region of OUT, or append it; nothing else is touched.
bench_write_region "$OUT" bench/run.sh "$REPORT" || die "not writing $OUT"
say "report written to $OUT"

if [ -n "$CHECK_FAILED" ]; then
    say "restored tree differs from the corpus for:$CHECK_FAILED (logs in $LOGS)"
    if [ "$OWN_WORK" = 1 ]; then
        find "$WORK" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null || true
        OWN_WORK=0
        say "logs kept in $LOGS (remove the directory when done)"
    fi
    exit 3
fi
