/* cli.h: what every subcommand shares: its entry point, help text and
 * option parsing. */
#ifndef BKP_CLI_H
#define BKP_CLI_H

#include <getopt.h>

#include "transport.h"

/* A subcommand returns 0, BKP_EWARN, or a negative BKP_E* status. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Parses options for a subcommand whose usage text is usage.  --help
 * prints it and returns 1 (the caller returns 0); a bad option prints a
 * short hint and returns -BKP_EUSAGE.  Calls on_opt for every option. */
int cli_parse(int argc, char **argv, const char *usage,
    const struct option *opts, int (*on_opt)(int c, const char *arg,
    void *ctx), void *ctx);

/* The options of commands that take --repo URL: how to reach an SFTP
 * repository.  Commands list CLI_TRANSPORT_OPTIONS in their option table,
 * CLI_TRANSPORT_HELP in their usage, and pass every option to
 * cli_transport_opt first (1: it was one of these). */
#define CLI_TRANSPORT_OPTIONS \
	{ "identity", required_argument, NULL, 'I' }, \
	{ "known-hosts", required_argument, NULL, 'K' }, \
	{ "accept-new-host-key", no_argument, NULL, 'A' }
#define CLI_TRANSPORT_HELP \
"  -I, --identity FILE         SSH private key (default: ssh-agent, then\n" \
"                              ~/.ssh/id_*)\n" \
"  -K, --known-hosts FILE      known_hosts file (default ~/.ssh/known_hosts)\n" \
"  -A, --accept-new-host-key   trust an SFTP server seen for the first time\n"
int cli_transport_opt(int c, const char *arg, struct transport_opts *o);

/* Reports a missing required option. */
int cli_missing(const char *cmd, const char *opt);

/* The command lines of bkp (bkp.c) and restore (restore/). */
int cmd_keygen(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);
int cmd_find(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_drill(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_unlock(int argc, char **argv);

#endif
