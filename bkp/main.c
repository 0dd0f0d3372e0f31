/* main.c: bkp's entry point: picks the subcommand, maps its status to the
 * documented exit code. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "interrupt.h"
#include "log.h"
#include "transport.h"

static const struct command commands[] = {
	{ "keygen", cmd_keygen, "make a repository key pair and a signing key" },
	{ "key", cmd_key, "change a passphrase, rotate, trust or revoke keys" },
	{ "init", cmd_init, "create a repository" },
	{ "backup", cmd_backup, "back up the sources of a policy" },
	{ "policy", cmd_policy, "check policy files" },
	{ "run", cmd_run, "do what the policies say is due (for cron)" },
	{ "status", cmd_status, "what was done, what is due, what is wrong" },
	{ "prune", cmd_prune, "delete the sets the retention rules do not keep" },
	{ "destroy", cmd_destroy, "destroy a set or a repository for good (crypto-shredding)" },
	{ "snapshots", cmd_snapshots, "list the sets of a repository" },
	{ "restore", cmd_restore, "restore a set, or part of it, into a directory" },
	{ "find", cmd_find, "list every version of paths across the sets" },
	{ "verify", cmd_verify, "check that sets are complete, intact and restorable" },
	{ "audit", cmd_audit, "check or show the audit trail" },
	{ "drill", cmd_drill, "restore a point in time as a timed, checked recovery drill" },
	{ "copy", cmd_copy, "copy the sets another repository lacks (offsite)" },
	{ "unlock", cmd_unlock, "remove stale repository locks" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: bkp [--verbose] COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "\nbkp COMMAND --help describes each; see bkp(1).\n");
}

/* No core dumps: this process may hold a secret key. */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
}

int
main(int argc, char **argv)
{
	int rc;

	no_core_dumps();
	while (argc > 1 && argv[1][0] == '-') {
		if (strcmp(argv[1], "--verbose") == 0 ||
		    strcmp(argv[1], "-v") == 0) {
			log_set_verbose(1);
		} else if (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[1], "--version") == 0) {
			printf("bkp %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			log_error("unknown option %s; see bkp --help", argv[1]);
			return BKP_EUSAGE;
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return BKP_EUSAGE;
	}
	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return BKP_EINTERNAL;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* Every command is in the audit trail (lib/audit.h). */
		audit_begin(argc, argv, commands[i].name);
		rc = audit_end(commands[i].run(argc - 1, argv + 1), NULL);
		transport_close_idle();
		/* Cleaned up after SIGINT/SIGTERM (lib/interrupt.h): now
		 * the signal may end the process. */
		interrupt_reraise();
		return rc < 0 ? -rc : rc;
	}
	log_error("unknown command '%s'; see bkp --help", argv[1]);
	return BKP_EUSAGE;
}
