/* targets.h: the repositories of a policy: [repository] url, where a
 * backup writes its set, and the offsite ones, which get a copy of it.
 *
 * Design (3-2-1): the set is written once, to url; then copy.c copies it
 * to every offsite repository in turn, with every earlier set of the
 * policy that one lacks (a target that was unreachable catches up on the
 * next backup).  The set id and bytes are then the same everywhere, and a
 * failing target costs only its own copy.  The offsite repositories have
 * url's repository id: an empty one is set up from url's config.
 */
#ifndef BKP_TARGETS_H
#define BKP_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "policy.h"
#include "repo.h"

struct target_result {
	const char *url;	/* the policy's string */
	int status;		/* 0, or the negative status of the copy */
	size_t sets;		/* sets copied to it */
	uint64_t bytes;		/* ciphertext copied to it */
};

struct targets {
	struct target_result *v;	/* the offsite ones, in policy order */
	size_t n;
};

/* How to reach p's repositories (SFTP identity, known_hosts, retries). */
void targets_opts(const struct policy *p, int accept_new_host_key,
    struct transport_opts *o);

/* Copies the policy's sets that each offsite repository lacks from
 * primary.  0 when every copy succeeded, else -BKP_EFAILED (each failure
 * reported). */
int targets_ship(const struct policy *p, struct repo *primary,
    int accept_new_host_key, struct targets *t);
void targets_release(struct targets *t);

/* The outcome, as lines on stdout, or as "targets" in a JSON object. */
void targets_print(const struct policy *p, const struct targets *t);
void targets_json(const struct policy *p, const struct targets *t,
    json_object *o);

#endif
