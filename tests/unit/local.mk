# Unit tests of pure logic and format objects (Check).
#
# One Check suite per program; tests/unit/testutil.c holds the shared
# helpers (a private run directory, stderr capture).  A program exits
# non-zero when any test fails.  Run one with
#   make check TESTS=tests/unit/check_keys
# and narrow it with CK_RUN_CASE=name, or list every test with
# CK_VERBOSITY=verbose.
if HAVE_CHECK
unit_tests = \
	tests/unit/check_buf \
	tests/unit/check_keys \
	tests/unit/check_repo_config \
	tests/unit/check_manifest \
	tests/unit/check_seal \
	tests/unit/check_datakey \
	tests/unit/check_stream \
	tests/unit/check_policy \
	tests/unit/check_state \
	tests/unit/check_transport \
	tests/unit/check_audit \
	tests/unit/check_lockobj

check_PROGRAMS += $(unit_tests) tests/unit/check_regressions
TESTS += $(unit_tests) tests/unit/check_regressions

tests_unit_check_buf_SOURCES = tests/unit/check_buf.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_buf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_buf_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_keys_SOURCES = tests/unit/check_keys.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_keys_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_keys_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_repo_config_SOURCES = tests/unit/check_repo_config.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_repo_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_repo_config_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_manifest_SOURCES = tests/unit/check_manifest.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_manifest_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_manifest_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_seal_SOURCES = tests/unit/check_seal.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_seal_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_seal_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_datakey_SOURCES = tests/unit/check_datakey.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_datakey_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_datakey_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_stream_SOURCES = tests/unit/check_stream.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_stream_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_stream_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_policy_SOURCES = tests/unit/check_policy.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_policy_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_state_SOURCES = tests/unit/check_state.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_state_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_transport_SOURCES = tests/unit/check_transport.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_transport_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_transport_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_audit_SOURCES = tests/unit/check_audit.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_audit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_audit_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_lockobj_SOURCES = tests/unit/check_lockobj.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_lockobj_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_lockobj_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)

tests_unit_check_regressions_SOURCES = tests/unit/check_regressions.c \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_check_regressions_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_regressions_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)
endif
