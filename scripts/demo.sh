#!/bin/sh
# The quick start: installs what bkp needs (Debian 12), builds it, and runs
# the main job on a built-in default: keys; an SFTP server of its own on
# 127.0.0.1 (OpenSSH's sshd, stopped at the end) holding the offsite
# repository; a full and an incremental backup of a sample tree shipped to
# it; a restore from it into a new directory; a comparison with the source.
#
# Usage: scripts/demo.sh [SOURCE_DIR]   (default: a generated sample tree)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" demo
"$top/scripts/build.sh" "$top/build"
bkp="$top/build/bkp/bkp"

work=$(mktemp -d "${TMPDIR:-/tmp}/bkp-demo.XXXXXX")
work=$(cd "$work" && pwd -P)
# The loopback SFTP server, shared with the integration tests.
T=$work
cleanup() { rm -rf "$work"; }
fail() { echo "demo: $*" >&2; exit 1; }
skip() { fail "$*"; }
. "$top/tests/integration/sshd.sh"
trap 'exit 130' INT TERM
# The demo's passphrase; real use: --passphrase-file or a prompt.
BKP_PASSPHRASE=demo-passphrase
BKP_STATE_DIR=$work/state
export BKP_PASSPHRASE BKP_STATE_DIR

src=${1:-}
if [ -z "$src" ]; then
	src=$work/sample
	echo "== making a sample tree in $src"
	mkdir -p "$src/docs/reports" "$src/db" "$src/empty"
	for i in $(seq 1 200); do
		printf 'document %d\n%s\n' "$i" "$(seq "$i" $((i + 50)))" \
			> "$src/docs/file-$i.txt"
	done
	head -c 3000000 /dev/urandom > "$src/db/data.bin"
	ln -s ../db/data.bin "$src/docs/reports/latest"
	ln "$src/docs/file-1.txt" "$src/docs/reports/hardlink.txt"
fi

echo "== starting an SFTP server on 127.0.0.1 for the offsite repository"
sshd_start
repo=$SFTP_URL_BASE$work/offsite/repo
ssh_opts="--identity $SFTP_ID --known-hosts $SFTP_KNOWN_HOSTS"
echo "== bkp keygen"
"$bkp" keygen --out "$work/keys"
echo "== bkp init --repo $repo"
mkdir -p "$work/offsite"
# shellcheck disable=SC2086
"$bkp" init --repo "$repo" --pub "$work/keys/repo.pub" $ssh_opts
cat > "$work/demo.policy" <<POLICY
[policy]
name = demo
[source]
paths = $src
[repository]
url = $repo
identity = $SFTP_ID
known_hosts = $SFTP_KNOWN_HOSTS
[keys]
public = $work/keys/repo.pub
signing = $work/keys/sign.key
POLICY
echo "== bkp backup (full)"
"$bkp" backup --policy "$work/demo.policy"
# A change for the incremental to pick up (only in the generated sample).
[ -n "${1:-}" ] || echo "changed on day 2" >> "$src/docs/file-7.txt"
echo "== bkp backup (incremental)"
"$bkp" backup --policy "$work/demo.policy"
echo "== bkp snapshots (from the offsite repository alone)"
# shellcheck disable=SC2086
"$bkp" snapshots --repo "$repo" $ssh_opts
echo "== bkp verify: every part's ciphertext against its seal, then a sample restored"
# shellcheck disable=SC2086
"$bkp" verify --repo "$repo" --level hashes $ssh_opts
# shellcheck disable=SC2086
"$bkp" verify --repo "$repo" --key "$work/keys/repo.key" --level sample \
	--sample 10% $ssh_opts
echo "== bkp restore (latest) from the offsite repository into $work/restored"
# shellcheck disable=SC2086
"$bkp" restore --repo "$repo" --key "$work/keys/repo.key" \
	--target "$work/restored" $ssh_opts
echo "== comparing the restored tree with the source"
if diff -r --no-dereference "$src" "$work/restored$src"; then
	echo "demo: OK, the restored tree matches the source"
else
	echo "demo: FAILED, the restored tree differs" >&2
	exit 1
fi
