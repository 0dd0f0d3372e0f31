/* cmd_drill.c: bkp drill --policy FILE [--at TIME] [--target DIR] [--keep]
 * [--report DIR] [--key FILE] [--passphrase-file FILE] [--json], and
 * bkp drill --verify-report FILE.json [--pub FILE | --policy FILE] */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "drill.h"
#include "error.h"
#include "keys.h"
#include "lock.h"
#include "log.h"
#include "policy.h"

static const char usage[] =
"usage: bkp drill --policy FILE [--at TIME] [--target DIR] [--keep]\n"
"                 [--report DIR] [--key FILE] [--passphrase-file FILE]\n"
"                 [--json] [--accept-new-host-key]\n"
"       bkp drill --verify-report FILE.json [--pub FILE | --policy FILE]\n"
"\n"
"A recovery drill: a real restore of the policy's newest set (or the\n"
"newest at or before TIME) from its repository into a scratch directory\n"
"(a new one under $TMPDIR, removed afterwards unless --keep), with the\n"
"same checks as bkp restore (every file's content hash), then the\n"
"database dumps of [stores] loaded into scratch databases on their own\n"
"servers, their tables' rows counted and [drill] check_query run in them\n"
"(the scratch databases dropped afterwards unless --keep), then the\n"
"policy's [drill] check command, run by /bin/sh with the restored root as\n"
"$1 and in BKP_DRILL_TARGET (time limit: [drill] check_timeout, 10m by\n"
"default); e.g. load a restored database dump and run a query.  The\n"
"check also sees BKP_POLICY, BKP_SET (the set restored), BKP_REPOSITORY\n"
"and BKP_LEVEL=drill, never the passphrase.\n"
"\n"
"It measures the RTO, the wall time of the recovery, in phases that add\n"
"up to it: connect (open the repository), listing (read and verify every\n"
"seal), manifest (the set's seal, data key and manifest), restore (read,\n"
"decrypt, decompress and write the parts and check every file's hash: one\n"
"interleaved pass, reported with the bytes read and written), load (the\n"
"database dumps), check.\n"
"Unlocking the key is reported apart, not in the RTO.  The RPO is the\n"
"drill's start minus the restored set's start; the worst gap between\n"
"consecutive sets of the policy that the repository keeps is reported\n"
"too.  The verdict is fail when a file could not be restored, the check\n"
"failed, or a [drill] rto_target or rpo_target was missed (the RPO of a\n"
"set older than the newest is not judged; the worst gap always is).\n"
"\n"
"The report, drill-POLICY-TIMESTAMP.json (signed with the policy's\n"
"signing key: .json.sig) and .html (a self-contained page with the\n"
"phases and the earlier drills), goes to DIR (default STATE/drills) and\n"
"into the repository under drills/.  bkp run drills when [drill] every\n"
"says one is due (mode = run) or warns (mode = remind, the default).\n"
"Holds the policy's lock, as bkp run does.\n"
"\n"
"  -P, --policy FILE           the policy\n"
"  -a, --at TIME               the newest set at or before TIME (ISO 8601)\n"
"  -t, --target DIR            restore into DIR (new or empty)\n"
"      --keep                  keep the restored tree\n"
"  -r, --report DIR            where to write the report\n"
"  -k, --key FILE              the secret repository key (default: the\n"
"                              policy's [drill] key)\n"
"  -p, --passphrase-file FILE  its passphrase (else $BKP_PASSPHRASE or a\n"
"                              prompt)\n"
"  -j, --json                  print the report (JSON)\n"
"  -A, --accept-new-host-key   trust an SFTP server seen for the first time\n"
"  -V, --verify-report FILE    check FILE's signature (FILE.sig) with the\n"
"                              signing key of --pub, or of the policy's\n"
"                              [keys] public\n"
"  -u, --pub FILE              the repository's public keys (repo.pub)\n"
"  -h, --help                  this text\n"
"\n"
"Exit status: 0 the drill passed (or the signature is good), 5 the drill\n"
"failed (report written) or the signature is bad, 6 a wrong or unusable\n"
"key, 7 no set to drill with, 11 the policy is locked, other codes:\n"
"bkp(1).\n";

enum { OPT_KEEP = 256 };

struct drill_args {
	const char *policy, *verify, *pub;
	struct drill_request req;
};

static int
on_opt(int c, const char *arg, void *ctx)
{
	struct drill_args *a = ctx;

	switch (c) {
	case 'P': a->policy = arg; break;
	case 'a': a->req.at = arg; break;
	case 't': a->req.target = arg; break;
	case OPT_KEEP: a->req.keep = 1; break;
	case 'r': a->req.report_dir = arg; break;
	case 'k': a->req.key = arg; break;
	case 'p': a->req.passfile = arg; break;
	case 'j': a->req.json = 1; break;
	case 'A': a->req.accept_new_host_key = 1; break;
	case 'V': a->verify = arg; break;
	case 'u': a->pub = arg; break;
	}
	return 0;
}

int
drill_policy(const struct policy *p, const struct drill_request *req)
{
	struct drill d = { .p = p, .req = req };
	json_object *report;
	int rc;

	if ((rc = signkey_load(p->signkey, &d.sig)) == 0 &&
	    (rc = drill_execute(&d)) == 0) {
		if ((report = drill_json(&d)) == NULL)
			rc = -BKP_ENOMEM;
		else
			rc = drill_publish(&d, report);
		json_object_put(report);
		/* The verdict first: a failed drill is the news. */
		if (!d.pass)
			rc = -BKP_ECORRUPT;
	}
	drill_release(&d);
	return rc;
}

static int
verify_report(const struct drill_args *a)
{
	struct bkp_pubkey pub;
	struct policy *p = NULL;
	int rc;

	if (a->pub == NULL && a->policy == NULL) {
		log_error("drill: --verify-report needs the public key: --pub "
		    "FILE (repo.pub) or --policy FILE");
		return -BKP_EUSAGE;
	}
	if (a->pub == NULL && (rc = policy_load(a->policy, &p)) != 0)
		return rc;
	rc = pubkey_load(a->pub ? a->pub : p->pubkey, &pub);
	policy_free(p);
	return rc ? rc : drill_verify_file(a->verify, pub.sign_pk);
}

static int
drill_locked(const struct drill_args *a)
{
	struct policy *p;
	struct lock *l;
	int rc;

	if ((rc = policy_load(a->policy, &p)) != 0)
		return rc;
	if ((rc = lock_policy(p->name, &l)) == 0) {
		rc = drill_policy(p, &a->req);
		lock_release(l);
	}
	policy_free(p);
	return rc;
}

int
cmd_drill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "at", required_argument, NULL, 'a' },
		{ "target", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "report", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "accept-new-host-key", no_argument, NULL, 'A' },
		{ "verify-report", required_argument, NULL, 'V' },
		{ "pub", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drill_args a = { 0 };
	int rc;

	if ((rc = cli_parse(argc, argv, usage, opts, on_opt, &a)) != 0)
		return rc > 0 ? 0 : rc;
	if (optind < argc) {
		log_error("drill: unexpected argument '%s'; see bkp drill "
		    "--help", argv[optind]);
		return -BKP_EUSAGE;
	}
	if (a.verify)
		return verify_report(&a);
	if (a.policy == NULL)
		return cli_missing("drill", "--policy FILE");
	return drill_locked(&a);
}
