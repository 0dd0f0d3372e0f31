/* cli.h: what every subcommand shares: its entry point, help text and
 * option parsing. */
#ifndef BKP_CLI_H
#define BKP_CLI_H

#include <getopt.h>

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

/* Reports a missing required option. */
int cli_missing(const char *cmd, const char *opt);

/* The command lines of bkp (bkp.c) and restore (restore/). */
int cmd_keygen(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);

#endif
