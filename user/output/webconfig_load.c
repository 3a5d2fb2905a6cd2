// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --web-config, the files and the checks: loading the file and the PEM
 * files it names, checking the certificate and key with GnuTLS, and a
 * password against the bcrypt hashes (webconfig.c parses the YAML).
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include "webconfig.h"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One line into err; returns -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A web-config file, a certificate chain or a key larger than this is a mistake. */
#define MAX_FILE_BYTES (1 << 20)

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(MAX_FILE_BYTES + 1);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
	if (ferror(f) || n > MAX_FILE_BYTES) {
		int e = ferror(f) ? errno : EFBIG;

		fclose(f);
		explicit_bzero(buf, MAX_FILE_BYTES + 1);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* dir of base + name, unless name is absolute. */
static char *beside(const char *base, const char *name)
{
	const char *slash = strrchr(base, '/');
	char *out;

	if (name[0] == '/' || !slash)
		return strdup(name);
	if (asprintf(&out, "%.*s/%s", (int)(slash - base), base, name) < 0)
		return NULL;
	return out;
}

static int load_pem(const char *config, const char *name, const char *what, char **pem,
		    char *err, size_t errlen)
{
	char *path = beside(config, name);
	size_t len;

	if (!path)
		return fail(err, errlen, "out of memory");
	*pem = read_file(path, &len);
	if (!*pem) {
		fail(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
		free(path);
		return -1;
	}
	if (strlen(*pem) != len) {
		fail(err, errlen, "%s '%s' is not a PEM file", what, path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int check_tls(struct webconfig *w, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c = { (unsigned char *)w->cert_pem, (unsigned)strlen(w->cert_pem) };
	gnutls_datum_t k = { (unsigned char *)w->key_pem, (unsigned)strlen(w->key_pem) };
	gnutls_priority_t prio;
	const char *where = NULL;
	int rc;

	snprintf(w->priorities, sizeof(w->priorities), "NORMAL:-VERS-ALL%s%s%s",
		 (!w->max_tls || w->max_tls >= 13) ? ":+VERS-TLS1.3" : "",
		 w->min_tls <= 12 ? ":+VERS-TLS1.2" : "",
		 w->server_precedence ? ":%SERVER_PRECEDENCE" : "");
	rc = gnutls_priority_init(&prio, w->priorities, &where);
	if (rc < 0)
		return fail(err, errlen, "TLS settings '%s': %s", w->priorities,
			       gnutls_strerror(rc));
	gnutls_priority_deinit(prio);
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return fail(err, errlen, "out of memory");
	/* Parses both and checks that the key is the certificate's. */
	rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0)
		return fail(err, errlen, "certificate '%s' and key '%s': %s", w->cert_file,
			       w->key_file, gnutls_strerror(rc));
	return 0;
}

static void mac(const struct webconfig *w, const char *s, unsigned char out[32])
{
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, w->mac_key, sizeof(w->mac_key), s, strlen(s), out);
}

int webconfig_load(const char *path, struct webconfig *w, char *err, size_t errlen)
{
	char why[400];
	char *text;
	size_t len, i;

	memset(w, 0, sizeof(*w));
	text = read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read --web-config '%s': %s", path, strerror(errno));
		return -1;
	}
	if (webconfig_parse(text, len, w, why, sizeof(why))) {
		free(text);
		snprintf(err, errlen, "invalid --web-config '%s': %s", path, why);
		return -1;
	}
	free(text);
	if (w->cert_file &&
	    (load_pem(path, w->cert_file, "certificate", &w->cert_pem, why, sizeof(why)) ||
	     load_pem(path, w->key_file, "key", &w->key_pem, why, sizeof(why)) ||
	     check_tls(w, why, sizeof(why)))) {
		snprintf(err, errlen, "invalid --web-config '%s': %s", path, why);
		webconfig_free(w);
		return -1;
	}
	if (getrandom(w->mac_key, sizeof(w->mac_key), 0) != (ssize_t)sizeof(w->mac_key)) {
		snprintf(err, errlen, "cannot read random bytes: %s", strerror(errno));
		webconfig_free(w);
		return -1;
	}
	for (i = 0; i < w->nusers; i++)
		mac(w, w->users[i].name, w->users[i].name_mac);
	return 0;
}

void webconfig_forget_key(struct webconfig *w)
{
	if (w && w->key_pem) {
		explicit_bzero(w->key_pem, strlen(w->key_pem));
		free(w->key_pem);
		w->key_pem = NULL;
	}
}

void webconfig_free(struct webconfig *w)
{
	size_t i;

	if (!w)
		return;
	webconfig_forget_key(w);
	for (i = 0; i < w->nusers; i++) {
		free(w->users[i].name);
		free(w->users[i].hash);
	}
	free(w->users);
	free(w->cert_file);
	free(w->key_file);
	free(w->cert_pem);
	explicit_bzero(w->mac_key, sizeof(w->mac_key));
	memset(w, 0, sizeof(*w));
}

/* Nonzero unless equal; the time depends on n alone. */
static unsigned differs(const unsigned char *a, const unsigned char *b, size_t n)
{
	volatile unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d;
}

bool webconfig_check(struct webconfig *w, const char *user, const char *password)
{
	unsigned char umac[32], pmac[32];
	struct webconfig_user *found = NULL;
	struct crypt_data *cd;
	const char *out;
	size_t i;
	bool ok;

	if (!w || !w->nusers || !user || !password)
		return false;
	mac(w, user, umac);
	/* Every user is looked at: the time does not say where a name is. */
	for (i = 0; i < w->nusers; i++)
		if (!differs(umac, w->users[i].name_mac, sizeof(umac)) && !found)
			found = &w->users[i];
	mac(w, password, pmac);
	if (found && found->ok_cached && !differs(pmac, found->ok_mac, sizeof(pmac)))
		return true;
	/* An unknown name costs a bcrypt too, against the first user's hash. */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	out = crypt_rn(password, found ? found->hash : w->users[0].hash, cd, sizeof(*cd));
	ok = out && found && strlen(out) == strlen(found->hash) &&
	     !differs((const unsigned char *)out, (const unsigned char *)found->hash,
		      strlen(found->hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	if (ok) {
		memcpy(found->ok_mac, pmac, sizeof(pmac));
		found->ok_cached = true;
	}
	return ok;
}
