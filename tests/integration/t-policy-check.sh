#!/bin/sh
# bkp policy check: every problem it knows, one case each, with exit status
# 3 and the exact "file:line: message" (or "file: message" where no line is
# to blame); a close misspelling of a key gets a suggestion; the key files
# and sources are looked at unless --syntax-only.
. "$(dirname "$0")/lib.sh"
need_bkp

mkdir -p "$T/keys" "$T/src" "$T/p"
: >"$T/keys/repo.pub"
: >"$T/keys/sign.key"
: >"$T/keys/id_ed25519"

# base FILE: a valid policy of 9 lines; a case appends to it.
base() {
	cat >"$1" <<EOF
[policy]
name = check
[source]
paths = $T/src
[repository]
url = $T/repo
[keys]
public = $T/keys/repo.pub
signing = $T/keys/sign.key
EOF
}

# case_file NAME [FORMAT [ARGS...]]: $T/p/NAME.policy, the base policy and
# then printf FORMAT ARGS...; prints its path.
case_file() {
	_c_name=$1
	base "$T/p/$_c_name.policy"
	shift
	[ $# -eq 0 ] || printf "$@" >>"$T/p/$_c_name.policy"
	echo "$T/p/$_c_name.policy"
}

# case_sed NAME SCRIPT: $T/p/NAME.policy, the base policy edited by sed
# SCRIPT; prints its path.
case_sed() {
	base "$T/p/$1.policy"
	sed -i "$2" "$T/p/$1.policy"
	echo "$T/p/$1.policy"
}

# expect_error FILE MESSAGE [OPTION]: bkp policy check [OPTION] FILE exits 3
# and its stderr is exactly the line "bkp: error: FILE" MESSAGE (MESSAGE
# begins with ":LINE: " or ": "); it does not say FILE is ok.
expect_error() {
	_e_rc=0
	"$BKP" policy check ${3:+"$3"} "$1" >"$T/out" 2>"$T/err" || _e_rc=$?
	[ "$_e_rc" -eq 3 ] ||
		{ cat "$T/err" >&2; fail "$1: exit $_e_rc, expected 3"; }
	printf 'bkp: error: %s%s\n' "$1" "$2" | cmp -s - "$T/err" || {
		cat "$T/err" >&2
		fail "$1: stderr is not just: $1$2"
	}
	[ ! -s "$T/out" ] || fail "$1: said ok although it is bad"
}

# expect_ok FILE [OPTION]: bkp policy check [OPTION] FILE says "FILE: ok".
expect_ok() {
	_o_rc=0
	"$BKP" policy check ${2:+"$2"} "$1" >"$T/out" 2>"$T/err" || _o_rc=$?
	[ "$_o_rc" -eq 0 ] && [ ! -s "$T/err" ] ||
		{ cat "$T/err" >&2; fail "$1: exit $_o_rc, expected ok"; }
	[ "$(cat "$T/out")" = "$1: ok" ] || fail "$1: not said to be ok"
}

log "valid policies"
expect_ok "$(case_file base)"
# Every key of every section, with valid values.
f=$(case_file full '[source]\nexclude = *.tmp\n    /tmp/x\none_file_system = yes
[repository]\nidentity = %s\nknown_hosts = %s
[backup]\npart_size = 1M\ncompression = 19\nthreads = 0
[retention]\nkeep_last = 0\nkeep_daily = 7\nkeep_weekly = 4\nkeep_monthly = 12
keep_yearly = 100000\nmin_versions = 3
[schedule]\nfull = weekly Sunday\nincremental = hourly\nwindow = 22:00-06:00
[hooks]\npre = echo "a;b" # not a comment\npost = true\non_failure = true
timeout = 1d\n' "$T/keys/id_ed25519" "$T/keys/known_hosts")
expect_ok "$f"
expect_ok "$(case_file sched-weekly '[schedule]\nfull = weekly\nincremental = daily
window = 00:00-24:00\n')"
expect_ok "$(case_file sched-sat '[schedule]\nfull = WEEKLY sat\nincremental = hourly\n')"
# fulls only; an hour-long window that wraps past midnight; a drill as
# often as the backups
expect_ok "$(case_file sched-full-only '[schedule]\nfull = daily\nwindow = 23:30-00:30\n[drill]\nevery = 1d\n')"
expect_ok "$(case_sed name64 "s/^name = check$/name = $(printf '%064d' 0)/")"
# A list may go on in a second [source] section; its paths add up.
expect_ok "$(case_file paths-twice '[source]\npaths = /nonexistent\n')" \
    --syntax-only

log "sections and keys"
expect_error "$(case_file unknown-section '[retension]\nkeep_daily = 3\n')" \
    ":11: unknown section [retension]"
expect_error "$(case_sed before-section '1i name = x')" ":1: unknown section []"
expect_error "$(case_file unknown-key '[retention]\ncolour = blue\n')" \
    ":11: unknown key 'colour' in section [retention]"
expect_error "$(case_file did-you-mean '[retention]\nkeep_dayly = 3\n')" \
    ":11: unknown key 'keep_dayly' in section [retention]; did you mean 'keep_daily'?"
expect_error "$(case_file did-you-mean-case '[hooks]\nTimeOut = 3\n')" \
    ":11: unknown key 'TimeOut' in section [hooks]; did you mean 'timeout'?"
expect_error "$(case_file did-you-mean-2 '[schedule]\nincremantal = daily\n')" \
    ":11: unknown key 'incremantal' in section [schedule]; did you mean 'incremental'?"
expect_error "$(case_file no-suggestion-3 '[retention]\nkep_dialy = 3\n')" \
    ":11: unknown key 'kep_dialy' in section [retention]"
expect_error "$(case_file no-suggestion-short '[hooks]\nurl = x\n')" \
    ":11: unknown key 'url' in section [hooks]"
expect_error "$(case_file twice '[backup]\ncompression = 3\ncompression = 4\n')" \
    ":12: [backup] compression given twice"
expect_error "$(case_file twice-section '[policy]\nname = other\n')" \
    ":11: [policy] name given twice"
expect_error "$(case_sed missing '/^signing = /d')" ": missing [keys] signing"
expect_error "$(case_sed missing-section '/^\[repository\]$/d; /^url = /d')" \
    ": missing [repository] url"

log "values"
expect_error "$(case_file bool '[source]\none_file_system = maybe\n')" \
    ":11: [source] one_file_system = maybe: expected yes or no"
expect_error "$(case_file size '[backup]\npart_size = lots\n')" \
    ":11: [backup] part_size = lots: expected a size such as 64M"
expect_error "$(case_file size-small '[backup]\npart_size = 1023K\n')" \
    ":11: [backup] part_size = 1023K: expected a size such as 64M"
expect_error "$(case_file int-high '[backup]\ncompression = 20\n')" \
    ":11: [backup] compression = 20: expected a whole number from 1 to 19"
expect_error "$(case_file int-low '[retention]\nmin_versions = 2\n')" \
    ":11: [retention] min_versions = 2: expected a whole number from 3 to 100000"
expect_error "$(case_file int-word '[retention]\nkeep_daily = 7days\n')" \
    ":11: [retention] keep_daily = 7days: expected a whole number from 0 to 100000"
P="expected hourly, daily, weekly [sun..sat] or monthly"
expect_error "$(case_file period '[schedule]\nfull = fortnightly\n')" \
    ":11: [schedule] full = fortnightly: $P"
expect_error "$(case_file period-day '[schedule]\nfull = weekly sunflower\n')" \
    ":11: [schedule] full = weekly sunflower: $P"
expect_error "$(case_file period-two-days '[schedule]\nfull = weekly sun sat\n')" \
    ":11: [schedule] full = weekly sun sat: $P"
expect_error "$(case_file period-extra '[schedule]\nincremental = daily 3\n')" \
    ":11: [schedule] incremental = daily 3: $P"
W="expected a time window such as 01:00-05:00"
expect_error "$(case_file window '[schedule]\nwindow = nights\n')" \
    ":11: [schedule] window = nights: $W"
expect_error "$(case_file window-hour '[schedule]\nwindow = 25:00-01:00\n')" \
    ":11: [schedule] window = 25:00-01:00: $W"
expect_error "$(case_file window-empty '[schedule]\nwindow = 05:00-05:00\n')" \
    ":11: [schedule] window = 05:00-05:00: $W"
expect_error "$(case_file window-trailing '[schedule]\nwindow = 01:00-05:00x\n')" \
    ":11: [schedule] window = 01:00-05:00x: $W"

log "impossible schedules"
expect_error "$(case_file incr-not-shorter '[schedule]\nfull = weekly sun\nincremental = monthly\n')" \
    ":12: [schedule] incremental = monthly is not more frequent than full = weekly sun: every backup would be a full; make it shorter, or remove it"
expect_error "$(case_file window-short '[schedule]\nwindow = 23:45-00:15\n')" \
    ":11: [schedule] window = 23:45-00:15 is 30 minutes long: bkp run, called every hour, may never fall into it; make it at least an hour"
expect_error "$(case_file drill-often '[schedule]\nincremental = daily\n[drill]\nevery = 12h\n')" \
    ":13: [drill] every is shorter than the interval of the backups (daily): a drill would be due again before there is a new set to drill"
D="expected a duration such as 30s, 15m, 2h"
expect_error "$(case_file duration '[hooks]\ntimeout = soon\n')" \
    ":11: [hooks] timeout = soon: $D"
expect_error "$(case_file duration-zero '[hooks]\ntimeout = 0\n')" \
    ":11: [hooks] timeout = 0: $D"
expect_error "$(case_file duration-long '[hooks]\ntimeout = 2d\n')" \
    ":11: [hooks] timeout = 2d: $D"
expect_error "$(case_sed relative 's|^paths = .*|paths = relative/dir|')" \
    ":4: [source] paths: 'relative/dir' is not an absolute path"
# The line of the relative path, not the last line of the list.
expect_error "$(case_sed relative-2nd "s|^paths = .*|paths = relative/dir\\n    $T/src|")" \
    ":4: [source] paths: 'relative/dir' is not an absolute path"
for name in a/b .hidden "$(printf '%065d' 0)"; do
	expect_error "$(case_sed name "s|^name = check$|name = $name|")" \
	    ":2: [policy] name: use at most 64 characters, no '/' and no leading '.'"
done

log "[verify] compare_source"
expect_ok "$(case_file verify-compare '[verify]\nafter_backup = sample:5%%\nweekly = hashes
key = %s\ncompare_source = yes\n' "$T/keys/repo.key")"
expect_ok "$(case_file verify-compare-no '[verify]\nweekly = structure\ncompare_source = no\n')"
CS="[verify] compare_source = yes compares restored files: it needs after_backup or weekly at level sample or full"
expect_error "$(case_file verify-compare-hashes '[verify]\nafter_backup = structure\nweekly = hashes
compare_source = yes\n')" ":13: $CS"
expect_error "$(case_file verify-compare-alone '[verify]\ncompare_source = on\n')" \
    ":11: $CS"
expect_error "$(case_file verify-compare-bool '[verify]\nweekly = hashes\ncompare_source = sometimes\n')" \
    ":12: [verify] compare_source = sometimes: expected yes or no"

log "[verify] levels that restore files need the secret key"
expect_error "$(case_file verify-sample-nokey '[verify]\nafter_backup = sample:200\n')" \
    ":11: [verify] after_backup = sample:200 restores files: it needs [verify] key (the secret key)"
expect_error "$(case_file verify-full-nokey '[verify]\nweekly = full\n')" \
    ":11: [verify] weekly = full restores files: it needs [verify] key (the secret key)"
expect_ok "$(case_file verify-full-key '[verify]\nweekly = full\nkey = %s\n' "$T/keys/repo.key")"
expect_ok "$(case_file verify-hashes-nokey '[verify]\nafter_backup = structure\nweekly = hashes\n')"

log "not policy files"
expect_error "$(case_file syntax 'this line is not a key\n')" \
    ":10: syntax error (expected [section] or key = value)"
expect_error "$(case_file syntax-section '[unclosed\n')" \
    ":10: syntax error (expected [section] or key = value)"
f=$T/p/nul.policy
printf '[policy]\nname = a\000b\n' >"$f"
expect_error "$f" ": contains a NUL byte; not a policy file"
expect_error "$T/p/nope.policy" \
    ": cannot read policy: No such file or directory"
expect_error "$T/src" ": cannot read policy: Is a directory"
f=$(case_file large)
head -c 1048576 /dev/zero | tr '\0' '#' >>"$f"
expect_error "$f" ": larger than 1048576 bytes; not a policy file"

log "key files and sources"
f=$(case_sed no-pub "s|^public = .*|public = $T/keys/gone.pub|")
expect_error "$f" ": [keys] public $T/keys/gone.pub cannot be read"
expect_ok "$f" --syntax-only
f=$(case_sed no-sign "s|^signing = .*|signing = $T/keys/gone.key|")
expect_error "$f" ": [keys] signing $T/keys/gone.key cannot be read"
expect_ok "$f" --syntax-only
f=$(case_file no-identity "[repository]\nidentity = $T/keys/gone_id\n")
expect_error "$f" ": [repository] identity $T/keys/gone_id cannot be read"
expect_ok "$f" --syntax-only
f=$(case_file no-source "[source]\npaths = $T/gone\n")
expect_error "$f" ": [source] path $T/gone cannot be read"
expect_ok "$f" --syntax-only
# Relative key paths are relative to the policy file's directory.
f=$(case_sed relative-key "s|^public = .*|public = ../keys/repo.pub|")
expect_ok "$f"
sed -i "s|^public = .*|public = keys/repo.pub|" "$f"
expect_error "$f" ": [keys] public $T/p/keys/repo.pub cannot be read"

# Unreadable, not missing: as an unprivileged user (root reads anything).
as_user=
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null; then
		as_user="env BKP_STATE_DIR=$T/nr/state setpriv --reuid=65534"
		as_user="$as_user --regid=65534 --clear-groups"
	fi
fi
if [ "$(id -u)" -ne 0 ] || [ -n "$as_user" ]; then
	chmod 711 "$T"
	mkdir -m 755 "$T/nr" "$T/nr/src"
	# The user's own state directory (for its audit trail).
	mkdir -m 700 "$T/nr/state"
	[ -z "$as_user" ] || chown 65534:65534 "$T/nr/state"
	: >"$T/nr/repo.pub"
	: >"$T/nr/sign.key"
	chmod 644 "$T/nr/repo.pub" "$T/nr/sign.key"
	cat >"$T/nr/p.policy" <<EOF
[policy]
name = check
[source]
paths = $T/nr/src
[repository]
url = $T/repo
[keys]
public = $T/nr/repo.pub
signing = $T/nr/sign.key
EOF
	chmod 644 "$T/nr/p.policy"
	$as_user "$BKP" policy check "$T/nr/p.policy" >"$T/out" 2>"$T/err" ||
		{ cat "$T/err" >&2; fail "the unprivileged user cannot check"; }
	chmod 000 "$T/nr/sign.key" "$T/nr/src"
	rc=0
	$as_user "$BKP" policy check "$T/nr/p.policy" >"$T/out" 2>"$T/err" ||
		rc=$?
	cat "$T/err" >&2
	[ "$rc" -eq 3 ] || fail "unreadable files: exit $rc, expected 3"
	printf 'bkp: error: %s: %s\n' "$T/nr/p.policy" \
	    "[keys] signing $T/nr/sign.key cannot be read" \
	    "$T/nr/p.policy" "[source] path $T/nr/src cannot be read" |
	    cmp -s - "$T/err" || fail "unreadable files are not reported"
	$as_user "$BKP" policy check --syntax-only "$T/nr/p.policy" >/dev/null ||
		fail "--syntax-only looked at the key files"
	chmod 000 "$T/nr/p.policy"
	rc=0
	$as_user "$BKP" policy check "$T/nr/p.policy" >"$T/out" 2>"$T/err" ||
		rc=$?
	[ "$rc" -eq 3 ] || fail "an unreadable policy: exit $rc, expected 3"
	grep -qxF "bkp: error: $T/nr/p.policy: cannot read policy: Permission denied" \
	    "$T/err" || { cat "$T/err" >&2; fail "no error for an unreadable policy"; }
	chmod 700 "$T"
else
	log "root without setpriv: no check of unreadable files"
fi

log "several files, several errors"
good=$T/p/base.policy
bad=$(case_file three '[source]\none_file_system = maybe\n[backup]\npart_size = x
[oops]\nkey = value\n')
rc=0
"$BKP" policy check "$bad" "$good" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "one bad file of two: exit $rc, expected 3"
[ "$(cat "$T/out")" = "$good: ok" ] || fail "the good file is not said ok"
cat >"$T/want" <<EOF
bkp: error: $bad:11: [source] one_file_system = maybe: expected yes or no
bkp: error: $bad:13: [backup] part_size = x: expected a size such as 64M
bkp: error: $bad:15: unknown section [oops]
EOF
cmp -s "$T/want" "$T/err" ||
	{ cat "$T/err" >&2; fail "not every error, in order, of a bad file"; }
expect_exit 0 "$BKP" policy check "$good" "$good"

log "usage"
expect_exit 2 "$BKP" policy check
expect_exit 2 "$BKP" policy verify "$good"
expect_exit 2 "$BKP" policy
"$BKP" policy check --help | grep -q "^usage: bkp policy check" ||
	fail "no usage text"
echo "bkp policy check reports every problem as file:line with exit 3"
