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
};

/* From a group's name, its process's name (comm) and runtime (enum process_runtime). */
void pool_setting_of(const char *group, const char *process_comm, uint8_t runtime,
		     struct pool_setting *out);
/* The same for a group of the account: its first thread's process says the name and runtime. */
void group_setting(const struct account *a, const char *group, struct pool_setting *out);

#endif
