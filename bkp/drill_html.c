/* drill_html.c: a drill's report as one self-contained HTML page: the
 * verdict, the figures, an SVG bar chart of the phases, and the earlier
 * drills of the policy with their RTO and RPO trend (SVG line charts).
 * No script, no external asset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"
#include "error.h"
#include "log.h"

static const char *const colors[NPHASES] = {
	"#5c6bc0", "#26a69a", "#ffa726", "#42a5f5", "#8d6e63", "#ab47bc",
};

static const char style[] =
"body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1080px;"
"color:#222;padding:0 1em}\n"
"h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\n"
".verdict{display:inline-block;padding:.25em .9em;border-radius:4px;"
"color:#fff;font-weight:bold;letter-spacing:.05em}\n"
".pass{background:#2e7d32}.fail{background:#c62828}\n"
"table{border-collapse:collapse;margin:.8em 0}\n"
"td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left;"
"vertical-align:top}\n"
"th{background:#f4f4f4}td.n{text-align:right;"
"font-variant-numeric:tabular-nums}\n"
".miss{color:#c62828;font-weight:bold}.ok{color:#2e7d32}\n"
"code{background:#f4f4f4;padding:0 .2em}\n"
"svg text{font-family:system-ui,sans-serif;font-size:12px}\n"
".foot{color:#666;font-size:.9em;margin-top:2em}\n";

/* o.a or o.a.b, or NULL. */
static json_object *
get(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v) || b == NULL)
		return v;
	return json_object_object_get_ex(v, b, &v) ? v : NULL;
}

static double
num(json_object *o, const char *a, const char *b)
{
	return json_object_get_double(get(o, a, b));
}

static const char *
str(json_object *o, const char *a, const char *b)
{
	json_object *v = get(o, a, b);

	return v && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

static void
esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

void
drill_html_esc(FILE *f, const char *s)
{
	esc(f, s);
}

/* "0.125 s", "12.50 s", "4m 05s", "3h 07m", "2d 04h" */
static const char *
dur(double s, char *buf, size_t size)
{
	long long n = (long long)(s + 0.5);

	if (s < 1)
		snprintf(buf, size, "%.1f ms", s * 1000);
	else if (s < 10)
		snprintf(buf, size, "%.3f s", s);
	else if (s < 60)
		snprintf(buf, size, "%.2f s", s);
	else if (n < 3600)
		snprintf(buf, size, "%lldm %02llds", n / 60, n % 60);
	else if (n < 86400)
		snprintf(buf, size, "%lldh %02lldm", n / 3600, n % 3600 / 60);
	else
		snprintf(buf, size, "%lldd %02lldh", n / 86400, n % 86400 / 3600);
	return buf;
}

static void
row(FILE *f, const char *name, const char *value, int escape)
{
	fprintf(f, "<tr><th>%s</th><td>", name);
	if (escape)
		esc(f, value);
	else
		fputs(value, f);
	fputs("</td></tr>\n", f);
}

/* "12.5 s (target 30m: met)" */
static void
against(FILE *f, const char *name, double v, json_object *target)
{
	char a[32], b[32];

	fprintf(f, "<tr><th>%s</th><td>%s", name, dur(v, a, sizeof(a)));
	if (target)
		fprintf(f, " <span class=\"%s\">(target %s: %s)</span>",
		    v <= json_object_get_double(target) ? "ok" : "miss",
		    dur(json_object_get_double(target), b, sizeof(b)),
		    v <= json_object_get_double(target) ? "met" : "missed");
	fputs("</td></tr>\n", f);
}

static void
gap_row(FILE *f, json_object *r)
{
	char a[32], b[200];

	if (num(r, "rpo_window", "sets") < 2)
		snprintf(b, sizeof(b), "none: one set in the repository");
	else
		snprintf(b, sizeof(b), "%s, from %s to %s (%lld sets since "
		    "%s)", dur(num(r, "rpo_window", "worst_gap_seconds"), a,
		    sizeof(a)), str(r, "rpo_window", "worst_gap_from"),
		    str(r, "rpo_window", "worst_gap_to"), (long long)num(r,
		    "rpo_window", "sets"), str(r, "rpo_window", "from"));
	row(f, "Worst gap between sets", b, 1);
}

static void
summary(FILE *f, json_object *r)
{
	char a[32], b[4200];

	row(f, "Repository", str(r, "repository", NULL), 1);
	snprintf(b, sizeof(b), "%s (%s, started %s on %s)", str(r, "set", "id"),
	    str(r, "set", "level"), str(r, "set", "time"), str(r, "set", "host"));
	row(f, "Restored set", b, 1);
	if (get(r, "at", NULL))
		row(f, "Point in time asked", str(r, "at", NULL), 1);
	against(f, "RTO", num(r, "rto_seconds", NULL), get(r, "targets",
	    "rto_seconds"));
	against(f, "RPO (drill time &minus; set time)", num(r, "rpo_seconds",
	    NULL), get(r, "targets", "rpo_seconds"));
	gap_row(f, r);
	snprintf(b, sizeof(b), "%lld entries (%lld files), %.1f MiB written; "
	    "%lld parts, %.1f MiB read", (long long)num(r, "restore",
	    "entries"), (long long)num(r, "restore", "files"),
	    num(r, "restore", "bytes_written") / 1048576.0,
	    (long long)num(r, "restore", "parts_read"),
	    num(r, "restore", "bytes_read") / 1048576.0);
	row(f, "Restored and hash-checked", b, 1);
	snprintf(b, sizeof(b), "%lld (restore: %s)", (long long)num(r,
	    "failures", NULL), str(r, "restore", "status"));
	row(f, "Failures", b, 1);
	fputs("<tr><th>Check</th><td>", f);
	esc(f, str(r, "check", "status"));
	if (*str(r, "check", "command")) {
		fputs(": <code>", f);
		esc(f, str(r, "check", "command"));
		fputs("</code>", f);
	}
	fputs("</td></tr>\n", f);
	row(f, "Key unlock (not in the RTO)", dur(num(r, "key_unlock_seconds",
	    NULL), a, sizeof(a)), 1);
	snprintf(b, sizeof(b), "%s (%s)", str(r, "target", NULL),
	    json_object_get_boolean(get(r, "kept", NULL)) ? "kept" :
	    "removed after the drill");
	row(f, "Restored into", b, 1);
	row(f, "Signed by key", str(r, "signer", NULL), 1);
}

/* A horizontal bar per phase, scaled to the RTO. */
static void
phases_chart(FILE *f, json_object *r)
{
	double rto = num(r, "rto_seconds", NULL), s;
	int y = 10;
	char a[32];

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
	    "height=\"%d\" role=\"img\" aria-label=\"time per phase\">\n",
	    20 + 30 * NPHASES);
	for (int i = 0; i < NPHASES; i++, y += 30) {
		double w;

		s = num(r, "phases", drill_phase_names[i]);
		w = rto > 0 ? 520.0 * s / rto : 0;
		fprintf(f, "<text x=\"0\" y=\"%d\">%s</text>"
		    "<rect x=\"90\" y=\"%d\" width=\"%.1f\" height=\"20\" "
		    "fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%s (%.1f%%)</text>\n",
		    y + 15, drill_phase_names[i], y, w < 1 ? 1 : w, colors[i],
		    96 + (w < 1 ? 1 : w), y + 15, dur(s, a, sizeof(a)),
		    rto > 0 ? 100 * s / rto : 0);
	}
	fputs("</svg>\n", f);
}

