/* check_lockobj.c: repository lock objects: the JSON round trip, what is
 * refused as damaged, and the staleness decision. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "lockobj.h"
#include "testutil.h"

#define NOW 1763769600LL

static struct lockobj
sample(void)
{
	struct lockobj l;

	memset(&l, 0, sizeof(l));
	l.exclusive = 1;
	snprintf(l.host, sizeof(l.host), "web1");
	snprintf(l.what, sizeof(l.what), "prune of policy share");
	l.pid = 4242;
	l.start = NOW - 100;
	l.created = NOW - 60;
	l.refreshed = NOW - 30;
	return l;
}

static int
decode_str(const char *s, struct lockobj *l)
{
	return lockobj_decode((const uint8_t *)s, strlen(s), l);
}

START_TEST(test_roundtrip)
{
	struct lockobj a = sample(), b;
	char json[LOCKOBJ_MAX];
	size_t len;

	ck_assert_int_eq(lockobj_encode(&a, json, sizeof(json), &len), 0);
	ck_assert_uint_eq(len, strlen(json));
	ck_assert_int_eq(lockobj_decode((uint8_t *)json, len, &b), 0);
	ck_assert_int_eq(b.exclusive, 1);
	ck_assert_str_eq(b.host, "web1");
	ck_assert_str_eq(b.what, "prune of policy share");
	ck_assert_int_eq(b.pid, 4242);
	ck_assert_int_eq(b.start, a.start);
	ck_assert_int_eq(b.created, a.created);
	ck_assert_int_eq(b.refreshed, a.refreshed);
	a.exclusive = 0;
	ck_assert_int_eq(lockobj_encode(&a, json, sizeof(json), &len), 0);
	ck_assert_int_eq(lockobj_decode((uint8_t *)json, len, &b), 0);
	ck_assert_int_eq(b.exclusive, 0);
}
END_TEST

START_TEST(test_damaged)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"[]",
		"{}",
		"{\"kind\":\"shared\",\"host\":\"h\",\"pid\":1,\"start\":0,"
		    "\"created\":1}",
		"{\"kind\":\"both\",\"host\":\"h\",\"pid\":1,\"start\":0,"
		    "\"created\":1,\"refreshed\":1}",
		"{\"kind\":\"shared\",\"host\":\"\",\"pid\":1,\"start\":0,"
		    "\"created\":1,\"refreshed\":1}",
		"{\"kind\":\"shared\",\"host\":\"h\",\"pid\":0,\"start\":0,"
		    "\"created\":1,\"refreshed\":1}",
		"{\"kind\":\"shared\",\"host\":\"h\",\"pid\":\"1\",\"start\":0,"
		    "\"created\":1,\"refreshed\":1}",
		"{\"kind\":\"shared\",\"host\":\"h\",\"pid\":1,\"start\":0,"
		    "\"created\":1,\"refreshed\":-5}",
		"{\"kind\":\"shared\",\"host\":\"h\",\"pid\":1,\"start\":0,"
		    "\"created\":1,\"refreshed\":99999999999999}",
		"{\"kind\":\"shared\",\"host\":\"h\",\"pid\":1,\"start\":0,"
		    "\"created\":1,\"refreshed\":1} {}",
	};
	char big[LOCKOBJ_MAX + 2];
	struct lockobj l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode_str(bad[i], &l) == -BKP_ECORRUPT,
		    "accepted: %s", bad[i]);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, bad[4], strlen(bad[4]) - 1);	/* no NUL, no "}" */
	memcpy(big + sizeof(big) - 25, ",\"refreshed\":1}", 15);
	ck_assert_int_eq(decode_str(big, &l), -BKP_ECORRUPT);
	ck_assert_int_eq(lockobj_decode((const uint8_t *)"{\"kind\0", 7, &l),
	    -BKP_ECORRUPT);
	ck_assert_int_eq(decode_str("{\"kind\":\"shared\",\"host\":\"h\","
	    "\"pid\":1,\"start\":0,\"created\":1,\"refreshed\":1}\n", &l), 0);
	ck_assert_str_eq(l.what, "");
}
END_TEST

START_TEST(test_stale)
{
	struct lockobj l = sample();
	char why[128];

	/* Another host: only the age counts, up to the limit included. */
	l.refreshed = NOW - LOCKOBJ_STALE_SECS;
	ck_assert_ptr_null(lockobj_stale(&l, NOW, LOCKOBJ_PROC_UNKNOWN, why,
	    sizeof(why)));
	l.refreshed = NOW - LOCKOBJ_STALE_SECS - 60;
	ck_assert_ptr_nonnull(lockobj_stale(&l, NOW, LOCKOBJ_PROC_UNKNOWN, why,
	    sizeof(why)));
	ck_assert_str_eq(why, "not refreshed for 31 minutes");
	/* Refreshed "in the future" (a clock ahead): held. */
	l.refreshed = NOW + 3600;
	ck_assert_ptr_null(lockobj_stale(&l, NOW, LOCKOBJ_PROC_UNKNOWN, why,
	    sizeof(why)));
	/* This host, the process alive with its start: held however old. */
	l.refreshed = NOW - 10 * LOCKOBJ_STALE_SECS;
	ck_assert_ptr_null(lockobj_stale(&l, NOW, LOCKOBJ_PROC_ALIVE, why,
	    sizeof(why)));
	/* This host, gone (or a reused pid): stale however fresh. */
	l.refreshed = NOW;
	ck_assert_ptr_nonnull(lockobj_stale(&l, NOW, LOCKOBJ_PROC_GONE, why,
	    sizeof(why)));
	ck_assert_str_eq(why, "its process (pid 4242) is gone");
}
END_TEST

START_TEST(test_describe_and_ids)
{
	struct lockobj l = sample();
	char out[512];

	l.created = 0;
	l.refreshed = 60;
	lockobj_describe(&l, out, sizeof(out));
	ck_assert_str_eq(out, "prune of policy share on host web1 (pid 4242, "
	    "since 1970-01-01T00:00:00Z, refreshed 1970-01-01T00:01:00Z)");
	ck_assert_int_eq(lockobj_id_valid("0123456789abcdef0123456789abcdef"),
	    1);
	ck_assert_int_eq(lockobj_id_valid("0123456789ABCDEF0123456789abcdef"),
	    0);
	ck_assert_int_eq(lockobj_id_valid(".tmp.0123456789abcdef01234567"), 0);
	ck_assert_int_eq(lockobj_id_valid("0123456789abcdef0123456789abcde"),
	    0);
}
END_TEST

static Suite *
lockobj_suite(void)
{
	Suite *s = suite_create("lockobj");
	TCase *tc = tcase_create("lockobj");

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_stale);
	tcase_add_test(tc, test_describe_and_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(lockobj_suite());
}
