/* fuzz_lockobj.c: lockobj_decode, the repository's lock objects (locks/ID),
 * which any host that can write to the repository can make.
 *
 * Input: the bytes of a lock object.  One that decodes must hold strings
 * that fit and end, times and a pid in range; encoded again it must decode
 * to the same lock; and the staleness decision and description must work
 * on it for every kind of holder process.
 */
#include <string.h>

#include "common.h"
#include "lockobj.h"

static void
check(const struct lockobj *l)
{
	if (memchr(l->host, '\0', sizeof(l->host)) == NULL ||
	    memchr(l->what, '\0', sizeof(l->what)) == NULL)
		fuzz_fail("lockobj", "unterminated string");
	if (l->host[0] == '\0' || l->pid <= 0 || l->created < 0 ||
	    l->refreshed < 0 || l->start < 0)
		fuzz_fail("lockobj", "field out of range accepted");
	if (l->exclusive != 0 && l->exclusive != 1)
		fuzz_fail("lockobj", "kind not shared or exclusive");
}

static void
use(const struct lockobj *l)
{
	static const enum lockobj_proc procs[] = {
		LOCKOBJ_PROC_UNKNOWN, LOCKOBJ_PROC_ALIVE, LOCKOBJ_PROC_GONE,
	};
	char why[128], text[1024];

	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		(void)lockobj_stale(l, 0, procs[i], why, sizeof(why));
		(void)lockobj_stale(l, INT64_MAX / 2, procs[i], why,
		    sizeof(why));
	}
	lockobj_describe(l, text, sizeof(text));
	if (memchr(text, '\0', sizeof(text)) == NULL)
		fuzz_fail("lockobj", "description not terminated");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lockobj l, again;
	char out[LOCKOBJ_MAX];
	size_t len;

	if (lockobj_decode(data, size, &l) != 0)
		return 0;
	check(&l);
	use(&l);
	if (lockobj_encode(&l, out, sizeof(out), &len) != 0)
		fuzz_fail("lockobj", "a decoded lock does not encode");
	memset(&again, 0, sizeof(again));
	if (lockobj_decode((const uint8_t *)out, len, &again) != 0 ||
	    again.exclusive != l.exclusive || again.pid != l.pid ||
	    again.start != l.start || again.created != l.created ||
	    again.refreshed != l.refreshed ||
	    strcmp(again.host, l.host) != 0 || strcmp(again.what, l.what) != 0)
		fuzz_fail("lockobj", "encode and decode disagree");
	return 0;
}
