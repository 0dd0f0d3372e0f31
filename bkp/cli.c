/* cli.c: option parsing shared by the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "log.h"

int
cli_parse(int argc, char **argv, const char *usage, const struct option *opts,
    int (*on_opt)(int c, const char *arg, void *ctx), void *ctx)
{
	char shortopts[128] = "h";
	size_t n = strlen(shortopts);
	int c, rc;

	/* Short forms: every option whose val is a printable letter. */
	for (const struct option *o = opts; o->name && n + 3 < sizeof(shortopts);
	    o++) {
		if (o->flag || o->val < 'A' || o->val > 'z')
			continue;
		shortopts[n++] = (char)o->val;
		if (o->has_arg == required_argument)
			shortopts[n++] = ':';
	}
	shortopts[n] = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (c == '?' || c == ':') {
			if (optopt)
				log_error("%s: bad or incomplete option -%c; see "
				    "bkp %s --help", argv[0], optopt, argv[0]);
			else
				log_error("%s: unknown option or missing value "
				    "'%s'; see bkp %s --help", argv[0],
				    argv[optind - 1], argv[0]);
			return -BKP_EUSAGE;
		}
		if ((rc = on_opt(c, optarg, ctx)) != 0)
			return rc;
	}
	return 0;
}

int
cli_missing(const char *cmd, const char *opt)
{
	log_error("%s: %s is required; see bkp %s --help", cmd, opt, cmd);
	return -BKP_EUSAGE;
}

int
cli_transport_opt(int c, const char *arg, struct transport_opts *o)
{
	switch (c) {
	case 'I':
		o->identity = arg;
		return 1;
	case 'K':
		o->known_hosts = arg;
		return 1;
	case 'A':
		o->accept_new_host_key = 1;
		return 1;
	}
	return 0;
}
