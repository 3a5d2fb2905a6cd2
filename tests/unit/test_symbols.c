// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Naming frames: perf maps of JIT runtimes, C++ demangling, and the stacks stage's choices. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "stacks.h"
#include "symbols.h"

static void perf_maps_are_read_as_runtimes_write_them(void **state)
{
	static const char text[] =
		"0x00007f0228ec7620 0x00000000000001c0 void java.lang.Thread.sleep(long)\n"
		"7f0221400ec0 120 void Blocker.sleepInJava(int)\n"
		"not a line\n"
		"0x1000 0 zero-sized\n"
		"0x00007f0228940b80 0x0000000000017de0 Interpreter\n"
		"3e8 10 LazyCompile:~sleepy /app/x.js:3:15\n"
		"0x7f0221400ec0 0x40 void Blocker.recompiled(int)\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct perfmap pm;
	uint64_t off = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(perfmap_parse(&pm, f), 0);
	fclose(f);
	assert_int_equal(pm.n, 5);
	assert_int_equal(pm.bad_lines, 2);
	assert_string_equal(perfmap_lookup(&pm, 0x7f0228ec7620 + 0xbb, &off),
			    "void java.lang.Thread.sleep(long)");
	assert_int_equal(off, 0xbb);
	/* A later line for the same code wins (a JIT reuses its code cache). */
	assert_string_equal(perfmap_lookup(&pm, 0x7f0221400ec0 + 0x10, &off),
			    "void Blocker.recompiled(int)");
	/* Past the newer, shorter blob, the older one still holds the address. */
	assert_string_equal(perfmap_lookup(&pm, 0x7f0221400ec0 + 0x54, &off),
			    "void Blocker.sleepInJava(int)");
	assert_string_equal(perfmap_lookup(&pm, 0x3e8 + 0xf, &off), "LazyCompile:~sleepy /app/x.js:3:15");
	assert_null(perfmap_lookup(&pm, 0x3e8 + 0x10, &off));
	assert_null(perfmap_lookup(&pm, 0x10, &off));
	assert_null(perfmap_lookup(NULL, 0x10, &off));
	perfmap_free(&pm);
	assert_int_equal(perfmap_load(&pm, 999999999), -1);
}

static void cxx_names_are_demangled(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(symbols_demangle("_ZN9JavaCalls11call_helperEP9JavaValueRK12methodHandleP17JavaCallArgumentsP10JavaThread",
					     buf, sizeof(buf)),
			    "JavaCalls::call_helper(JavaValue*, methodHandle const&, JavaCallArguments*, JavaThread*)");
	assert_string_equal(symbols_demangle("main", buf, sizeof(buf)), "main");
	assert_string_equal(symbols_demangle("_Znot-a-name", buf, sizeof(buf)), "_Znot-a-name");
	/* Truncated to the buffer, never overrun. */
	assert_string_equal(symbols_demangle("_ZN9JavaCalls11call_helperEv", buf, 10), "JavaCalls");
}

static void frames_without_a_module_are_named_from_the_perf_map(void **state)
{
	static const char text[] = "0x5000 0x100 void Blocker.sleepInJava(int)\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct perfmap pm;
	char buf[128];

	(void)state;
	perfmap_parse(&pm, f);
	fclose(f);
	assert_int_equal(symbols_user_frame(NULL, &pm, 0x5055, true, buf, sizeof(buf)), FRAME_PERFMAP);
	assert_string_equal(buf, "void Blocker.sleepInJava(int)+0x55");
	assert_int_equal(symbols_user_frame(NULL, &pm, 0x6000, true, buf, sizeof(buf)), FRAME_ADDRESS);
	assert_string_equal(buf, "0x6000");
	perfmap_free(&pm);
}

static struct call_record blocking_call(uint32_t tid, long nr, uint64_t enter_ns)
{
	struct call_record c;

	memset(&c, 0, sizeof(c));
	c.hdr.type = RECORD_CALL;
	c.hdr.tid = c.hdr.tgid = tid;
	c.nr = nr;
	c.enter_ns = enter_ns;
	c.voluntary = 1;
	c.blocked_ns = 1000000;
	c.user_stack_id = -1;
	c.kernel_stack_id = -1;
	return c;
}

/* A copy that cannot unwind (no image: a PID that does not exist) leaves the call with no stack. */
static void a_stack_pairs_only_with_its_own_call(void **state)
{
	static struct ustack_record u;
	struct call_record c = blocking_call(999999998, 35, 100);
	struct stacks s;

	(void)state;
	stacks_init(&s);
	memset(&u, 0, sizeof(u));
	u.hdr.type = RECORD_USTACK;
	u.hdr.tid = u.hdr.tgid = 999999998;
	u.nr = 35;
	u.enter_ns = 99; /* another call's */
	u.size = 64;
	stacks_add_ustack(&s, &u, USTACK_HEADER_SIZE + 64);
	assert_int_equal(s.ustack_records, 1);
	stacks_add(&s, &c, "x");
	assert_int_equal(s.missing, 1);
	assert_int_equal(s.n, 0);
	/* A malformed copy is counted and dropped. */
	stacks_add_ustack(&s, &u, USTACK_HEADER_SIZE + 63);
	assert_int_equal(s.ustack_malformed, 1);
	stacks_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(perf_maps_are_read_as_runtimes_write_them),
		cmocka_unit_test(cxx_names_are_demangled),
		cmocka_unit_test(frames_without_a_module_are_named_from_the_perf_map),
		cmocka_unit_test(a_stack_pairs_only_with_its_own_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
