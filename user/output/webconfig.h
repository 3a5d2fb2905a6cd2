/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --web-config=FILE: TLS and basic auth for --serve, from the web-config file
 * of Prometheus's exporters (the exporter-toolkit format):
 *
 *   tls_server_config:
 *     cert_file: server.crt        # PEM, relative to the file's directory
 *     key_file: server.key
 *     min_version: VersionTLS12    # or VersionTLS13; never below 1.2
 *   basic_auth_users:
 *     prometheus: $2y$10$...       # bcrypt hashes
 *
 * Loading reads and checks everything (the YAML, the certificate and its key,
 * each hash), so a bad file is an error before anything is traced.
 */
#ifndef WEBCONFIG_H
#define WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct webconfig_user {
	char *name;
	char *hash;		 /* bcrypt, "$2y$NN$..." */
	unsigned char name_mac[32]; /* HMAC of the name: compared in constant time */
	unsigned char ok_mac[32];   /* HMAC of the last password that matched */
	bool ok_cached;
};

struct webconfig {
	/* From the YAML (webconfig_parse). */
	char *cert_file, *key_file; /* as written, or NULL */
	int min_tls, max_tls;	    /* 12 or 13; max 0: no maximum */
	bool server_precedence;
	struct webconfig_user *users;
	size_t nusers;
	/* From the files (webconfig_load). */
	char *cert_pem, *key_pem; /* NUL-terminated; key_pem wiped once loaded */
	char priorities[96];	  /* GnuTLS priority string */
	unsigned char mac_key[32];
};

/*
 * Parses the YAML text into w (zeroed first). Returns 0, or -1 with one line
 * in err ("line N: ..." where the YAML says where). Reads no file.
 */
int webconfig_parse(const char *text, size_t len, struct webconfig *w, char *err, size_t errlen);

/*
 * Reads FILE, parses it, reads and checks the certificate and key (relative
 * paths from FILE's directory) and the hashes. Returns 0, or -1 with one line
 * in err naming the file.
 */
int webconfig_load(const char *path, struct webconfig *w, char *err, size_t errlen);

void webconfig_free(struct webconfig *w);

static inline bool webconfig_tls(const struct webconfig *w)
{
	return w && w->cert_pem;
}

static inline bool webconfig_auth(const struct webconfig *w)
{
	return w && w->nusers > 0;
}

/* Wipes and frees the private key, once the TLS library has its copy. */
void webconfig_forget_key(struct webconfig *w);

/*
 * Basic auth: true if user and password match one of the users. Takes the
 * same time whether the name exists or not (one bcrypt either way); a
 * password that matched before is recognised by its HMAC, without bcrypt.
 * Not thread-safe (the cache): call from one thread.
 */
bool webconfig_check(struct webconfig *w, const char *user, const char *password);

#endif
