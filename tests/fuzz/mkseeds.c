/* mkseeds.c: writes the seed corpora of the fuzz targets.
 *
 *   mkseeds DIR        writes DIR/fuzz_X/NAME for every target
 *
 * Every seed is a small valid input made with the library's own encoders
 * and the fixed test keys of common.c, and is checked to decode again
 * before it is written.  The output is deterministic except where the
 * format wants randomness (nonces, salts, sealed boxes).  The corpora are
 * kept in the source tree (tests/fuzz/corpus); run this only to regenerate
 * them after a format change:
 *
 *   build-fuzz/tests/fuzz/mkseeds tests/fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "buf.h"
#include "datakey.h"
#include "common.h"
#include "keys.h"
#include "lockobj.h"
#include "manifest.h"
#include "policy.h"
#include "repo.h"
#include "seal.h"
#include "stream.h"

#define SEED_MAX (64 * 1024)
#define OLD_SETID "20240228T010203Z-89abcdef"

static const char *outdir;

static void die(const char *what) __attribute__((noreturn));

static void
die(const char *what)
{
	fprintf(stderr, "mkseeds: %s\n", what);
	exit(1);
}

/* Writes DIR/target/name: prefix (when plen > 0) then p. */
static void
seed2(const char *target, const char *name, const void *prefix, size_t plen,
    const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	if (plen + n > SEED_MAX)
		die("seed larger than 64 KiB");
	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die("cannot create a corpus directory");
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    (plen && fwrite(prefix, 1, plen, f) != plen) ||
	    (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		die("cannot write a seed");
	printf("%s/%s/%s (%zu bytes)\n", outdir, target, name, plen + n);
}

static void
seed(const char *target, const char *name, const void *p, size_t n)
{
	seed2(target, name, NULL, 0, p, n);
}

static void
seed_ctl(const char *target, const char *name, uint8_t control,
    const void *p, size_t n)
{
	seed2(target, name, &control, 1, p, n);
}

/* Seals. */

static void
fill_hash(uint8_t h[32], const char *label)
{
	crypto_generichash(h, 32, (const uint8_t *)label, strlen(label), NULL,
	    0);
}

static void
mk_seal(const char *name, const char *parent, uint32_t nparts,
    const char *policy, const char *host)
{
	struct seal s, d;
	struct wbuf w;
	uint8_t trusted[1][32];

	memset(&s, 0, sizeof(s));
	snprintf(s.setid, sizeof(s.setid), "%s", FUZZ_SETID);
	snprintf(s.parent, sizeof(s.parent), "%s", parent);
	s.level = parent[0] ? LEVEL_INCR : LEVEL_FULL;
	s.time_ns = 1709251199000000000LL;
	s.end_ns = s.time_ns + 4200000000LL;
	s.policy = (char *)policy;
	s.host = (char *)host;
	s.nfiles = 42;
	s.bytes = 123456;
	s.stored = 34567;
	s.warnings = nparts ? 1 : 0;
	s.key.size = 124;
	fill_hash(s.key.hash, "key");
	s.manifest.size = 1000;
	fill_hash(s.manifest.hash, "manifest");
	s.nparts = nparts;
	if (nparts && (s.parts = calloc(nparts, sizeof(*s.parts))) == NULL)
		die("out of memory");
	for (uint32_t i = 0; i < nparts; i++) {
		s.parts[i].size = 65536 + i;
		fill_hash(s.parts[i].hash, i % 2 ? "odd part" : "even part");
	}
	wbuf_init(&w);
	if (seal_encode(&s, &fuzz_k.sig, &w) != 0)
		die("seal_encode failed");
	memcpy(trusted[0], fuzz_k.sig.pk, 32);
	if (seal_decode(w.data, w.len, (const uint8_t (*)[32])trusted, 1, &d,
	    "seed") != 0)
		die("seal seed does not decode");
	seal_release(&d);
	seed("fuzz_seal", name, w.data, w.len);
	wbuf_release(&w);
	free(s.parts);
}

static void
seals(void)
{
	char longname[SEAL_MAX_NAME + 1];

	memset(longname, 'h', SEAL_MAX_NAME);
	longname[SEAL_MAX_NAME] = '\0';
	mk_seal("full", "", 0, "home", "backup.example.org");
	mk_seal("incr-3-parts", OLD_SETID, 3, "etc", "h");
	mk_seal("long-names", "", 1, longname, longname);
}

/* Manifests. */

static struct manifest *
build_manifest(int nentries)
{
	static const struct {
		const char *path, *link;
		uint8_t type;
		uint32_t set;
	} ents[] = {
		{ "dev", NULL, ENTRY_DIR, 0 },
		{ "dev/null", NULL, ENTRY_CHR, 0 },
		{ "dev/sda", NULL, ENTRY_BLK, 0 },
		{ "etc", NULL, ENTRY_DIR, 0 },
		{ "etc/hosts", NULL, ENTRY_FILE, 1 },
		{ "etc/hosts.allow", "etc/hosts", ENTRY_HARDLINK, 0 },
		{ "etc/localtime", "/usr/share/zoneinfo/UTC", ENTRY_SYMLINK, 0 },
		{ "etc/ssh", NULL, ENTRY_DIR, 0 },
		{ "etc/ssh/sshd_config", NULL, ENTRY_FILE, 0 },
		{ "etc-old", NULL, ENTRY_DIR, 1 },
		{ "run", NULL, ENTRY_DIR, 0 },
		{ "run/fifo", NULL, ENTRY_FIFO, 0 },
		{ "z \xc3\xa9t\xc3\xa9\n", NULL, ENTRY_FILE, 0 },
	};
	struct manifest *m = manifest_new(FUZZ_SETID);
	struct manifest_entry e;
	size_t n = sizeof(ents) / sizeof(ents[0]);

	if (m == NULL || manifest_set_index(m, FUZZ_SETID) != 0 ||
	    manifest_set_index(m, OLD_SETID) != 1)
		die("out of memory");
	/* Walk order: "etc" < "etc/..." < "etc-old" since '/' sorts first. */
	for (size_t i = 0; i < n && (int)i < nentries; i++) {
		memset(&e, 0, sizeof(e));
		e.path = (char *)ents[i].path;
		e.link = (char *)(ents[i].link ? ents[i].link : "");
		e.uname = i % 3 ? "root" : "";
		e.gname = i % 3 ? "wheel" : "";
		e.type = ents[i].type;
		e.mode = e.type == ENTRY_DIR ? 0755 : 0644;
		e.uid = (uint32_t)i * 1000;
		e.gid = 0;
		e.mtime_sec = 1709251199 - (int64_t)i;
		e.mtime_nsec = 999999999;
		e.ctime_sec = -1;
		e.ctime_nsec = 0;
		e.size = e.type == ENTRY_FILE ? 17 * i : 0;
		e.ino = 1000 + i;
		e.dev = 2049;
		e.rdev = e.type == ENTRY_CHR || e.type == ENTRY_BLK ? 259 : 0;
		e.flags = i == 5 ? ENTRY_CHANGED : 0;
		fill_hash(e.hash, e.path);
		e.where = e.type == ENTRY_HARDLINK ? WHERE_NONE : WHERE_PART;
		e.set = e.where == WHERE_PART ? ents[i].set : 0;
		e.part = e.where == WHERE_PART ? (uint32_t)i % 2 : 0;
		if (manifest_add(m, &e) != 0)
			die("out of memory");
	}
	return m;
}

static void
encode_manifest(struct manifest *m, struct wbuf *w)
{
	struct manifest *d;

	wbuf_init(w);
	if (manifest_encode(m, w) != 0)
		die("manifest_encode failed");
	if (manifest_decode(w->data, w->len, &d, "seed") != 0)
		die("manifest seed does not decode");
	manifest_free(d);
}

static void
manifests(void)
{
	struct manifest *m;
	struct wbuf w;

	m = manifest_new(FUZZ_SETID);
	encode_manifest(m, &w);
	seed("fuzz_manifest", "empty", w.data, w.len);
	wbuf_release(&w);
	manifest_free(m);

	m = build_manifest(1000);
	encode_manifest(m, &w);
	seed("fuzz_manifest", "tree", w.data, w.len);
	wbuf_release(&w);
	manifest_free(m);
}

/* Config and key files. */

static void
configs(void)
{
	struct repo_config c, d;
	struct wbuf w;

	memset(&c, 0, sizeof(c));
	memcpy(c.id, "0123456789abcdef", REPO_ID_LEN);
	memcpy(c.box_pk, fuzz_k.sec.box_pk, 32);
	for (uint32_t n = 1; n <= 3; n += 2) {
		c.nsigners = n;
		memcpy(c.signers[0], fuzz_k.sig.pk, 32);
		memcpy(c.signers[1], fuzz_k.other_pk, 32);
		memset(c.signers[2], 0x5a, 32);
		wbuf_init(&w);
		if (repo_config_encode(&c, &w) != 0 ||
		    repo_config_decode(w.data, w.len, &d, "seed") != 0)
			die("config seed does not decode");
		seed("fuzz_repo_config", n == 1 ? "one-signer" : "three-signers",
		    w.data, w.len);
		wbuf_release(&w);
	}
}

/* A secret key file as seckey_encode writes it, but with the cheapest
 * Argon2 limits the decoder accepts (seckey_encode always uses the
 * interactive ones, far too slow to fuzz). */
static void
cheap_seckey(struct wbuf *w)
{
	uint8_t salt[crypto_pwhash_SALTBYTES], key[32], plain[64];
	uint8_t nonce[crypto_secretbox_NONCEBYTES], ct[64 + 16];
	uint64_t ops = crypto_pwhash_OPSLIMIT_MIN;
	uint64_t mem = crypto_pwhash_MEMLIMIT_MIN;

	fill_hash(key, "salt");
	memcpy(salt, key, sizeof(salt));
	fill_hash(key, "nonce");
	memcpy(nonce, key, sizeof(nonce));
	if (crypto_pwhash(key, 32, FUZZ_PASS, strlen(FUZZ_PASS), salt, ops,
	    (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("crypto_pwhash failed");
	memcpy(plain, fuzz_k.sec.box_sk, 32);
	memcpy(plain + 32, fuzz_k.sec.sign_pk, 32);
	crypto_secretbox_easy(ct, plain, sizeof(plain), nonce, key);
	wbuf_put(w, "BKPSEC\0\0", 8);
	wbuf_u32(w, 1);
	wbuf_put(w, fuzz_k.sec.box_pk, 32);
	wbuf_put(w, salt, sizeof(salt));
	wbuf_u64(w, ops);
	wbuf_u64(w, mem);
	wbuf_put(w, nonce, sizeof(nonce));
	wbuf_put(w, ct, sizeof(ct));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(plain, sizeof(plain));
}

static void
keyfiles(void)
{
	struct bkp_pubkey pub, dpub;
	struct bkp_signkey *dsig;
	struct bkp_seckey *dsec;
	uint8_t *dkey;
	struct wbuf w;

	memcpy(pub.box_pk, fuzz_k.sec.box_pk, 32);
	memcpy(pub.sign_pk, fuzz_k.sig.pk, 32);
	wbuf_init(&w);
	if (pubkey_encode(&pub, &w) != 0 ||
	    pubkey_decode(w.data, w.len, &dpub, "seed") != 0)
		die("public key seed does not decode");
	seed("fuzz_pubkey", "repo.pub", w.data, w.len);
	wbuf_release(&w);

	wbuf_init(&w);
	if (signkey_encode(&fuzz_k.sig, &w) != 0 ||
	    signkey_decode(w.data, w.len, &dsig, "seed") != 0)
		die("signing key seed does not decode");
	signkey_free(dsig);
	seed("fuzz_signkey", "sign.key", w.data, w.len);
	wbuf_release(&w);

	wbuf_init(&w);
	cheap_seckey(&w);
	if (seckey_decode(w.data, w.len, FUZZ_PASS, strlen(FUZZ_PASS), &dsec,
	    "seed") != 0)
		die("secret key seed does not decode");
	seckey_free(dsec);
	seed("fuzz_seckey", "repo.key", w.data, w.len);
	wbuf_release(&w);

	wbuf_init(&w);
	if (datakey_seal(fuzz_k.datakey, fuzz_k.sec.box_pk, &w) != 0 ||
	    datakey_open(w.data, w.len, &fuzz_k.sec, &dkey, "seed") != 0)
		die("data key seed does not open");
	if (memcmp(dkey, fuzz_k.datakey, 32) != 0)
		die("data key seed opens to another key");
	datakey_free(dkey);
	seed("fuzz_datakey", "key", w.data, w.len);
	wbuf_release(&w);
}

/* Policies. */

static void
policies(void)
{
	static const struct {
		const char *name, *text;
	} p[] = {
		{ "minimal",
		  "[policy]\nname = home\n"
		  "[source]\npaths = /home\n"
		  "[repository]\nurl = /srv/backup\n"
		  "[keys]\npublic = repo.pub\nsigning = sign.key\n" },
		{ "full",
		  "; every key of bkp-policy(5)\n"
		  "# comments both ways\n"
		  "[policy]\n"
		  "name = servers-etc\n"
		  "\n"
		  "[source]\n"
		  "paths = /etc\n"
		  "    /srv/www\n"
		  "    /var/lib/bkp\n"
		  "exclude = *.tmp\n"
		  "    /srv/www/cache\n"
		  "one_file_system = yes\n"
		  "\n"
		  "[repository]\n"
		  "url = sftp://backup@backup.example.org:2222/srv/bkp;x\n"
		  "identity = keys/id_ed25519\n"
		  "known_hosts = /etc/bkp/known_hosts\n"
		  "\n"
		  "[keys]\n"
		  "public = /etc/bkp/repo.pub\n"
		  "signing = sign.key\n"
		  "\n"
		  "[backup]\n"
		  "part_size = 256MiB\n"
		  "compression = 19\n"
		  "threads = 0\n"
		  "\n"
		  "[retention]\n"
		  "keep_last = 24\n"
		  "keep_daily = 14\n"
		  "keep_weekly = 8\n"
		  "keep_monthly = 24\n"
		  "keep_yearly = 5\n"
		  "min_versions = 3\n"
		  "\n"
		  "[schedule]\n"
		  "full = weekly sun\n"
		  "incremental = hourly\n"
		  "window = 22:30-05:00\n"
		  "\n"
		  "[hooks]\n"
		  "pre = pg_dump -Fc db > /var/backups/db.dump\n"
		  "post = rm -f /var/backups/db.dump\n"
		  "on_failure = logger -t bkp 'backup failed; see bkp status'\n"
		  "timeout = 15m\n" },
		{ "monthly",
		  "\xef\xbb\xbf[policy]\r\nname = db\r\n"
		  "[source]\r\npaths = /var/backups\r\n"
		  "[repository]\r\nurl = /mnt/backup/db\r\n"
		  "[keys]\r\npublic = /etc/bkp/repo.pub\r\n"
		  "signing = /etc/bkp/sign.key\r\n"
		  "[schedule]\r\nfull = monthly\r\nincremental = daily\r\n"
		  "window = 01:00-05:00\r\n"
		  "[hooks]\r\ntimeout = 2h\r\n" },
		{ "errors",
		  "[policy]\nname = .bad/name\nname = twice\n"
		  "[source]\npaths = relative\nfoo = bar\n"
		  "one_file_system = maybe\n"
		  "[backup]\npart_size = 1K\ncompression = 99\n"
		  "threads = -1\n[nowhere]\nx = y\nno equals sign\n"
		  "[schedule]\nfull = weekly sunflower\nwindow = 25:00-01:00\n"
		  "[retention]\nkeep_dialy = 3\nmin_versions = 1\n"
		  "[hooks]\npre =\ntimeout = 3d\n" },
	};
	struct policy *pol;

	fprintf(stderr, "mkseeds: the policy seed 'errors' is meant to fail "
	    "to parse; its errors follow\n");
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		int rc = policy_parse(p[i].text, strlen(p[i].text), "seed",
		    &pol);

		if ((rc == 0) != (strcmp(p[i].name, "errors") != 0))
			die("policy seed does not parse as expected");
		policy_free(pol);
		seed("fuzz_policy", p[i].name, p[i].text, strlen(p[i].text));
	}
}

/* Lock objects: a shared and an exclusive one, as repolock.c writes. */
static void
locks(void)
{
	static const struct lockobj l[] = {
		{ 0, "backuphost", "backup of policy share", 4242, 1700000000,
		    1700000100, 1700000400 },
		{ 1, "h", "prune of policy db", 7, 0, 1, 1 },
	};
	char out[LOCKOBJ_MAX], name[16];
	size_t len;

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		if (lockobj_encode(&l[i], out, sizeof(out), &len) != 0)
			die("lock seed does not encode");
		snprintf(name, sizeof(name), "lock%zu", i);
		seed("fuzz_lockobj", name, out, len);
	}
}

/* Parts: a small pax archive like the ones bkp backup writes. */

static la_ssize_t
archive_to_wbuf(struct archive *a, void *arg, const void *buf, size_t n)
{
	(void)a;
	wbuf_put(arg, buf, n);
	return (la_ssize_t)n;
}

static void
add_entry(struct archive *a, const char *path, unsigned type, unsigned mode,
    const char *data, size_t size, const char *link, int hard)
{
	struct archive_entry *ae = archive_entry_new();

	if (ae == NULL)
		die("out of memory");
	archive_entry_set_pathname(ae, path);
	archive_entry_set_filetype(ae, type);
	archive_entry_set_perm(ae, mode);
	archive_entry_set_uid(ae, 1000);
	archive_entry_set_gid(ae, 100);
	archive_entry_set_uname(ae, "user");
	archive_entry_set_gname(ae, "users");
	archive_entry_set_mtime(ae, 1709251199, 123456789);
	archive_entry_set_size(ae, (la_int64_t)size);
	if (link && hard)
		archive_entry_set_hardlink(ae, link);
	else if (link)
		archive_entry_set_symlink(ae, link);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(ae, 0x0103);
	if (data && strcmp(path, "home/user/notes.txt") == 0) {
		archive_entry_xattr_add_entry(ae, "user.comment", "seed", 4);
		archive_entry_acl_add_entry(ae, ARCHIVE_ENTRY_ACL_TYPE_ACCESS,
		    ARCHIVE_ENTRY_ACL_READ, ARCHIVE_ENTRY_ACL_USER, 1001,
		    "other");
	}
	/* As bkp (no setlocale): a non-ASCII name is a warning, written with
	 * hdrcharset=BINARY. */
	if (archive_write_header(a, ae) < ARCHIVE_WARN)
		die(archive_error_string(a));
	if (data && size && archive_write_data(a, data, size) !=
	    (la_ssize_t)size)
		die(archive_error_string(a));
	archive_entry_free(ae);
}

static void
make_pax(struct wbuf *w)
{
	struct archive *a = archive_write_new();
	char longpath[300];

	snprintf(longpath, sizeof(longpath), "home/user/%0200d/long name", 0);
	wbuf_init(w);
	if (a == NULL || archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, w, NULL, archive_to_wbuf, NULL, NULL) !=
	    ARCHIVE_OK)
		die("cannot start a pax archive");
	add_entry(a, "home/", AE_IFDIR, 0755, NULL, 0, NULL, 0);
	add_entry(a, "home/user/", AE_IFDIR, 0700, NULL, 0, NULL, 0);
	add_entry(a, "home/user/notes.txt", AE_IFREG, 0644,
	    "hello, restore\n", 15, NULL, 0);
	add_entry(a, "home/user/link", AE_IFLNK, 0777, NULL, 0, "notes.txt",
	    0);
	add_entry(a, "home/user/hard", AE_IFREG, 0644, NULL, 0,
	    "home/user/notes.txt", 1);
	add_entry(a, "home/user/fifo", AE_IFIFO, 0600, NULL, 0, NULL, 0);
	add_entry(a, "home/user/tty", AE_IFCHR, 0620, NULL, 0, NULL, 0);
	add_entry(a, longpath, AE_IFREG, 0600, "x", 1, NULL, 0);
	add_entry(a, "home/user/\xc3\xa9t\xc3\xa9", AE_IFREG, 0600, "", 0,
	    NULL, 0);
	if (archive_write_close(a) != ARCHIVE_OK)
		die(archive_error_string(a));
	archive_write_free(a);
}

static uint8_t *
zstd_compress(const void *p, size_t n, size_t *outlen)
{
	struct ostream *mem = ostream_memory_new(), *z;
	uint8_t *out;

	z = ostream_zstd_new(mem, 3, 0);
	if (z == NULL || ostream_write(z, p, n) != 0 || ostream_close(z) != 0)
		die("zstd failed");
	out = ostream_memory_take(mem, outlen);
	ostream_free(z);
	return out;
}

/* The object as setwriter stores it: zstd -> encrypt -> memory. */
static uint8_t *
encrypt_object(const char *magic, uint64_t index, const void *p, size_t n,
    size_t *outlen)
{
	struct ostream *mem = ostream_memory_new(), *os;
	uint8_t subkey[32], ad[DATAKEY_AD_LEN], *out;

	fuzz_object_key(index, subkey, ad);
	os = ostream_zstd_new(ostream_encrypt_new(mem, magic, subkey, ad,
	    sizeof(ad)), 3, 0);
	if (os == NULL || ostream_write(os, p, n) != 0 ||
	    ostream_close(os) != 0)
		die("encryption failed");
	out = ostream_memory_take(mem, outlen);
	ostream_free(os);
	return out;
}

/* Reads an object back as fuzz_object does; the plaintext must be p. */
static void
check_object(const char *magic, uint64_t index, const uint8_t *obj,
    size_t objlen, const void *p, size_t n)
{
	uint8_t subkey[32], ad[DATAKEY_AD_LEN], *buf = malloc(n + 1);
	struct istream *is;

	fuzz_object_key(index, subkey, ad);
	is = istream_zstd_new(istream_decrypt_new(istream_memory_new(obj,
	    objlen), magic, subkey, ad, sizeof(ad), "seed"));
	if (is == NULL || buf == NULL || istream_read_full(is, buf, n) != 0 ||
	    memcmp(buf, p, n) != 0 || istream_read_full(is, buf, 1) == 0)
		die("object seed does not read back");
	istream_free(is);
	free(buf);
}

/* One frame for fuzz_frames_encrypt. */
static void
frame(struct wbuf *w, uint8_t flags, const void *p, size_t n)
{
	wbuf_u8(w, flags);
	wbuf_u8(w, (uint8_t)n);
	wbuf_u8(w, (uint8_t)(n >> 8));
	wbuf_put(w, p, n);
}

static void
objects(void)
{
	struct wbuf pax, frames, mw;
	struct manifest *m;
	uint8_t *z, *obj, skip[8];
	size_t zlen, objlen;

	make_pax(&pax);
	z = zstd_compress(pax.data, pax.len, &zlen);
	seed_ctl("fuzz_zstd_tar", "zstd-pax", 0x00, z, zlen);
	seed_ctl("fuzz_zstd_tar", "zstd-pax-7", 0x04, z, zlen);
	seed_ctl("fuzz_zstd_tar", "pax", 0x01, pax.data, pax.len);

	/* Parts, as stored and as frames. */
	obj = encrypt_object(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0), pax.data,
	    pax.len, &objlen);
	check_object(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0), obj, objlen,
	    pax.data, pax.len);
	seed_ctl("fuzz_object", "part", 0x00, obj, objlen);
	seed_ctl("fuzz_object", "part-read-3", 0x08, obj, objlen);
	seed_ctl("fuzz_object", "part-thread", 0x80, obj, objlen);
	seed_ctl("fuzz_object", "part-seal-short", 0x20, obj, objlen);
	seed_ctl("fuzz_object", "part-seal-long", 0x40, obj, objlen);
	seed_ctl("fuzz_object", "part-seal-hash", 0x60, obj, objlen);
	free(obj);
	obj = encrypt_object(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0), "", 0,
	    &objlen);
	check_object(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0), obj, objlen, "", 0);
	seed_ctl("fuzz_object", "part-empty", 0x00, obj, objlen);
	free(obj);

	wbuf_init(&frames);
	frame(&frames, 3, z, zlen);
	obj = fuzz_frames_encrypt(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0),
	    frames.data, frames.len, &objlen);
	check_object(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0), obj, objlen,
	    pax.data, pax.len);
	free(obj);
	seed_ctl("fuzz_object", "part-framed", 0x01, frames.data, frames.len);
	wbuf_release(&frames);

	/* Two chunks: a full one holding a zstd skippable frame (zeros),
	 * then the final one. */
	put_le32(skip, 0x184D2A50);
	put_le32(skip + 4, STREAM_CHUNK - 8);
	wbuf_init(&frames);
	frame(&frames, 0 | FRAME_PAD, skip, sizeof(skip));
	frame(&frames, 3, z, zlen);
	obj = fuzz_frames_encrypt(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0),
	    frames.data, frames.len, &objlen);
	check_object(FUZZ_PART_MAGIC, DATAKEY_OBJ_PART(0), obj, objlen,
	    pax.data, pax.len);
	free(obj);
	seed_ctl("fuzz_object", "part-framed-2-chunks", 0x01, frames.data,
	    frames.len);
	wbuf_release(&frames);
	free(z);

	/* Manifests. */
	m = build_manifest(1000);
	encode_manifest(m, &mw);
	manifest_free(m);
	obj = encrypt_object(FUZZ_MANIFEST_MAGIC, DATAKEY_OBJ_MANIFEST,
	    mw.data, mw.len, &objlen);
	check_object(FUZZ_MANIFEST_MAGIC, DATAKEY_OBJ_MANIFEST, obj, objlen,
	    mw.data, mw.len);
	seed_ctl("fuzz_object", "manifest", 0x02, obj, objlen);
	free(obj);
	z = zstd_compress(mw.data, mw.len, &zlen);
	wbuf_init(&frames);
	frame(&frames, 3, z, zlen);
	seed_ctl("fuzz_object", "manifest-framed", 0x03, frames.data,
	    frames.len);
	wbuf_release(&frames);
	free(z);
	wbuf_release(&mw);
	wbuf_release(&pax);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
		die("cannot create the output directory");
	fuzz_init();
	seals();
	manifests();
	configs();
	keyfiles();
	policies();
	locks();
	objects();
	return 0;
}
