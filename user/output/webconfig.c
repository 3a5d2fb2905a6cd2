// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --web-config: the exporter-toolkit's web-config file, read with libyaml,
 * its certificate and key checked with GnuTLS (the library libmicrohttpd
 * serves TLS with), its bcrypt hashes checked with libcrypt.
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
#include <yaml.h>
#include "webconfig.h"

/* A web-config file, a certificate chain or a key larger than this is a mistake. */
#define MAX_FILE_BYTES (1 << 20)
#define MAX_USERS 1024

static int fail_at(char *err, size_t errlen, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(char *err, size_t errlen, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int off = 0;

	if (n)
		off = snprintf(err, errlen, "line %zu: ", n->start_mark.line + 1);
	if (off < 0 || (size_t)off >= errlen)
		off = 0;
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar with no NUL inside (YAML can carry one), or NULL. */
static const char *text_scalar(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && strlen(s) == n->data.scalar.length ? s : NULL;
}

static int set_string(char **dst, const yaml_node_t *v, const char *key, char *err,
		      size_t errlen)
{
	const char *s = text_scalar(v);

	if (!s || !*s)
		return fail_at(err, errlen, v, "%s: expected a file name", key);
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : fail_at(err, errlen, NULL, "out of memory");
}

static int parse_bool(const yaml_node_t *v, const char *key, bool *out, char *err,
		      size_t errlen)
{
	const char *s = text_scalar(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
		*out = false;
	else
		return fail_at(err, errlen, v, "%s: expected true or false", key);
	return 0;
}

static int parse_version(const yaml_node_t *v, const char *key, int *out, char *err,
			 size_t errlen)
{
	const char *s = text_scalar(v);

	if (s && !strcmp(s, "VersionTLS12"))
		*out = 12;
	else if (s && !strcmp(s, "VersionTLS13"))
		*out = 13;
	else if (s && (!strcmp(s, "VersionTLS10") || !strcmp(s, "VersionTLS11")))
		return fail_at(err, errlen, v, "%s: %s is not served: TLS 1.2 is the minimum", key,
			       s);
	else
		return fail_at(err, errlen, v, "%s: expected VersionTLS12 or VersionTLS13", key);
	return 0;
}

/* Keys of a mapping must not repeat: a second cert_file would win silently. */
static int check_unique(yaml_document_t *doc, yaml_node_t *map, yaml_node_pair_t *pair,
			char *err, size_t errlen)
{
	const char *k = scalar(yaml_document_get_node(doc, pair->key));
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		const char *o = scalar(yaml_document_get_node(doc, p->key));

		if (o && k && !strcmp(o, k))
			return fail_at(err, errlen, yaml_document_get_node(doc, pair->key),
				       "'%s' given twice", k);
	}
	return 0;
}

static int parse_tls(yaml_document_t *doc, yaml_node_t *map, struct webconfig *w, char *err,
		     size_t errlen)
{
	yaml_node_pair_t *pair;

	if (map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
		return 0; /* "tls_server_config:" with nothing under it */
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(err, errlen, map, "tls_server_config: expected a mapping");
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(doc, pair->value);
		const char *k = scalar(kn);

		if (!k)
			return fail_at(err, errlen, kn, "tls_server_config: expected key: value");
		if (check_unique(doc, map, pair, err, errlen))
			return -1;
		if (!strcmp(k, "cert_file")) {
			if (set_string(&w->cert_file, v, k, err, errlen))
				return -1;
		} else if (!strcmp(k, "key_file")) {
			if (set_string(&w->key_file, v, k, err, errlen))
				return -1;
		} else if (!strcmp(k, "min_version")) {
			if (parse_version(v, k, &w->min_tls, err, errlen))
				return -1;
		} else if (!strcmp(k, "max_version")) {
			if (parse_version(v, k, &w->max_tls, err, errlen))
				return -1;
		} else if (!strcmp(k, "prefer_server_cipher_suites")) {
			if (parse_bool(v, k, &w->server_precedence, err, errlen))
				return -1;
		} else if (!strcmp(k, "client_auth_type")) {
			const char *s = text_scalar(v);

			if (!s || (*s && strcmp(s, "NoClientCert")))
				return fail_at(err, errlen, v,
					       "client_auth_type: only NoClientCert is supported "
					       "(blockscope does not check client certificates)");
		} else if (!strcmp(k, "client_ca_file") || !strcmp(k, "cipher_suites") ||
			   !strcmp(k, "curve_preferences") || !strcmp(k, "client_allowed_sans") ||
			   !strcmp(k, "cert") || !strcmp(k, "key")) {
			return fail_at(err, errlen, kn, "tls_server_config: %s is not supported by blockscope", k);
		} else {
			return fail_at(err, errlen, kn,
				       "tls_server_config: unknown key '%s' (expected cert_file, "
				       "key_file, min_version, max_version)",
				       k);
		}
	}
	if (!w->cert_file != !w->key_file)
		return fail_at(err, errlen, map, "tls_server_config: give both cert_file and key_file");
	if (!w->cert_file)
		return fail_at(err, errlen, map, "tls_server_config: cert_file and key_file are missing");
	if (w->max_tls && w->min_tls > w->max_tls)
		return fail_at(err, errlen, map, "tls_server_config: min_version is above max_version");
	return 0;
}

/* $2a$, $2b$ or $2y$, a two-digit cost, 53 characters of salt and hash. */
static bool bcrypt_shaped(const char *h)
{
	size_t i;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || !h[2] ||
	    h[3] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	for (i = 7; i < 60; i++)
		if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", h[i]))
			return false;
	return true;
}

static int parse_users(yaml_document_t *doc, yaml_node_t *map, struct webconfig *w, char *err,
		       size_t errlen)
{
	yaml_node_pair_t *pair;
	size_t n;

	if (map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(err, errlen, map, "basic_auth_users: expected user: bcrypt-hash lines");
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (n > MAX_USERS)
		return fail_at(err, errlen, map, "basic_auth_users: more than %d users", MAX_USERS);
	w->users = calloc(n ? n : 1, sizeof(*w->users));
	if (!w->users)
		return fail_at(err, errlen, NULL, "out of memory");
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(doc, pair->value);
		const char *user = text_scalar(kn), *hash = text_scalar(v);
		struct webconfig_user *u;

		if (!user || !*user)
			return fail_at(err, errlen, kn, "basic_auth_users: expected a user name");
		if (strchr(user, ':'))
			return fail_at(err, errlen, kn,
				       "basic_auth_users: '%s': a user name cannot hold ':'", user);
		if (check_unique(doc, map, pair, err, errlen))
			return -1;
		if (!hash || !bcrypt_shaped(hash) || crypt_checksalt(hash) != CRYPT_SALT_OK)
			return fail_at(err, errlen, v,
				       "basic_auth_users: the hash of '%s' is not a bcrypt hash "
				       "($2y$, $2b$ or $2a$, cost 04 to 31, 60 characters)",
				       user);
		if (atoi(hash + 4) < 4 || atoi(hash + 4) > 31)
			return fail_at(err, errlen, v, "basic_auth_users: the cost of '%s' is not 04 to 31",
				       user);
		u = &w->users[w->nusers++];
		u->name = strdup(user);
		u->hash = strdup(hash);
		if (!u->name || !u->hash)
			return fail_at(err, errlen, NULL, "out of memory");
	}
	return 0;
}

static int parse_http(yaml_document_t *doc, yaml_node_t *map, char *err, size_t errlen)
{
	yaml_node_pair_t *pair;

	if (map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(err, errlen, map, "http_server_config: expected a mapping");
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
		const char *k = scalar(kn);
		bool http2;

		/* HTTP/2 is only ever offered: HTTP/1.1 is what Prometheus falls back to. */
		if (k && !strcmp(k, "http2")) {
			if (parse_bool(yaml_document_get_node(doc, pair->value), k, &http2, err,
				       errlen))
				return -1;
		} else {
			return fail_at(err, errlen, kn,
				       "http_server_config: %s%s%s is not supported by blockscope",
				       k ? "'" : "", k ? k : "this key", k ? "'" : "");
		}
	}
	return 0;
}

int webconfig_parse(const char *text, size_t len, struct webconfig *w, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *pair;
	bool seen_tls = false, seen_users = false, seen_http = false;
	int rc = -1;

	memset(w, 0, sizeof(*w));
	w->min_tls = 12;
	if (!yaml_parser_initialize(&parser))
		return fail_at(err, errlen, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		fail_at(err, errlen, NULL, "line %zu: not valid YAML: %s",
			parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
		rc = 0; /* an empty file: plain HTTP, no auth, as the exporters take it */
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		fail_at(err, errlen, root,
			"expected tls_server_config, basic_auth_users or http_server_config");
		goto out;
	}
	for (pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(&doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
		const char *k = scalar(kn);

		if (k && !strcmp(k, "tls_server_config") && !seen_tls) {
			seen_tls = true;
			if (parse_tls(&doc, v, w, err, errlen))
				goto out;
		} else if (k && !strcmp(k, "basic_auth_users") && !seen_users) {
			seen_users = true;
			if (parse_users(&doc, v, w, err, errlen))
				goto out;
		} else if (k && !strcmp(k, "http_server_config") && !seen_http) {
			seen_http = true;
			if (parse_http(&doc, v, err, errlen))
				goto out;
		} else if (k && (!strcmp(k, "tls_server_config") || !strcmp(k, "basic_auth_users") ||
				 !strcmp(k, "http_server_config"))) {
			fail_at(err, errlen, kn, "'%s' given twice", k);
			goto out;
		} else {
			fail_at(err, errlen, kn,
				"unknown key '%s' (expected tls_server_config, basic_auth_users or "
				"http_server_config)",
				k ? k : "?");
			goto out;
		}
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc)
		webconfig_free(w);
	return rc;
}

/* The whole file, NUL-terminated; NULL with errno set. */
