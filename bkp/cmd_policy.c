/* cmd_policy.c: bkp policy check FILE... */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "log.h"
#include "policy.h"

static const char usage[] =
"usage: bkp policy check [--syntax-only] FILE...\n"
"\n"
"Checks policy files: syntax, known sections and keys, values, required\n"
"keys, and (unless --syntax-only) that the key files and source paths\n"
"exist and can be read.  Every problem is printed as file:line: message;\n"
"the exit status is 3 when any file has a problem.\n"
"\n"
"  -s, --syntax-only   do not look at key files and sources\n"
"  -h, --help          this text\n";

static int
on_opt(int c, const char *arg, void *ctx)
{
	(void)arg;
	if (c == 's')
		*(int *)ctx = 1;
	return 0;
}

static int
readable(const char *file, const char *what, const char *path)
{
	if (path == NULL || access(path, R_OK) == 0)
		return 0;
	log_error("%s: %s %s cannot be read", file, what, path);
	return 1;
}

/* The checks that look outside the file. */
static int
check_environment(const struct policy *p)
{
	int bad = 0;

	bad += readable(p->file, "[keys] public", p->pubkey);
	bad += readable(p->file, "[keys] signing", p->signkey);
	bad += readable(p->file, "[repository] identity", p->identity);
	for (size_t i = 0; i < p->paths.n; i++)
		bad += readable(p->file, "[source] path", p->paths.v[i]);
	return bad;
}

static int
policy_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "syntax-only", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy *p;
	int syntax_only = 0, bad = 0, rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt,
	    &syntax_only)) != 0)
		return rc > 0 ? 0 : rc;
	if (optind >= argc)
		return cli_missing("policy check", "FILE");
	for (int i = optind; i < argc; i++) {
		if ((rc = policy_load(argv[i], &p)) == -BKP_ENOMEM)
			return rc;
		if (rc != 0) {
			bad++;
			continue;
		}
		if (!syntax_only && check_environment(p))
			bad++;
		else
			printf("%s: ok\n", argv[i]);
		policy_free(p);
	}
	return bad ? -BKP_ECONFIG : 0;
}

int
cmd_policy(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return policy_check(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	log_error("policy: expected 'check'; see bkp policy --help");
	return -BKP_EUSAGE;
}
