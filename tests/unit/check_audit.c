/* check_audit.c: the audit trail's pure parts: redaction, the command
 * line, the chain checker, checkpoints; and appending under a state
 * directory of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "auditlog.h"
#include "error.h"
#include "testutil.h"

static void
redacts(const char *arg, const char *prev, const char *want, int hit)
{
	char out[256];

	ck_assert_int_eq(audit_redact(arg, prev, out, sizeof(out)), hit);
	ck_assert_str_eq(out, want);
}

START_TEST(test_redact)
{
	redacts("--passphrase=hunter2", NULL, "--passphrase=***", 1);
	redacts("--new-passphrase=x y", NULL, "--new-passphrase=***", 1);
	redacts("--password=", NULL, "--password=***", 1);
	redacts("--token=abc", "bkp", "--token=***", 1);
	redacts("--secret=abc", NULL, "--secret=***", 1);
	/* The value after the option given alone. */
	redacts("hunter2", "--passphrase", "***", 1);
	redacts("hunter2", "--passphrase=x", "hunter2", 0);
	/* Files, and options that merely start alike, are kept. */
	redacts("--passphrase-file=/etc/pw", NULL, "--passphrase-file=/etc/pw",
	    0);
	redacts("/etc/pw", "--passphrase-file", "/etc/pw", 0);
	redacts("--passphrases=x", NULL, "--passphrases=x", 0);
	redacts("-p", NULL, "-p", 0);
	/* A URL's password, not its user or path. */
	redacts("sftp://alice:s3cret@host:22/repo", NULL,
	    "sftp://alice:***@host:22/repo", 1);
	redacts("sftp://alice@host:22/repo", NULL, "sftp://alice@host:22/repo",
	    0);
	redacts("sftp://host/a:b@c", NULL, "sftp://host/a:b@c", 0);
}
END_TEST

START_TEST(test_cmdline)
{
	char *argv[] = { "bkp", "restore", "--passphrase=hunter2", "--target",
	    "/tmp/a b", "it's", "\xff\xfe", NULL };
	char out[512], clean[512];

	/* Quoted, redacted; bytes that are not UTF-8 escaped when recorded. */
	audit_cmdline(7, argv, out, sizeof(out));
	audit_clean(out, clean, sizeof(clean));
	ck_assert_str_eq(clean, "bkp restore --passphrase=*** --target "
	    "'/tmp/a b' 'it'\\''s' '\\xff\\xfe'");
	/* Too long: cut with "...". */
	audit_cmdline(7, argv, out, 40);
	ck_assert_ptr_nonnull(strstr(out, " ..."));
	ck_assert_uint_lt(strlen(out), 40);
}
END_TEST

/* A chain of n records in lines[] (malloc'd), the last one a checkpoint
 * signed with sk when sk is not NULL. */
static char **
chain(int n, const uint8_t *pk, const uint8_t *sk)
{
	char **lines = calloc((size_t)n, sizeof(char *));
	const char *log = "0123456789abcdef0123456789abcdef";
	uint8_t prev[32] = { 0 }, msg[AUDIT_SIGMSG_LEN], sig[64];
	char hex[65], pkhex[65], sighex[129];

	for (int i = 0; i < n; i++) {
		lines[i] = malloc(1024);
		auditlog_hex(prev, hex);
		if (i == n - 1 && sk) {
			audit_sigmsg((uint64_t)i, prev, log, msg);
			crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
			sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
			auditlog_hex(pk, pkhex);
			snprintf(lines[i], 1024, "{\"seq\":%d,\"prev\":\"%s\","
			    "\"log\":\"%s\",\"time\":\"t\",\"event\":"
			    "\"checkpoint\",\"head_seq\":%d,\"head\":\"%s\","
			    "\"signer_pk\":\"%s\",\"sig\":\"%s\"}", i + 1, hex,
			    log, i, hex, pkhex, sighex);
		} else
			snprintf(lines[i], 1024, "{\"seq\":%d,\"prev\":\"%s\","
			    "\"log\":\"%s\",\"time\":\"t\",\"event\":\"e\"}",
			    i + 1, hex, log);
		crypto_generichash(prev, 32, (uint8_t *)lines[i],
		    strlen(lines[i]), NULL, 0);
	}
	return lines;
}

