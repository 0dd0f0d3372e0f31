#!/bin/sh
# bench/pg.sh: backing up a PostgreSQL database of about 1 GiB (pgbench
# scale 70) with bkp's [stores] streaming, against pg_dump -Fc to a file
# followed by restic backup of that file.
#
#   sudo bench/pg.sh [--scale N] [--out FILE]
#
# Starts a private server (initdb as postgres, unix socket only) under
# $BENCH_DIR (default /var/tmp), fills it with pgbench -i, then times:
#   bkp      bkp backup of a policy with [stores] postgresql = bench
#   dump     pg_dump --format=custom -f FILE          (the scratch file)
#   restic   restic backup FILE                       (then the file goes)
# and measures for each the peak local disk space (the scratch directory:
# dump file, restic's cache, bkp's state, sampled every 0.2 s) and the
# bytes stored in its repository.  Repositories live apart from the
# scratch directory.  Both restored dumps are checked with pg_restore
# --list.  Writes its section of docs/BENCHMARKS.md (between its markers;
# the rest of the file is left alone).  Needs root, the PostgreSQL server
# and restic (scripts/deps.sh bench), and a built bkp ($BKP or ./bkp/bkp).
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/report.sh
. "$TOP/bench/report.sh"
SCALE=70
OUT=$TOP/docs/BENCHMARKS.md
while [ $# -gt 0 ]; do
	case $1 in
	--scale) SCALE=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "usage: bench/pg.sh [--scale N] [--out FILE]" >&2; exit 2 ;;
	esac
done
BKP=${BKP:-$TOP/bkp/bkp}
[ "$(id -u)" -eq 0 ] || { echo "bench/pg.sh: run as root" >&2; exit 2; }
[ -x "$BKP" ] || { echo "bench/pg.sh: no bkp at $BKP" >&2; exit 2; }
# shellcheck disable=SC2012
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ ! -x "$PGBIN/initdb" ] || ! command -v restic >/dev/null; then
	echo "bench/pg.sh: needs postgresql and restic" >&2
	exit 2
fi

W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/bkp-bench-pg.XXXXXX")
chmod 711 "$W"
PGD=$W/pg
SCRATCH=$W/scratch	# the only local disk a backup may use
REPOS=$W/repos
mkdir -p "$PGD/sock" "$SCRATCH" "$REPOS"
chown -R postgres: "$PGD"
PGPID=
SAMPLER=
finish() {
	[ -z "$SAMPLER" ] || kill "$SAMPLER" 2>/dev/null || :
	[ -z "$PGPID" ] || kill -INT "$PGPID" 2>/dev/null || :
	sleep 2
	rm -rf "$W"
}
trap finish EXIT
trap 'exit 130' INT TERM

log() { echo "--- $*" >&2; }
now() { date +%s.%N; }
as_pg() { runuser -u postgres -- "$@"; }

log "server and pgbench -i -s $SCALE"
as_pg "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth-local=peer \
    --auth-host=reject \
    --no-sync -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -o \
    "-k $PGD/sock -c listen_addresses= -c fsync=off -c max_wal_size=4GB" \
    start >/dev/null
PGPID=$(head -1 "$PGD/data/postmaster.pid")
export PGHOST="$PGD/sock"
as_pg "$PGBIN/createdb" bench
t0=$(now)
as_pg "$PGBIN/pgbench" -i -q -s "$SCALE" bench >/dev/null 2>&1
init_s=$(echo "$(now) - $t0" | bc)
as_pg "$PGBIN/psql" -X -q -c 'checkpoint' bench
dbsize=$(as_pg "$PGBIN/psql" -X -A -t -c \
    "select pg_database_size('bench')" bench)

# sample NAME: the peak size of $SCRATCH, in the background, into $W/NAME.
sample() {
	(
		peak=0
		while :; do
			s=$(du -sb "$SCRATCH" 2>/dev/null | cut -f1)
			[ "${s:-0}" -le "$peak" ] || peak=$s
			echo "$peak" >"$W/$1.peak"
			sleep 0.2
		done
	) &
	SAMPLER=$!
}
stop_sample() {
	sleep 0.5
	kill "$SAMPLER"
	wait "$SAMPLER" 2>/dev/null || :
	SAMPLER=
}

log "bkp: [stores] postgresql, streamed"
BKP_PASSPHRASE=bench BKP_STATE_DIR="$SCRATCH/bkp-state"
export BKP_PASSPHRASE BKP_STATE_DIR
"$BKP" keygen --out "$W/keys" >/dev/null
"$BKP" init --repo "$REPOS/bkp" --pub "$W/keys/repo.pub" >/dev/null
cat >"$W/bench.policy" <<EOF
[policy]
name = pgbench
[repository]
url = $REPOS/bkp
[keys]
public = $W/keys/repo.pub
signing = $W/keys/sign.key
[stores]
postgresql = bench
postgresql_connection = host=$PGD/sock
postgresql_run_as = postgres
EOF
sample bkp
t0=$(now)
/usr/bin/time -f '%e %U %S %M' -o "$W/bkp.time" \
    "$BKP" backup --policy "$W/bench.policy" --json >"$W/bkp.json"
