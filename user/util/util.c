// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Small helpers every layer uses: the clock, growing arrays, the rendering of durations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "util.h"

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void *array_room(void *v, size_t n, size_t *cap, size_t first, size_t size)
{
	size_t want;
	void *grown;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : first;
	if (!want || !size || want < *cap || want > SIZE_MAX / size)
		return NULL;
	grown = realloc(v, want * size);
	if (grown)
		*cap = want;
	return grown;
}

const char *format_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	return buf;
}

const char *signed_ns(int64_t ns, char *buf, size_t len)
{
	char tmp[24];

	format_ns(ns < 0 ? -(uint64_t)ns : (uint64_t)ns, tmp, sizeof(tmp));
	snprintf(buf, len, "%s%s", ns < 0 ? "-" : "+", tmp);
	return buf;
}

size_t sorted_first(const void *key, const void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp((const char *)base + mid * size, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && cmp((const char *)base + lo * size, key) == 0 ? lo : n;
}
