# Integration tests: shell scripts against the real binary and real files.
TESTS += \
	tests/integration/t-treecmp-selftest.sh \
	tests/integration/t-roundtrip.sh \
	tests/integration/t-kill.sh \
	tests/integration/t-policies.sh \
	tests/integration/t-warnings.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/mktree.sh \
	tests/integration/mutate.sh tests/integration/treecmp.py \
	$(TESTS)
