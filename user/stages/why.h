/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef WHY_H
#define WHY_H

#include <stdbool.h>
#include "account.h"
#include "tracer.h"
#include "options.h"
#include "stacks.h"
#include "timeline.h"

/* Why it blocked: call sites (--stacks, --folded) and the timeline (--timeline, --svg). */
struct why {
	bool stacks_on, timeline_on;
	struct stacks stacks;
	struct timeline timeline;
};

/* Asks the tracer for what the options need and hooks the account. */
void why_setup(struct why *w, const struct options *o, struct account *a,
	       struct tracer_config *cfg);
/* The window opens on these targets; the tracer's maps are there to read. */
void why_start(struct why *w, uint64_t t0_ns, struct tracer *t, const pid_t *pids, int npids);
/*
 * At the end of the trace, while the targets still live: names the stacks,
 * writes the folded stacks, the timeline and the picture. -1 with err set.
 */
int why_finish(struct why *w, const struct options *o, struct tracer *t, const struct account *a,
	       uint64_t end_ns, char *err, size_t errlen);
void why_free(struct why *w);

#endif
