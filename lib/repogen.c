/* repogen.c: the config in force: `config`, or its newest `config.N`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "log.h"
#include "repogen.h"

void
repogen_name(uint32_t gen, char out[32])
{
	if (gen == 0)
		snprintf(out, 32, "config");
	else
		snprintf(out, 32, "config.%u", gen);
}

/* "config.N" with N a decimal 1..2^32-1 without leading zeros. */
static int
parse_gen(const char *name, uint32_t *gen)
{
	unsigned long long v = 0;
	const char *p = name + 7;

	if (strncmp(name, "config.", 7) != 0 || *p < '1' || *p > '9' ||
	    strlen(p) > 10)
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > UINT32_MAX)
		return 0;
	*gen = (uint32_t)v;
	return 1;
}

static int
newest_gen(void *arg, const char *name)
{
	uint32_t *max = arg, g;

	if (parse_gen(name, &g) && g > *max)
		*max = g;
	return 0;
}

static int
load_one(struct transport *t, const char *url, uint32_t gen,
    struct repo_config *c)
{
	char name[32], label[1100];
	uint8_t *data;
	size_t len;
	int rc;

	repogen_name(gen, name);
	snprintf(label, sizeof(label), "%s/%s", url, name);
	if ((rc = transport_get(t, name, REPO_CONFIG_MAX, &data, &len)) != 0)
		return rc;
	rc = repo_config_decode(data, len, c, label);
	free(data);
	if (rc != 0 && gen > 0)
		log_error("%s: the newest repository config is unusable; "
		    "moving it away makes the one before it current (which "
		    "undoes the key change it recorded)", label);
	return rc;
}

int
repogen_load(struct transport *t, const char *url, struct repo_config *c,
    uint32_t *genp)
{
	struct repo_config base;
	uint32_t gen = 0;
	char name[32];
	int rc;

	if (genp)
		*genp = 0;
	if ((rc = load_one(t, url, 0, &base)) != 0 ||
	    (rc = transport_list(t, "", newest_gen, &gen)) != 0)
		return rc;
	if (gen == 0) {
		*c = base;
		return 0;
	}
	if ((rc = load_one(t, url, gen, c)) != 0)
		return rc;
	if (memcmp(c->id, base.id, REPO_ID_LEN) != 0) {
		repogen_name(gen, name);
		log_error("%s/%s: config of another repository", url, name);
		return -BKP_EREPO;
	}
	if (genp)
		*genp = gen;
	return 0;
}

int
repogen_update(struct repo *r, const struct repo_config *c)
{
	struct transport *t = repo_transport(r);
	struct repo_config cur;
	struct wbuf w;
	uint32_t gen;
	char name[32];
	int rc;

	if ((rc = repogen_load(t, repo_url(r), &cur, &gen)) != 0)
		return rc;
	if (memcmp(&cur, repo_config(r), sizeof(cur)) != 0) {
		log_error("%s: the repository config was changed by another "
		    "bkp meanwhile; run the command again", repo_url(r));
		return -BKP_EREPO;
	}
	if (gen == UINT32_MAX || memcmp(c->id, cur.id, REPO_ID_LEN) != 0)
		return -BKP_EINTERNAL;
	wbuf_init(&w);
	repogen_name(gen + 1, name);
	if ((rc = repo_config_encode(c, &w)) == 0)
		rc = transport_put(t, name, w.data, w.len);
	wbuf_release(&w);
	if (rc == 0)
		log_info("%s: wrote %s", repo_url(r), name);
	return rc;
}

int
repogen_past_key(struct repo *r, const uint8_t box_pk[32])
{
	struct transport *t = repo_transport(r);
	struct repo_config c;
	char id[KEY_ID_HEX], now[KEY_ID_HEX];
	uint32_t gen;

	if (sodium_memcmp(repo_config(r)->box_pk, box_pk, 32) == 0 ||
	    repogen_load(t, repo_url(r), &c, &gen) != 0)
		return 0;
	for (uint32_t g = 0; g < gen; g++)
		if (load_one(t, repo_url(r), g, &c) == 0 &&
		    sodium_memcmp(c.box_pk, box_pk, 32) == 0) {
			key_id(box_pk, id);
			key_id(repo_config(r)->box_pk, now);
			log_warn("%s: key %s was rotated to key %s; it opens only "
			    "the sets whose key objects for it were kept",
			    repo_url(r), id, now);
			return 1;
		}
	return 0;
}
