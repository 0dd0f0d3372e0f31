/* cmd_copy.c: bkp copy --from URL --to URL [--policy NAME] [--json] */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"
#include "copy.h"
#include "error.h"
#include "log.h"
#include "repo.h"

static const char usage[] =
"usage: bkp copy --from URL --to URL [--policy NAME] [--json]\n"
"                [--from-identity FILE] [--from-known-hosts FILE]\n"
"                [--to-identity FILE] [--to-known-hosts FILE]\n"
"                [--accept-new-host-key]\n"
"\n"
"Copies every sealed set of the repository at --from that the repository\n"
"at --to lacks, oldest first: its key, parts and manifest, then its seal,\n"
"so that an interrupted copy leaves the destination valid, and running it\n"
"again resumes it (objects already there with the right size and hash are\n"
"skipped).  Every object is checked against the source's seal while it\n"
"streams and is not copied when it differs.  Only ciphertext moves: no\n"
"key is needed.  The destination must be the same repository (same id),\n"
"or a new or empty directory, which then gets the source's config.\n"
"\n"
"  -f, --from URL      the source repository\n"
"  -t, --to URL        the destination repository\n"
"  -P, --policy NAME   only the sets of this policy\n"
"  -j, --json          print the result as JSON\n"
"      --from-identity FILE, --from-known-hosts FILE\n"
"      --to-identity FILE, --to-known-hosts FILE\n"
"                      SSH private key and known_hosts file for an SFTP\n"
"                      source or destination (defaults: bkp(1))\n"
"  -A, --accept-new-host-key  trust SFTP servers seen for the first time\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 every missing set copied (or none missing); otherwise the\n"
"status of the first set that failed: 5 an object of the source does not\n"
"match its seal, 9 a connection failed, 8 the destination is another\n"
"repository; other codes: bkp(1).\n";

enum { O_FROM_ID = 256, O_FROM_KH, O_TO_ID, O_TO_KH };

struct copy_args {
	const char *from, *to;
	struct transport_opts fo, to_opts;
	struct copy_opts co;
	int json;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct copy_args *a = ctx;

	switch (c) {
	case 'f': a->from = arg; break;
	case 't': a->to = arg; break;
	case 'P': a->co.policy = arg; break;
	case 'j': a->json = a->co.quiet = 1; break;
	case O_FROM_ID: a->fo.identity = arg; break;
	case O_FROM_KH: a->fo.known_hosts = arg; break;
	case O_TO_ID: a->to_opts.identity = arg; break;
	case O_TO_KH: a->to_opts.known_hosts = arg; break;
	case 'A':
		a->fo.accept_new_host_key = a->to_opts.accept_new_host_key = 1;
		break;
	}
	return 0;
}

static json_object *
ids_json(char (*v)[SETID_LEN + 1], size_t n)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	return arr;
}

static void
report(const struct copy_args *a, const struct copy_stats *st, double secs)
{
	json_object *o;

	if (!a->json) {
		printf("%zu sets copied (%zu objects, %.1f MiB, %zu already "
		    "there), %zu failed, %zu present before; %.1f s\n",
		    st->ncopied, st->objects_copied,
		    (double)st->bytes_copied / 1048576.0, st->objects_skipped,
		    st->nfailed, st->present, secs);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "from", json_object_new_string(a->from));
	json_object_object_add(o, "to", json_object_new_string(a->to));
	json_object_object_add(o, "copied", ids_json(st->copied, st->ncopied));
	json_object_object_add(o, "failed", ids_json(st->failed, st->nfailed));
	json_object_object_add(o, "present",
	    json_object_new_int64((int64_t)st->present));
	json_object_object_add(o, "objects_copied",
	    json_object_new_int64((int64_t)st->objects_copied));
	json_object_object_add(o, "objects_skipped",
	    json_object_new_int64((int64_t)st->objects_skipped));
	json_object_object_add(o, "bytes_copied",
	    json_object_new_int64((int64_t)st->bytes_copied));
	json_object_object_add(o, "seconds", json_object_new_double(secs));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int
cmd_copy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "from-identity", required_argument, NULL, O_FROM_ID },
		{ "from-known-hosts", required_argument, NULL, O_FROM_KH },
		{ "to-identity", required_argument, NULL, O_TO_ID },
		{ "to-known-hosts", required_argument, NULL, O_TO_KH },
		{ "accept-new-host-key", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct copy_args a;
	struct repo *src = NULL, *dst = NULL;
	struct copy_stats st = { 0 };
	struct timespec t0;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (a.from == NULL || a.to == NULL)
		return cli_missing("copy", a.from ? "--to URL" : "--from URL");
	if (strcmp(a.from, a.to) == 0) {
		log_error("copy: --from and --to are the same repository");
		return -BKP_EUSAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = repo_open(a.from, &a.fo, &src)) == 0 &&
	    (rc = copy_open_dest(src, a.to, &a.to_opts, &dst)) == 0) {
		rc = copy_sets(src, dst, &a.co, &st);
		report(&a, &st, seconds_since(&t0));
	}
	copy_stats_release(&st);
	repo_close(dst);
	repo_close(src);
	return rc;
}