static void
free_chain(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* Checks lines[0..n); the number of broken records. */
static uint64_t
check(char **lines, int n, const uint8_t (*pubs)[32], size_t npubs)
{
	struct audit_check c;

	audit_check_init(&c, pubs, npubs);
	tu_quiet_begin();
	for (int i = 0; i < n; i++)
		audit_check_line(&c, lines[i], strlen(lines[i]), 1, "t");
	tu_quiet_end();
	return c.broken;
}

START_TEST(test_chain)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64];
	char **l = NULL, *v[6], *sig;

	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	l = chain(6, pk, sk);
	ck_assert_uint_eq(check(l, 6, NULL, 0), 0);
	ck_assert_uint_eq(check(l, 6, (const uint8_t (*)[32])pk, 1), 0);
	/* Another signer than the one given. */
	ck_assert_uint_eq(check(l, 6, (const uint8_t (*)[32])pk2, 1), 1);
	/* A log whose older records were deleted starts anywhere. */
	ck_assert_uint_eq(check(l + 2, 4, NULL, 0), 0);
	/* A deleted record, a reordered pair. */
	memcpy(v, (char *[]){ l[0], l[1], l[2], l[4], l[5] }, 5 * sizeof(*v));
	ck_assert_uint_ge(check(v, 5, NULL, 0), 1);
	memcpy(v, (char *[]){ l[0], l[2], l[1], l[3], l[4], l[5] },
	    6 * sizeof(*v));
	ck_assert_uint_ge(check(v, 6, NULL, 0), 1);
	/* An edited record. */
	l[2][strlen(l[2]) - 2] = 'f';
	ck_assert_uint_ge(check(l, 6, NULL, 0), 1);
	free_chain(l, 6);
	/* A forged signature. */
	l = chain(3, pk, sk);
	sig = strstr(l[2], "\"sig\":\"") + 7;
	*sig = *sig == '0' ? '1' : '0';
	ck_assert_uint_eq(check(l, 3, NULL, 0), 1);
	free_chain(l, 3);
}
END_TEST

START_TEST(test_parse)
{
	ck_assert_ptr_null(audit_parse("", 0));
	ck_assert_ptr_null(audit_parse("{}", 2));
	ck_assert_ptr_null(audit_parse("[1]", 3));
	ck_assert_ptr_null(audit_parse("{\"seq\":1} x", 11));
	ck_assert_ptr_null(audit_parse("{\"seq\":0,\"prev\":\"00\"}", 22));
}
END_TEST

/* Appends through the real path (a private state directory): a chain that
 * checks, mode 0600. */
START_TEST(test_append)
{
	char *dir = tu_tmpdir(), *path = tu_path(dir, "audit.log");
	char *argv[] = { "bkp", "status", NULL };
	struct audit_check c;
	uint8_t *data;
	size_t len;

	setenv("BKP_STATE_DIR", dir, 1);
	audit_begin(2, argv, "status");
	audit_event("e", &(struct audit_fields){ .policy = "p", .bytes = 3 });
	ck_assert_int_eq(audit_end(-BKP_EIO, NULL), -BKP_EIO);
	ck_assert_int_eq(tu_file_mode(path), 0600);
	data = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(tu_count_lines((char *)data), 3);
	ck_assert_ptr_nonnull(strstr((char *)data, "\"result\":\"I/O error\""));
	audit_check_init(&c, NULL, 0);
	for (char *p = (char *)data, *nl; (nl = strchr(p, '\n')); p = nl + 1)
		ck_assert_int_eq(audit_check_line(&c, p, (size_t)(nl - p), 1,
		    "t"), 0);
	ck_assert_uint_eq(c.records, 3);
	free(data);
	free(path);
	free(dir);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_cmdline);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_append);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(audit_suite());
}
