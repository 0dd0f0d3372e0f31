# bench/report.sh: sourced by the benchmarks, for their reports.  Each
# owns one region of docs/BENCHMARKS.md between "<!-- NAME: begin -->" and
# "<!-- NAME: end -->" lines, NAME being the script (bench/run.sh, ...),
# and replaces only that.
# shellcheck shell=bash

# bench_machine_lines LOAD0 LOAD1: the CPU, memory, load average (at start
# and end, with a warning when the machine was busy) and kernel lines of a
# report's "Machine" list.
bench_machine_lines() {
	echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown), $(nproc) threads (nproc)"
	echo "- memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	printf -- '- load average (1 min) at start / end: %s / %s' "$1" "$2"
	if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= 1 || b >= 1) }'; then
		printf ' — the machine was not idle: wall times include waiting for a CPU, CPU times are the steadier figures'
	fi
	echo
	echo "- kernel: $(uname -sr); $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")"
}

# bench_write_region OUT NAME SECTION: SECTION (a file holding the whole
# region, markers included) replaces the region NAME of OUT, or is appended
# to OUT (made with a title if it is new).  Returns 1, touching nothing,
# when OUT has the begin marker but not the end one.
bench_write_region() {
	local out=$1 name=$2 section=$3
	local begin="<!-- $name: begin -->" end="<!-- $name: end -->"

	mkdir -p "$(dirname "$out")"
	if [ -f "$out" ] && grep -qF "$begin" "$out"; then
		grep -qF "$end" "$out" || {
			echo "$out has the $name begin marker but no end marker; not touching it" >&2
			return 1
		}
		awk -v b="$begin" -v e="$end" -v f="$section" '
		    index($0, b) == 1 && !done { while ((getline l < f) > 0) print l; skip = 1; done = 1; next }
		    skip && index($0, e) == 1 { skip = 0; next }
		    !skip { print }' "$out" >"$out.tmp.$$"
		mv "$out.tmp.$$" "$out"
	elif [ -s "$out" ]; then
		{ echo; cat "$section"; } >>"$out"
	else
		{ echo "# Benchmarks"; echo; cat "$section"; } >"$out"
	fi
}