/* x of point i of n in a trend chart. */
static double
trend_x(size_t i, size_t n)
{
	return n > 1 ? 60 + 420.0 * (double)i / (double)(n - 1) : 270.0;
}

/* The axes, their labels and the target line (when it is on the scale). */
static void
trend_frame(FILE *f, const char *title, const char *uname, double max,
    double t, json_object **v, size_t n)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"500\" "
	    "height=\"205\" role=\"img\" aria-label=\"%s trend\">\n"
	    "<text x=\"50\" y=\"14\">%s (%s)", title, title, uname);
	if (t > max)
		fprintf(f, ", target %.4g (off the scale)", t);
	fprintf(f, "</text>\n<line x1=\"50\" y1=\"170\" x2=\"490\" "
	    "y2=\"170\" stroke=\"#999\"/><line x1=\"50\" y1=\"25\" "
	    "x2=\"50\" y2=\"170\" stroke=\"#999\"/>\n<text x=\"0\" "
	    "y=\"30\">%.4g</text><text x=\"0\" y=\"174\">0</text>\n"
	    "<text x=\"50\" y=\"190\">%.16s</text><text x=\"380\" "
	    "y=\"190\">%.16s</text>\n", max, str(v[0], "time", NULL),
	    str(v[n - 1], "time", NULL));
	if (t > 0 && t <= max)
		fprintf(f, "<line x1=\"50\" y1=\"%.1f\" x2=\"490\" "
		    "y2=\"%.1f\" stroke=\"#c62828\" stroke-dasharray=\"5,4\"/>"
		    "<text x=\"440\" y=\"%.1f\" fill=\"#c62828\">target"
		    "</text>\n", 170 - 145 * t / max, 170 - 145 * t / max,
		    166 - 145 * t / max);
}

/* A small line chart of one figure over the drills (oldest first); the
 * scale fits the figures, and the target too unless it is far above. */
