# Integration tests: shell scripts against the real binary and real files.
TESTS += \
	tests/integration/t-treecmp-selftest.sh \
	tests/integration/t-roundtrip.sh \
	tests/integration/t-kill.sh \
	tests/integration/t-policies.sh \
	tests/integration/t-warnings.sh \
	tests/integration/t-prune.sh \
	tests/integration/t-hostile.sh \
	tests/integration/t-disaster.sh
TESTS += tests/integration/t-verify.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/mktree.sh \
	tests/integration/mutate.sh tests/integration/treecmp.py \
	$(TESTS)
check_PROGRAMS += tests/integration/mkhostile
tests_integration_mkhostile_SOURCES = tests/integration/mkhostile.c
tests_integration_mkhostile_LDADD = lib/libbkp.a $(LIBS_ALL)
TESTS += tests/integration/t-sftp.sh tests/integration/t-sftp-kill.sh
EXTRA_DIST += tests/integration/sshd.sh
