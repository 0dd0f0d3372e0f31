/* check_buf.c: bounded encoding (wbuf) and decoding (rbuf). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "testutil.h"

START_TEST(test_le32_le64)
{
	uint8_t b[8];

	put_le32(b, 0x01020304u);
	ck_assert_uint_eq(b[0], 0x04);
	ck_assert_uint_eq(b[1], 0x03);
	ck_assert_uint_eq(b[2], 0x02);
	ck_assert_uint_eq(b[3], 0x01);
	ck_assert_uint_eq(get_le32(b), 0x01020304u);
	put_le32(b, 0xffffffffu);
	ck_assert_uint_eq(get_le32(b), 0xffffffffu);

	put_le64(b, 0x0102030405060708ull);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(b[i], 8 - i);
	ck_assert_uint_eq(get_le64(b), 0x0102030405060708ull);
	put_le64(b, 0x8000000000000001ull);
	ck_assert_uint_eq(b[0], 0x01);
	ck_assert_uint_eq(b[7], 0x80);
	ck_assert_uint_eq(get_le64(b), 0x8000000000000001ull);
}
END_TEST

START_TEST(test_wbuf_integers_layout)
{
	static const uint8_t want[] = {
		0xab,
		0x78, 0x56, 0x34, 0x12,
		0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
		0x03, 0x00, 0x00, 0x00, 'x', 'y', 'z',
		0x02, 0x00, 0x00, 0x00, 'h', 'i',
		0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
	};
	struct wbuf w;

	wbuf_init(&w);
	ck_assert_uint_eq(w.len, 0);
	wbuf_u8(&w, 0xab);
	wbuf_u32(&w, 0x12345678u);
	wbuf_u64(&w, 0x0123456789abcdefull);
	wbuf_bytes(&w, "xyz", 3);
	wbuf_str(&w, "hi");
	wbuf_str(&w, "");
	wbuf_str(&w, NULL);
	ck_assert_int_eq(wbuf_status(&w), 0);
	ck_assert_uint_eq(w.len, sizeof(want));
	ck_assert_mem_eq(w.data, want, sizeof(want));
	wbuf_release(&w);
	ck_assert_ptr_null(w.data);
	ck_assert_uint_eq(w.len, 0);
	ck_assert_uint_eq(w.cap, 0);
}
END_TEST

START_TEST(test_wbuf_growth)
{
	struct wbuf w;
	uint8_t *big = tu_random(1 << 20);

	/* Byte by byte across many reallocations: nothing lost on a move. */
	wbuf_init(&w);
	for (uint32_t i = 0; i < 100000; i++) {
		wbuf_u8(&w, (uint8_t)(i * 7 + 3));
		ck_assert_uint_ge(w.cap, w.len);
	}
	ck_assert_int_eq(wbuf_status(&w), 0);
	ck_assert_uint_eq(w.len, 100000);
	for (uint32_t i = 0; i < 100000; i++)
		ck_assert_uint_eq(w.data[i], (uint8_t)(i * 7 + 3));
	/* One write much larger than the capacity. */
	wbuf_put(&w, big, 1 << 20);
	ck_assert_int_eq(wbuf_status(&w), 0);
	ck_assert_uint_eq(w.len, 100000 + (1 << 20));
	ck_assert_uint_ge(w.cap, w.len);
	ck_assert_mem_eq(w.data + 100000, big, 1 << 20);
	ck_assert_uint_eq(w.data[99999], (uint8_t)(99999 * 7 + 3));
	/* A zero-length write changes nothing. */
	wbuf_put(&w, NULL, 0);
	ck_assert_uint_eq(w.len, 100000 + (1 << 20));
	wbuf_release(&w);
	free(big);
}
END_TEST

START_TEST(test_wbuf_too_long_fails)
{
	struct wbuf w;
	uint8_t dummy = 0;

	/* A length that does not fit the u32 prefix is refused (the bytes are
	 * not read), and the buffer stays failed. */
	wbuf_init(&w);
	wbuf_u8(&w, 1);
	ck_assert_int_eq(wbuf_status(&w), 0);
	wbuf_bytes(&w, &dummy, (size_t)UINT32_MAX + 1);
	ck_assert_int_eq(wbuf_status(&w), -BKP_ENOMEM);
	wbuf_u8(&w, 2);
	ck_assert_int_eq(wbuf_status(&w), -BKP_ENOMEM);
	ck_assert_uint_eq(w.len, 1);
	wbuf_release(&w);
}
END_TEST

START_TEST(test_rbuf_reads)
{
	static const uint8_t in[] = {
		0x7f,
		0x04, 0x03, 0x02, 0x01,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0xaa, 0xbb,
	};
	struct rbuf r;
	uint8_t two[2];
	const uint8_t *p;

	rbuf_init(&r, in, sizeof(in));
	ck_assert_uint_eq(rbuf_u8(&r), 0x7f);
	ck_assert_uint_eq(rbuf_u32(&r), 0x01020304u);
	ck_assert_uint_eq(rbuf_u64(&r), 0x0102030405060708ull);
	p = rbuf_ref(&r, 0);
	ck_assert_ptr_eq(p, in + 13);
	ck_assert_int_eq(rbuf_get(&r, two, 2), 0);
	ck_assert_uint_eq(two[0], 0xaa);
	ck_assert_uint_eq(two[1], 0xbb);
	ck_assert_uint_eq(r.left, 0);
	ck_assert(rbuf_ok(&r));
	/* At the end, an empty reference is fine; one more byte is not. */
	ck_assert_ptr_nonnull(rbuf_ref(&r, 0));
	ck_assert(rbuf_ok(&r));
	ck_assert_ptr_null(rbuf_ref(&r, 1));
	ck_assert(!rbuf_ok(&r));
}
END_TEST

