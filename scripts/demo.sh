#!/bin/sh
# The quick start: installs what bkp needs (Debian 12), builds it, and runs
# the main job on a built-in default: keys, a repository, a full and an
# incremental backup of a sample tree, a restore into a new directory, and
# a comparison with the source.
#
# Usage: scripts/demo.sh [SOURCE_DIR]   (default: a generated sample tree)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" build
"$top/scripts/build.sh" "$top/build"
bkp="$top/build/bkp/bkp"

work=$(mktemp -d "${TMPDIR:-/tmp}/bkp-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
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

echo "== bkp keygen"
"$bkp" keygen --out "$work/keys"
echo "== bkp init"
"$bkp" init --repo "$work/repo" --pub "$work/keys/repo.pub"
cat > "$work/demo.policy" <<POLICY
[policy]
name = demo
[source]
paths = $src
[repository]
url = $work/repo
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
echo "== bkp snapshots"
"$bkp" snapshots --repo "$work/repo"
echo "== bkp restore (latest) into $work/restored"
"$bkp" restore --repo "$work/repo" --key "$work/keys/repo.key" \
	--target "$work/restored"
echo "== comparing the restored tree with the source"
if diff -r --no-dereference "$src" "$work/restored$src"; then
	echo "demo: OK, the restored tree matches the source"
else
	echo "demo: FAILED, the restored tree differs" >&2
	exit 1
fi
