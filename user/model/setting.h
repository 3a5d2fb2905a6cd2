/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SETTING_H
#define SETTING_H

#include <stdint.h>
#include "account.h"

/*
 * Which setting of its runtime a pool's size is (issue 26, point 4): the
 * number the report recommends is for a person to put somewhere, and where
 * depends on the runtime and the pool, told by the group's name, its
 * process's name and runtime.
 */
struct pool_setting {
	const char *runtime; /* "tomcat", "jvm", "gunicorn", "node", "go", "apache", ..., "native" */
	const char *name;    /* what to change, for a person */
	const char *unit;    /* what the current value counts: "threads" or "processes" */
	/*
	 * Where the process says what it is set to (group_setting(), empty if
	 * nowhere): "UV_THREADPOOL_SIZE=3 in its environment", "--workers 4 on
	 * its command line", or that it is not set and what that means.
	 */
	char source[96];
};

/* From a group's name, its process's name (comm) and runtime (enum process_runtime). */
void pool_setting_of(const char *group, const char *process_comm, uint8_t runtime,
		     struct pool_setting *out);
/* The same for a group of the account: its first thread's process says the name and runtime. */
void group_setting(const struct account *a, const char *group, struct pool_setting *out);
/*
 * out->source from a process's pool-setting variables and command line
 * (process_stats' settings_env and settings_cmdline: NUL-separated words,
 * an empty one ending them; NULL: not read).
 */
void pool_setting_source(struct pool_setting *out, const char *env, const char *cmdline);

#endif