bkp_s=$(echo "$(now) - $t0" | bc)
stop_sample
bkp_peak=$(cat "$W/bkp.peak")
bkp_stored=$(du -sb "$REPOS/bkp" | cut -f1)
"$BKP" restore --repo "$REPOS/bkp" --key "$W/keys/repo.key" \
    --target "$W/restored" bkp-stores/postgresql/bench.dump >/dev/null 2>&1
bkp_dump=$(stat -c %s "$W/restored/bkp-stores/postgresql/bench.dump")
bkp_toc=$("$PGBIN/pg_restore" --list \
    "$W/restored/bkp-stores/postgresql/bench.dump" | grep -c 'TABLE DATA')
rm -rf "$W/restored"

log "pg_dump -Fc to a file, then restic backup"
RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$SCRATCH/restic-cache"
export RESTIC_PASSWORD RESTIC_CACHE_DIR
restic init --repo "$REPOS/restic" >/dev/null 2>&1
chown postgres: "$SCRATCH"
sample dump
t0=$(now)
as_pg "$PGBIN/pg_dump" --format=custom -f "$SCRATCH/bench.dump" bench
dump_s=$(echo "$(now) - $t0" | bc)
dump_size=$(stat -c %s "$SCRATCH/bench.dump")
t0=$(now)
restic --repo "$REPOS/restic" backup --quiet "$SCRATCH/bench.dump" \
    >/dev/null
restic_s=$(echo "$(now) - $t0" | bc)
stop_sample
rm -f "$SCRATCH/bench.dump"
dump_peak=$(cat "$W/dump.peak")
restic_stored=$(du -sb "$REPOS/restic" | cut -f1)
restic --repo "$REPOS/restic" restore latest --target "$W/rr" >/dev/null 2>&1
restic_toc=$("$PGBIN/pg_restore" --list "$W/rr$SCRATCH/bench.dump" |
    grep -c 'TABLE DATA')

mib() { echo "scale=1; $1 / 1048576" | bc; }
sum() { echo "$1 + $2" | bc; }
load=$(cut -d' ' -f1 /proc/loadavg)
section=$W/section.md
{
	echo '<!-- bench/pg.sh: begin -->'
	echo '<!-- Generated by bench/pg.sh; edit outside these markers only. -->'
	echo
	echo '## PostgreSQL: bkp [stores] streaming against pg_dump + restic'
	echo
	echo "Run on $(date -u '+%Y-%m-%d %H:%M') UTC on $(nproc) CPUs," \
	    "load average $load at the end (the machine was shared:" \
	    "wall times include waiting for a CPU)."
	echo "Database: pgbench scale $SCALE, $(mib "$dbsize") MiB" \
	    "(pg_database_size; pgbench -i took ${init_s%.*} s)," \
	    "PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }')."
	echo "bkp: \`[stores] postgresql = bench\`, that is pg_dump" \
	    "--format=custom --compress=0 streamed through zstd -3 and" \
	    "encryption; restic $(restic version | awk '{ print $2 }')" \
	    "backs up the file of pg_dump --format=custom (its default" \
	    "compression)."
	echo
	echo '| | wall time | peak local disk | stored in the repository |'
	echo '|---|---:|---:|---:|'
	printf '| bkp backup (dump streamed) | %.1f s | %s MiB | %s MiB |\n' \
	    "$bkp_s" "$(mib "$bkp_peak")" "$(mib "$bkp_stored")"
	printf '| pg_dump -Fc to a file | %.1f s | %s MiB | |\n' \
	    "$dump_s" "$(mib "$dump_peak")"
	printf '| then restic backup of the file | %.1f s | | %s MiB |\n' \
	    "$restic_s" "$(mib "$restic_stored")"
	printf '| pg_dump + restic, in all | %.1f s | %s MiB | %s MiB |\n' \
	    "$(sum "$dump_s" "$restic_s")" "$(mib "$dump_peak")" \
	    "$(mib "$restic_stored")"
	echo
	echo "Peak local disk is the largest size of the scratch directory" \
	    "sampled every 0.2 s: the dump file ($(mib "$dump_size") MiB)" \
	    "and restic's cache for pg_dump + restic; bkp's state" \
	    "directory for bkp, which writes no dump to disk."
	echo "The dump that bkp stored is $(mib "$bkp_dump") MiB" \
	    "uncompressed; both restored dumps list $bkp_toc and" \
	    "$restic_toc tables' data (pg_restore --list)."
	echo "bkp's time and memory (/usr/bin/time: wall, user, system s," \
	    "max RSS KiB): $(cat "$W/bkp.time")."
	echo
	echo '<!-- bench/pg.sh: end -->'
} >"$section"
cat "$section"

# Replace the section between the markers, or append it.
bench_write_region "$OUT" bench/pg.sh "$section" || exit 1
echo "bench/pg.sh: wrote its section of $OUT" >&2
