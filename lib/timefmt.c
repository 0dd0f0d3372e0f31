/* timefmt.c: ISO 8601 parsing and formatting. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* Reads exactly n digits. */
static int
digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

/* "Z", "+HH:MM", "+HHMM", "+HH"; *offset in seconds east of UTC. */
static int
parse_zone(const char *s, int *has_zone, long *offset)
{
	int sign, hh, mm = 0;

	*has_zone = 0;
	*offset = 0;
	if (*s == '\0')
		return 0;
	*has_zone = 1;
	if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0)
		return 0;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (digits(&s, 2, &hh) != 0)
		return -1;
	if (*s == ':')
		s++;
	if (*s && digits(&s, 2, &mm) != 0)
		return -1;
	if (*s != '\0' || hh > 23 || mm > 59)
		return -1;
	*offset = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int
time_parse(const char *s, int64_t *ns)
{
	struct tm tm;
	int y, mo, d, h = 23, mi = 59, sec = 59, has_zone;
	long offset;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		sec = 0;
		if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi))
			return -1;
		if (*s == ':' && (s++, digits(&s, 2, &sec)))
			return -1;
	}
	if (parse_zone(s, &has_zone, &offset) != 0 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = has_zone ? timegm(&tm) - offset : mktime(&tm);
	if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
		return -1;
	*ns = (int64_t)t * 1000000000 + 999999999;
	return 0;
}

void
time_format_utc(int64_t ns, char *out, size_t size)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
