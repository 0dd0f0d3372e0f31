# Integration tests: shell scripts against the real binary and real files.
EXTRA_DIST += tests/integration/lib.sh
