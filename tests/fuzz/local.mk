# libFuzzer targets, built with clang when configured --enable-fuzzers.
#
# One target per parser of untrusted input (see tests/fuzz/README.md), and
# mkseeds, which regenerates the seed corpora kept in tests/fuzz/corpus.
# Build in a separate directory:
#   mkdir build-fuzz && cd build-fuzz && ../configure CC=clang \
#     CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
#     -fsanitize=fuzzer-no-link' --enable-fuzzers && make -j2
# then run them with tests/fuzz/run.sh.
#
# Makefile.am defines no noinst_PROGRAMS of its own, so this fragment
# assigns it (automake refuses '+=' on a variable never set with '=').  If
# Makefile.am ever sets "noinst_PROGRAMS =" before including this file,
# change the '=' below to '+='.
if FUZZERS
noinst_PROGRAMS = \
	tests/fuzz/fuzz_seal \
	tests/fuzz/fuzz_manifest \
	tests/fuzz/fuzz_repo_config \
	tests/fuzz/fuzz_pubkey \
	tests/fuzz/fuzz_signkey \
	tests/fuzz/fuzz_seckey \
	tests/fuzz/fuzz_datakey \
	tests/fuzz/fuzz_policy \
	tests/fuzz/fuzz_object \
	tests/fuzz/fuzz_zstd_tar \
	tests/fuzz/fuzz_lockobj \
	tests/fuzz/mkseeds
endif

FUZZ_COMMON = tests/fuzz/common.c tests/fuzz/common.h
FUZZ_COMPILE_FLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LINK_FLAGS = -fsanitize=fuzzer,address,undefined
FUZZ_LINK_LIBS = lib/libbkp.a $(LIBS_ALL)

tests_fuzz_fuzz_seal_SOURCES = tests/fuzz/fuzz_seal.c $(FUZZ_COMMON)
tests_fuzz_fuzz_seal_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_seal_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_seal_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_manifest_SOURCES = tests/fuzz/fuzz_manifest.c $(FUZZ_COMMON)
tests_fuzz_fuzz_manifest_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_manifest_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_manifest_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_repo_config_SOURCES = tests/fuzz/fuzz_repo_config.c \
	$(FUZZ_COMMON)
tests_fuzz_fuzz_repo_config_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_repo_config_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_repo_config_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_pubkey_SOURCES = tests/fuzz/fuzz_pubkey.c $(FUZZ_COMMON)
tests_fuzz_fuzz_pubkey_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_pubkey_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_pubkey_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_signkey_SOURCES = tests/fuzz/fuzz_signkey.c $(FUZZ_COMMON)
tests_fuzz_fuzz_signkey_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_signkey_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_signkey_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_seckey_SOURCES = tests/fuzz/fuzz_seckey.c $(FUZZ_COMMON)
tests_fuzz_fuzz_seckey_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_seckey_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_seckey_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_datakey_SOURCES = tests/fuzz/fuzz_datakey.c $(FUZZ_COMMON)
tests_fuzz_fuzz_datakey_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_datakey_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_datakey_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_policy_SOURCES = tests/fuzz/fuzz_policy.c $(FUZZ_COMMON)
tests_fuzz_fuzz_policy_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_policy_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_policy_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_object_SOURCES = tests/fuzz/fuzz_object.c $(FUZZ_COMMON)
tests_fuzz_fuzz_object_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_object_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_object_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_lockobj_SOURCES = tests/fuzz/fuzz_lockobj.c $(FUZZ_COMMON)
tests_fuzz_fuzz_lockobj_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_lockobj_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_lockobj_LDADD = $(FUZZ_LINK_LIBS)

tests_fuzz_fuzz_zstd_tar_SOURCES = tests/fuzz/fuzz_zstd_tar.c $(FUZZ_COMMON)
tests_fuzz_fuzz_zstd_tar_CFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_zstd_tar_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_zstd_tar_LDADD = $(FUZZ_LINK_LIBS)

# The seed generator: a plain program (no libFuzzer main).
tests_fuzz_mkseeds_SOURCES = tests/fuzz/mkseeds.c $(FUZZ_COMMON)
tests_fuzz_mkseeds_LDADD = $(FUZZ_LINK_LIBS)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run.sh tests/fuzz/corpus \
	tests/fuzz/crashes