static void
trend(FILE *f, const char *title, json_object **v, size_t n,
    const char *key, double unit, const char *uname, json_object *target)
{
	double max = 0, t = target ? json_object_get_double(target) / unit : 0;

	for (size_t i = 0; i < n; i++)
		if (num(v[i], key, NULL) / unit > max)
			max = num(v[i], key, NULL) / unit;
	if (t > max && t < 3 * max)
		max = t;
	max = max > 0 ? max * 1.15 : 1;
	trend_frame(f, title, uname, max, t, v, n);
	fputs("<polyline fill=\"none\" stroke=\"#1e88e5\" stroke-width=\"2\" "
	    "points=\"", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.1f,%.1f ", trend_x(i, n), 170 - 145 *
		    num(v[i], key, NULL) / unit / max);
	fputs("\"/>\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
		    "fill=\"%s\"/>", trend_x(i, n), 170 - 145 *
		    num(v[i], key, NULL) / unit / max,
		    strcmp(str(v[i], "verdict", NULL), "pass") ? "#c62828" :
		    "#2e7d32");
	fputs("\n</svg>\n", f);
}

static void
history_table(FILE *f, json_object **v, size_t n)
{
	char a[32], b[32];

	fputs("<table><tr><th>Drill</th><th>Set restored</th><th>Verdict</th>"
	    "<th>RTO</th><th>RPO</th><th>Files</th><th>Failures</th></tr>\n",
	    f);
	for (size_t i = n; i-- > 0;) {
		fputs("<tr><td>", f);
		esc(f, str(v[i], "time", NULL));
		fputs("</td><td>", f);
		esc(f, str(v[i], "set", "id"));
		fprintf(f, "</td><td class=\"%s\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td></tr>\n",
		    strcmp(str(v[i], "verdict", NULL), "pass") ? "miss" : "ok",
		    strcmp(str(v[i], "verdict", NULL), "pass") ? "fail" : "pass",
		    dur(num(v[i], "rto_seconds", NULL), a, sizeof(a)),
		    dur(num(v[i], "rpo_seconds", NULL), b, sizeof(b)),
		    (long long)num(v[i], "restore", "files"),
		    (long long)num(v[i], "failures", NULL));
	}
	fputs("</table>\n", f);
}

static void
history(FILE *f, json_object *r, const struct drill_past *past)
{
	json_object **v = calloc(past->n + 1, sizeof(*v));
	size_t n = past->n;

	if (v == NULL)
		return;
	memcpy(v, past->v, n * sizeof(*v));
	v[n++] = r;
	fprintf(f, "<h2>This drill and the %zu before it</h2>\n", n - 1);
	trend(f, "RTO", v, n, "rto_seconds", 1, "seconds", get(r, "targets",
	    "rto_seconds"));
	trend(f, "RPO", v, n, "rpo_seconds", 3600, "hours", get(r, "targets",
	    "rpo_seconds"));
	history_table(f, v, n);
	if (past->rejected)
		fprintf(f, "<p class=\"miss\">%zu earlier reports in the "
		    "repository were left out: their signature does not "
		    "verify.</p>\n", past->rejected);
	free(v);
}

static void
reasons(FILE *f, json_object *r)
{
	json_object *a = get(r, "reasons", NULL);
	size_t n = a ? json_object_array_length(a) : 0;

	if (n == 0)
		return;
	fputs("<ul>\n", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<li class=\"miss\">", f);
		esc(f, json_object_get_string(json_object_array_get_idx(a, i)));
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

char *
drill_html(json_object *r, const struct drill_past *past)
{
	int pass = strcmp(str(r, "verdict", NULL), "pass") == 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "\n<title>Recovery drill of ", f);
	esc(f, str(r, "policy", NULL));
	fprintf(f, ", %s: %s</title>\n<style>\n%s</style>\n</head><body>\n"
	    "<h1>Recovery drill: ", str(r, "time", NULL), pass ? "pass" :
	    "fail", style);
	esc(f, str(r, "policy", NULL));
	fprintf(f, "</h1>\n<p><span class=\"verdict %s\">%s</span> %s, on ",
	    pass ? "pass" : "fail", pass ? "PASS" : "FAIL", str(r, "time",
	    NULL));
	esc(f, str(r, "host", NULL));
	fputs("</p>\n", f);
	reasons(f, r);
	fputs("<h2>Summary</h2>\n<table>\n", f);
	summary(f, r);
	fputs("</table>\n<h2>Where the time went (RTO, by phase)</h2>\n", f);
	phases_chart(f, r);
	fputs("<p>The restore phase reads, decrypts, decompresses and writes "
	    "the parts and checks every file's hash in one pass; unlocking "
	    "the key is not counted.</p>\n", f);
	drill_html_stores(f, r);
	history(f, r, past);
	fputs("<p class=\"foot\">The JSON report ", f);
	esc(f, str(r, "name", NULL));
	fputs(".json is signed (.json.sig); check it with <code>bkp drill "
	    "--verify-report FILE.json --pub repo.pub</code>.</p>\n"
	    "</body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
