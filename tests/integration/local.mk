# Integration tests: shell scripts against the real binary and real files,
# a real sshd on loopback.  Append new scripts to integration_tests.
integration_tests = \
	tests/integration/t-treecmp-selftest.sh \
	tests/integration/t-roundtrip.sh \
	tests/integration/t-kill.sh \
	tests/integration/t-policies.sh \
	tests/integration/t-warnings.sh \
	tests/integration/t-restore-parallel.sh \
	tests/integration/t-prune.sh \
	tests/integration/t-hostile.sh \
	tests/integration/t-disaster.sh \
	tests/integration/t-verify.sh \
	tests/integration/t-verify-source.sh \
	tests/integration/t-sftp.sh \
	tests/integration/t-sftp-kill.sh \
	tests/integration/t-sftp-retry.sh \
	tests/integration/t-copy.sh \
	tests/integration/t-offsite.sh \
	tests/integration/t-run-60days.sh \
	tests/integration/t-run-concurrency.sh \
	tests/integration/t-run-hooks.sh \
	tests/integration/t-run-verify.sh \
	tests/integration/t-policy-check.sh \
	tests/integration/t-policy-doc.sh \
	tests/integration/t-drill.sh \
	tests/integration/t-stores-command.sh \
	tests/integration/t-stores-sqlite.sh \
	tests/integration/t-stores-postgresql.sh \
	tests/integration/t-stores-mariadb.sh \
	tests/integration/t-drill-stores.sh \
	tests/integration/t-audit.sh \
	tests/integration/t-keys.sh \
	tests/integration/t-repo-lock.sh
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) \
	tests/integration/lib.sh tests/integration/sshd.sh \
	tests/integration/stores.sh \
	tests/integration/mktree.sh tests/integration/mutate.sh \
	tests/integration/bitrot.c \
	tests/integration/treecmp.py tests/integration/cutproxy.py
check_PROGRAMS += tests/integration/mkhostile
tests_integration_mkhostile_SOURCES = tests/integration/mkhostile.c
tests_integration_mkhostile_LDADD = lib/libbkp.a $(LIBS_ALL)
