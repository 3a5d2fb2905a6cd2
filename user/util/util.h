/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads, so both sides agree. */
uint64_t monotonic_ns(void);

/*
 * a - b, or 0 when b is ahead: counters read at two moments may be a little
 * out of step (a snapshot taken while the thread was counting).
 */
static inline uint64_t sub_clamped(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * The index of the first of the n sorted elements that cmp finds equal to
 * key, or n if none: where a run of equal elements starts (bsearch lands on
 * any of them).
 */
size_t sorted_first(const void *key, const void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *));

/*
 * An array that doubles as it fills, with room for element n: v itself
 * while n < *cap, else v grown to twice *cap (first when empty) and *cap
 * raised. NULL when out of memory, v then still valid and *cap unchanged:
 *	struct x *v = array_room(s->v, s->n, &s->cap, 16, sizeof(*v));
 *	if (!v) return -1;
 *	s->v = v;
 */
void *array_room(void *v, size_t n, size_t *cap, size_t first, size_t size);

/* "1.25 ms"-style rendering of a duration. */
const char *format_ns(uint64_t ns, char *buf, size_t len);
/* The same with its sign: "+1.25 ms", "-3 ns". */
const char *signed_ns(int64_t ns, char *buf, size_t len);

#endif
