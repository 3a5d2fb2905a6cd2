/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef REPORT_BUSY_H
#define REPORT_BUSY_H

#include <json-c/json.h>
#include <stdio.h>
#include "occupancy.h"
#include "setting.h"
#include "sizing.h"

/*
 * Demand beside capacity, for the text report: under a pool's formula line,
 * how many of its threads were busy, how often all were, and what its jobs
 * cost (occupancy.c).
 */
void report_busy_text(FILE *out, const struct sizing *s, const struct occupancy *o);
/* The JSON sizing group's keys (busy_threads, all_busy_share, jobs...). */
void report_busy_json(json_object *group, const struct sizing *s, const struct occupancy *o);
/* "setting: ..., now N threads" under a pool's size, and its JSON "setting". */
void report_setting_text(FILE *out, const struct sizing *s, const struct pool_setting *p);
void report_setting_json(json_object *group, const struct sizing *s, const struct pool_setting *p);
/* What the sizing would say if every job waited as long as the jobs' p99 WT (0: unknown). */
double busy_p99_ratio(const struct occupancy *o);

#endif