START_TEST(test_rbuf_short_read_sticks)
{
	static const uint8_t in[] = { 1, 2, 3, 4, 5, 6 };
	struct rbuf r;
	uint8_t out[8];

	/* A u64 from 6 bytes fails and yields 0 ... */
	rbuf_init(&r, in, sizeof(in));
	ck_assert_uint_eq(rbuf_u64(&r), 0);
	ck_assert(!rbuf_ok(&r));
	/* ... and every later read fails too, though bytes are left. */
	ck_assert_uint_eq(rbuf_u8(&r), 0);
	ck_assert_uint_eq(rbuf_u32(&r), 0);
	ck_assert_ptr_null(rbuf_ref(&r, 0));
	ck_assert_ptr_null(rbuf_ref(&r, 1));
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(rbuf_get(&r, out, 2), -1);
	ck_assert_uint_eq(out[0], 0);	/* zeroed, not left as it was */
	ck_assert_uint_eq(out[1], 0);
	ck_assert_uint_eq(out[2], 0x55);
	ck_assert(!rbuf_ok(&r));

	/* rbuf_get past the end: fails, zero fill, nothing consumed. */
	rbuf_init(&r, in, sizeof(in));
	ck_assert_uint_eq(rbuf_u32(&r), 0x04030201u);
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(rbuf_get(&r, out, 3), -1);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[2], 0);
	ck_assert(!rbuf_ok(&r));

	/* An empty buffer: the first read fails. */
	rbuf_init(&r, in, 0);
	ck_assert(rbuf_ok(&r));
	ck_assert_uint_eq(rbuf_u8(&r), 0);
	ck_assert(!rbuf_ok(&r));
}
END_TEST

START_TEST(test_rbuf_bytes)
{
	struct wbuf w;
	struct rbuf r;
	const uint8_t *p;
	size_t n = 99;

	wbuf_init(&w);
	wbuf_bytes(&w, "abcd", 4);
	wbuf_bytes(&w, "", 0);
	ck_assert_int_eq(wbuf_status(&w), 0);

	/* Exactly max is fine. */
	rbuf_init(&r, w.data, w.len);
	p = rbuf_bytes(&r, 4, &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(p, "abcd", 4);
	n = 99;
	ck_assert_ptr_nonnull(rbuf_bytes(&r, 0, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(rbuf_ok(&r));
	ck_assert_uint_eq(r.left, 0);

	/* One over max is refused before reading the bytes. */
	rbuf_init(&r, w.data, w.len);
	n = 99;
	ck_assert_ptr_null(rbuf_bytes(&r, 3, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(!rbuf_ok(&r));
	ck_assert_ptr_null(rbuf_bytes(&r, 100, &n));

	/* A length longer than what is left. */
	rbuf_init(&r, w.data, 6);
	ck_assert_ptr_null(rbuf_bytes(&r, 100, &n));
	ck_assert(!rbuf_ok(&r));

	/* A huge length prefix with a huge max: still bounded by the data. */
	{
		static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'x' };

		rbuf_init(&r, huge, sizeof(huge));
		ck_assert_ptr_null(rbuf_bytes(&r, SIZE_MAX, &n));
		ck_assert(!rbuf_ok(&r));
	}
	wbuf_release(&w);
}
END_TEST

START_TEST(test_rbuf_strdup)
{
	struct wbuf w;
	struct rbuf r;
	char *s;

	wbuf_init(&w);
	wbuf_str(&w, "hello");
	wbuf_str(&w, "");
	ck_assert_int_eq(wbuf_status(&w), 0);
	rbuf_init(&r, w.data, w.len);
	s = rbuf_strdup(&r, 5);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = rbuf_strdup(&r, 5);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert(rbuf_ok(&r));
	ck_assert_uint_eq(r.left, 0);

	/* Over the cap. */
	rbuf_init(&r, w.data, w.len);
	ck_assert_ptr_null(rbuf_strdup(&r, 4));
	ck_assert(!rbuf_ok(&r));
	wbuf_release(&w);

	/* An embedded NUL anywhere is refused. */
	for (size_t at = 0; at < 5; at++) {
		char bytes[5] = { 'a', 'b', 'c', 'd', 'e' };

		bytes[at] = '\0';
		wbuf_init(&w);
		wbuf_bytes(&w, bytes, sizeof(bytes));
		rbuf_init(&r, w.data, w.len);
		ck_assert_msg(rbuf_strdup(&r, 100) == NULL,
		    "NUL at %zu accepted", at);
		ck_assert(!rbuf_ok(&r));
		wbuf_release(&w);
	}

	/* Truncated string. */
	wbuf_init(&w);
	wbuf_str(&w, "hello");
	rbuf_init(&r, w.data, w.len - 1);
	ck_assert_ptr_null(rbuf_strdup(&r, 100));
	ck_assert(!rbuf_ok(&r));
	wbuf_release(&w);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_le32_le64);
	tcase_add_test(tc, test_wbuf_integers_layout);
	tcase_add_test(tc, test_wbuf_growth);
	tcase_add_test(tc, test_wbuf_too_long_fails);
	tcase_add_test(tc, test_rbuf_reads);
	tcase_add_test(tc, test_rbuf_short_read_sticks);
	tcase_add_test(tc, test_rbuf_bytes);
	tcase_add_test(tc, test_rbuf_strdup);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_main(buf_suite());
}
