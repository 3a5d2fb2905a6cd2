// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/util.c: the helpers every layer uses. */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "util.h"

static void array_room_starts_at_first_and_doubles(void **state)
{
	int *v = NULL, *g;
	size_t n, cap = 0;

	(void)state;
	for (n = 0; n < 100; n++) {
		g = array_room(v, n, &cap, 4, sizeof(*v));
		assert_non_null(g);
		v = g;
		v[n] = (int)n;
		assert_true(cap > n);
		/* 4, 8, 16...: a power of two times the first size */
		assert_int_equal(cap & (cap - 1), 0);
	}
	assert_int_equal(cap, 128);
	for (n = 0; n < 100; n++)
		assert_int_equal(v[n], (int)n);
	free(v);
}

static void array_room_with_room_returns_the_array_as_it_is(void **state)
{
	int *v = malloc(8 * sizeof(*v));
	size_t cap = 8;

	(void)state;
	assert_non_null(v);
	assert_ptr_equal(array_room(v, 7, &cap, 4, sizeof(*v)), v);
	assert_int_equal(cap, 8);
	free(v);
}

static void array_room_too_big_fails_and_keeps_the_array(void **state)
{
	int *v = malloc(4 * sizeof(*v));
	size_t cap = SIZE_MAX / sizeof(*v) / 2 + 1; /* twice it overflows the bytes */

	(void)state;
	assert_non_null(v);
	assert_null(array_room(v, cap, &cap, 4, sizeof(*v)));
	assert_int_equal(cap, SIZE_MAX / sizeof(*v) / 2 + 1);
	/* v is still the caller's: freeing it is not a double free (ASan would say) */
	free(v);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void sorted_first_finds_the_start_of_a_run(void **state)
{
	int v[] = { 1, 3, 3, 3, 5, 7 }, k;

	(void)state;
	k = 3;
	assert_int_equal(sorted_first(&k, v, 6, sizeof(int), cmp_int), 1);
	k = 7;
	assert_int_equal(sorted_first(&k, v, 6, sizeof(int), cmp_int), 5);
	k = 4;
	assert_int_equal(sorted_first(&k, v, 6, sizeof(int), cmp_int), 6);
	assert_int_equal(sorted_first(&k, v, 0, sizeof(int), cmp_int), 0);
}

static void durations_are_rendered_in_their_unit(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(format_ns(999, b, sizeof(b)), "999 ns");
	assert_string_equal(format_ns(1500, b, sizeof(b)), "1.5 us");
	assert_string_equal(format_ns(1250000, b, sizeof(b)), "1.25 ms");
	assert_string_equal(format_ns(2500000, b, sizeof(b)), "2.50 ms");
	assert_string_equal(format_ns(3000000000ull, b, sizeof(b)), "3.00 s");
	assert_string_equal(format_ns(2500000000ull, b, sizeof(b)), "2.50 s");
	assert_string_equal(signed_ns(-3, b, sizeof(b)), "-3 ns");
	assert_string_equal(signed_ns(1250000, b, sizeof(b)), "+1.25 ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(array_room_starts_at_first_and_doubles),
		cmocka_unit_test(array_room_with_room_returns_the_array_as_it_is),
		cmocka_unit_test(array_room_too_big_fails_and_keeps_the_array),
		cmocka_unit_test(sorted_first_finds_the_start_of_a_run),
		cmocka_unit_test(durations_are_rendered_in_their_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
