/* prune.h: applying a policy's retention rules to its repository. */
#ifndef BKP_PRUNE_H
#define BKP_PRUNE_H

#include "policy.h"

struct prune_request {
	int dry_run, json, quiet, accept_new_host_key;
};

int prune_policy(const struct policy *p, const struct prune_request *req);

#endif
