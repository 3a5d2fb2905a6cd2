// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --web-config's parser, its password check, and the gate's judge of first bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "serve_gate.h"
#include "webconfig.h"

/* bcrypt of "s3cret", cost 4 (python3 crypt, $2b$ written as $2y$). */
#define HASH "$2y$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG"

static int parse(const char *yaml, struct webconfig *w, char *err)
{
	return webconfig_parse(yaml, strlen(yaml), w, err, 300);
}

static void parses_the_exporters_format(void **state)
{
	struct webconfig w;
	char err[300] = "";

	(void)state;
	assert_int_equal(parse("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n"
			       "  min_version: VersionTLS13\n"
			       "basic_auth_users:\n  prometheus: '" HASH "'\n  alice: " HASH "\n"
			       "http_server_config:\n  http2: false\n",
			       &w, err),
			 0);
	assert_string_equal(w.cert_file, "a.crt");
	assert_string_equal(w.key_file, "a.key");
	assert_int_equal(w.min_tls, 13);
	assert_int_equal(w.nusers, 2);
	assert_string_equal(w.users[1].name, "alice");
	webconfig_free(&w);
	assert_int_equal(parse("", &w, err), 0); /* empty: plain HTTP, no auth */
	assert_false(webconfig_auth(&w));
	webconfig_free(&w);
}

static void refuses_with_a_line(void **state)
{
	static const struct {
		const char *yaml, *says;
	} bad[] = {
		{ "tls_server_config: [", "not valid YAML" },
		{ "tls_config:\n  cert_file: a\n", "line 1: unknown key 'tls_config'" },
		{ "tls_server_config:\n  cert_file: a.crt\n", "give both cert_file and key_file" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: VersionTLS10\n",
		  "TLS 1.2 is the minimum" },
		{ "tls_server_config:\n  cert_file: a\n  cert_file: b\n  key_file: c\n", "line 3: 'cert_file' given twice" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n",
		  "only NoClientCert" },
		{ "basic_auth_users:\n  u: plaintext\n", "line 2: basic_auth_users: the hash of 'u' is not a bcrypt hash" },
		{ "basic_auth_users:\n  u: '$1$abc$abcdefghijklmnopqrstuv'\n", "not a bcrypt hash" },
		{ "basic_auth_users:\n  'a:b': '" HASH "'\n", "cannot hold ':'" },
		{ "basic_auth_users: [x]\n", "expected user: bcrypt-hash lines" },
		{ "http_server_config:\n  headers:\n    X: y\n", "'headers' is not supported" },
		{ "- a\n- b\n", "expected tls_server_config" },
	};
	struct webconfig w;
	char err[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i].yaml, &w, err) != -1 || !strstr(err, bad[i].says))
			fail_msg("'%s': got '%s', expected '%s'", bad[i].yaml, err, bad[i].says);
		assert_null(strchr(err, '\n'));
	}
}

static void checks_passwords(void **state)
{
	char path[] = "/tmp/webconfig-unit-XXXXXX";
	struct webconfig w;
	char err[600];
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "basic_auth_users:\n  prometheus: '%s'\n  alice: '%s'\n", HASH, HASH);
	fclose(f);
	assert_int_equal(webconfig_load(path, &w, err, sizeof(err)), 0);
	unlink(path);
	assert_true(webconfig_check(&w, "prometheus", "s3cret"));
	assert_true(webconfig_check(&w, "prometheus", "s3cret")); /* from the cache */
	assert_false(webconfig_check(&w, "prometheus", "s3cre"));
	assert_false(webconfig_check(&w, "prometheus", "s3cretX"));
	assert_false(webconfig_check(&w, "prometheus", ""));
	assert_false(webconfig_check(&w, "nobody", "s3cret"));
	assert_false(webconfig_check(&w, "Prometheus", "s3cret"));
	assert_true(webconfig_check(&w, "alice", "s3cret"));
	assert_false(webconfig_check(&w, NULL, "s3cret"));
	webconfig_free(&w);
}

static void judges_first_bytes(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		enum gate_verdict v;
	} cases[] = {
#define C(s, v) { s, sizeof(s) - 1, v }
		C("GET /metrics HTTP/1.1\r\n", GATE_PASS),
		C("\r\nGET / HTTP/1.0\n", GATE_PASS),
		C("GET /metr", GATE_MORE),
		C("", GATE_MORE),
		C("GET / HTTP/1.", GATE_MORE),
		C("FOO /x HTTP/1.1\r\n", GATE_PASS), /* MHD answers 405 */
		C("\0\0\0\0", GATE_BAD),
		C("\0\0\r\n\r\n", GATE_BAD),
		C("hello\r\n\r\n", GATE_BAD),
		C("GET  / HTTP/1.1\r\n", GATE_BAD),
		C("GET /\0 HTTP/1.1\r\n", GATE_BAD),
		C("GET / HTTP/X.1\r\n", GATE_BAD),
		C("GET / HTTP/1.1x", GATE_BAD),
		C("GET / HTTP/1.1\r\r", GATE_BAD),
		C("\x16\x03\x01\x00", GATE_BAD),
#undef C
	};
	unsigned char big[GATE_PEEK];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (gate_judge((const unsigned char *)cases[i].bytes, cases[i].len, false) != cases[i].v)
			fail_msg("case %zu: '%s'", i, cases[i].bytes);
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', sizeof(big) - 5);
	assert_int_equal(gate_judge(big, sizeof(big), false), GATE_TOO_LONG);
	assert_int_equal(gate_judge((const unsigned char *)"\x16\x03", 2, true), GATE_PASS);
	assert_int_equal(gate_judge((const unsigned char *)"GET / HTTP/1.1\r\n", 16, true), GATE_NOT_TLS);
	assert_int_equal(gate_judge(big, 0, true), GATE_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_the_exporters_format),
		cmocka_unit_test(refuses_with_a_line),
		cmocka_unit_test(checks_passwords),
		cmocka_unit_test(judges_first_bytes),
	};

	return cmocka_run_group_tests_name("webconfig", tests, NULL, NULL);
}
