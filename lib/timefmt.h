/* timefmt.h: times as operators type them and as bkp prints them. */
#ifndef BKP_TIMEFMT_H
#define BKP_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Parses ISO 8601: "2026-11-21", "2026-11-21T14:00", "2026-11-21 14:00:05",
 * with an optional zone "Z", "+01:00", "-0500"; without a zone the time is
 * local.  A time means the end of its second, and a date alone the end of
 * that day, so "--at 2026-11-21" picks the last set of that day and
 * "--at 14:00:05" one that started during that second.  0, or -1 when s is
 * not such a time. */
int time_parse(const char *s, int64_t *ns);

/* "2026-11-21T14:00:05Z" (UTC). */
void time_format_utc(int64_t ns, char *out, size_t size);

#endif
