// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer harness over the option values that take free text: PID lists,
 * --class overrides, cgroup cpu.max contents, --web-config's YAML and
 * --serve's gate (the first bytes of a connection). argp itself exits on a
 * usage error, so its callbacks' parsers are driven directly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "classify.h"
#include "options.h"
#include "cgroup.h"
#include "serve_gate.h"
#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct class_overrides ov = { 0 };
	struct options o;
	struct webconfig w;
	const char *why;
	char err[256];
	char *s = malloc(size + 1);
	int i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&o, 0, sizeof(o));
	if (parse_pid_list(s, &o, err, sizeof(err)) == 0)
		for (i = 0; i < o.npids; i++)
			if (o.pids[i] <= 0)
				abort(); /* accepted a PID that is not positive */
	class_override_add(&ov, s, &why);
	(void)parse_cpu_max(s);
	if (webconfig_parse((const char *)data, size, &w, err, sizeof(err)) == 0)
		webconfig_free(&w);
	(void)gate_judge(data, size, false);
	(void)gate_judge(data, size, true);
	free(s);
	return 0;
}
