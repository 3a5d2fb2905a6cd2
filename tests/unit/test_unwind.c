// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Unwinding with DWARF CFI from a copy of a stack: the test takes its own
 * registers and stack, as the kernel does at a blocking call's exit, and
 * unwinds them through an image built from its own /proc/self/maps.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "images.h"
#include "stacks.h"
#include "unwind.h"

#define COPY 8192

static uint8_t stack_copy[COPY];

/* Bytes readable from sp up to the end of its mapping, as the kernel's copy stops there. */
static uint32_t readable(uint64_t sp, uint32_t want)
{
	unsigned long long lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	uint32_t n = want;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && sp >= lo && sp < hi && hi - sp < want)
			n = (uint32_t)(hi - sp);
	if (f)
		fclose(f);
	return n;
}

/* The stack as the kernel copies it: raw bytes, ASan's redzones included. */
__attribute__((no_sanitize("address"), noinline)) static void raw_copy(uint8_t *to, uint64_t from,
								       uint32_t n)
{
	const volatile uint8_t *p = (const volatile uint8_t *)from;
	uint32_t i;

	for (i = 0; i < n; i++)
		to[i] = p[i];
}

/* Registers where the asm label is, in DWARF's x86-64 order, then the stack above sp. */
__attribute__((noinline)) static void take(struct unwind_capture *c, uint32_t bytes)
{
	uint64_t *r = c->regs;

	memset(c, 0, sizeof(*c));
	__asm__ volatile("lea 0f(%%rip), %%rax\n\t"
			 "mov %%rax, 128(%0)\n\t"
			 "mov %%rbx, 24(%0)\n\t"
			 "mov %%rbp, 48(%0)\n\t"
			 "mov %%rsp, 56(%0)\n\t"
			 "mov %%r12, 96(%0)\n\t"
			 "mov %%r13, 104(%0)\n\t"
			 "mov %%r14, 112(%0)\n\t"
			 "mov %%r15, 120(%0)\n\t"
			 "0:\n\t"
			 :
			 : "r"(r)
			 : "rax", "memory");
	c->tid = (uint32_t)gettid();
	c->size = readable(r[USTACK_REG_SP], bytes);
	c->at_limit = c->size == bytes;
	raw_copy(stack_copy, r[USTACK_REG_SP], c->size);
	c->stack = stack_copy;
}

__attribute__((noinline)) static void middle_fn(struct unwind_capture *c, uint32_t bytes)
{
	take(c, bytes);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void outer_fn(struct unwind_capture *c, uint32_t bytes)
{
	middle_fn(c, bytes);
	__asm__ volatile("" ::: "memory");
}

/* A function that keeps a frame pointer, as a JVM interpreter frame does, and says where. */
static uint64_t framed_rbp;

__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void
framed_fn(struct unwind_capture *c, uint32_t bytes)
{
	__asm__ volatile("mov %%rbp, %0" : "=m"(framed_rbp));
	middle_fn(c, bytes);
	__asm__ volatile("" ::: "memory");
}

static bool has_function(Dwfl *dwfl, const struct unwound *u, const char *name)
{
	int i;

	for (i = 0; i < u->n; i++) {
		Dwarf_Addr pc = i ? u->pc[i] - 1 : u->pc[i];
		Dwfl_Module *m = dwfl_addrmodule(dwfl, pc);
		const char *fn = m ? dwfl_module_addrname(m, pc) : NULL;

		if (fn && !strcmp(fn, name))
			return true;
	}
	return false;
}

static struct image *self_image(struct images *im)
{
	struct image *img = images_read(im, (uint32_t)getpid(), true);

	assert_non_null(img);
	assert_non_null(image_dwfl(img));
	return img;
}

static void unwinds_own_stack_to_the_outermost_frame(void **state)
{
	struct unwind_capture c;
	struct images im;
	struct image *img;
	struct unwound u;

	(void)state;
	images_init(&im);
	img = self_image(&im);
	outer_fn(&c, COPY);
	assert_int_equal(unwind_dwarf(img->dwfl, &img->unwind, &c, &u), 0);
	assert_int_equal(u.method, UNWIND_DWARF);
	assert_true(has_function(img->dwfl, &u, "take"));
	assert_true(has_function(img->dwfl, &u, "middle_fn"));
	assert_true(has_function(img->dwfl, &u, "outer_fn"));
	assert_true(has_function(img->dwfl, &u, "main"));
	assert_int_equal(u.end, UNWIND_END_OUTERMOST);
	/* The same session unwinds a second capture (libdwfl is attached once). */
	middle_fn(&c, COPY);
	assert_int_equal(unwind_dwarf(img->dwfl, &img->unwind, &c, &u), 0);
	assert_true(has_function(img->dwfl, &u, "middle_fn"));
	assert_false(has_function(img->dwfl, &u, "outer_fn"));
	images_free(&im);
}

/* Each frame's rbp is kept: where the JVM's interpreter frames hold their Method*. */
static void each_frame_keeps_its_frame_pointer(void **state)
{
	struct unwind_capture c;
	struct images im;
	struct image *img;
	struct unwound u;
	int k, found = 0;

	(void)state;
	images_init(&im);
	img = self_image(&im);
	framed_fn(&c, COPY);
	assert_int_equal(unwind_dwarf(img->dwfl, &img->unwind, &c, &u), 0);
	for (k = 1; k < u.n; k++) {
		Dwfl_Module *m = dwfl_addrmodule(img->dwfl, u.pc[k] - 1);
		const char *fn = m ? dwfl_module_addrname(m, u.pc[k] - 1) : NULL;

		/* gcc may clone it: framed_fn.constprop.0 */
		if (fn && !strncmp(fn, "framed_fn", 9)) {
			assert_int_equal(u.fp[k], framed_rbp);
			found++;
		}
	}
	assert_int_equal(found, 1);
	assert_false(u.has_jmethod);
	images_free(&im);
}

static void a_short_copy_is_cut_and_says_so(void **state)
{
	struct unwind_capture c;
	struct images im;
	struct image *img;
	struct unwound u;

	(void)state;
	images_init(&im);
	img = self_image(&im);
	outer_fn(&c, 64);
	unwind_dwarf(img->dwfl, &img->unwind, &c, &u);
	assert_true(u.n >= 1);
	assert_false(has_function(img->dwfl, &u, "main"));
	assert_int_equal(u.end, UNWIND_END_COPY);
	assert_non_null(strstr(unwind_end_text(u.end), "--stack-copy"));
	images_free(&im);
}

static void an_image_outlives_its_process(void **state)
{
	struct unwind_capture c;
	struct images im;
	struct image *img;
	struct unwound u;
	char *maps;
	FILE *f;
	size_t len = 0;

	(void)state;
	images_init(&im);
	/* The maps text alone, as kept for a process that has exited. */
	f = fopen("/proc/self/maps", "re");
	assert_non_null(f);
	maps = calloc(1, 1 << 20);
	len = fread(maps, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(len > 0);
	img = images_set(&im, 424242, maps, true);
	free(maps);
	assert_non_null(img);
	assert_int_equal(img->exec_gen, 1);
	assert_non_null(image_dwfl(img));
	outer_fn(&c, COPY);
	assert_int_equal(unwind_dwarf(img->dwfl, &img->unwind, &c, &u), 0);
	assert_true(has_function(img->dwfl, &u, "outer_fn"));
	/* A forked child without maps of its own takes its parent's. */
	assert_non_null(images_inherit(&im, 424243, 424242));
	assert_non_null(image_dwfl(images_find(&im, 424243)));
	/* A process that is gone leaves its image as it was. */
	assert_null(images_read(&im, 424242, false));
	assert_int_equal(images_find(&im, 424242)->gen, 1);
	images_free(&im);
}

static void the_deeper_sane_stack_is_kept(void **state)
{
	uint64_t ips[] = { 0x1000, 0x4c4b40, 0 };
	struct unwound fp, dw;

	(void)state;
	unwind_from_fp(ips, 127, &fp);
	assert_int_equal(fp.n, 2);
	assert_int_equal(fp.method, UNWIND_FP);
	memset(&dw, 0, sizeof(dw));
	dw.method = UNWIND_DWARF;
	dw.n = 1;
	dw.end = UNWIND_END_OUTERMOST;
	/* A whole DWARF stack wins over a deeper frame-pointer walk (its frames may be bogus). */
	assert_ptr_equal(unwind_choose(&dw, &fp), &dw);
	dw.end = UNWIND_END_NO_CFI;
	assert_ptr_equal(unwind_choose(&dw, &fp), &fp);
	dw.n = 2;
	assert_ptr_equal(unwind_choose(&dw, &fp), &dw);
	dw.n = 0;
	assert_ptr_equal(unwind_choose(&dw, &fp), &fp);
	assert_null(unwind_choose(NULL, NULL));
	assert_string_equal(unwind_method_name(UNWIND_DWARF), "dwarf");
	assert_string_equal(unwind_end_text(UNWIND_END_OUTERMOST), "");
}

static void malformed_records_are_refused(void **state)
{
	static struct ustack_record u;
	struct unwind_capture c;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.hdr.type = RECORD_USTACK;
	u.hdr.tid = 7;
	u.size = 128;
	assert_int_equal(unwind_capture_from_record(&u, USTACK_HEADER_SIZE + 128, &c), 0);
	assert_int_equal(c.size, 128);
	assert_int_equal(c.tid, 7);
	assert_int_equal(unwind_capture_from_record(&u, USTACK_HEADER_SIZE + 127, &c), -1);
	assert_int_equal(unwind_capture_from_record(&u, 8, &c), -1);
	u.size = USTACK_MAX_BYTES + 1;
	assert_int_equal(unwind_capture_from_record(&u, sizeof(u), &c), -1);
}

/* The stacks stage: a copy and its call record make a call site, named from the image. */
static void the_stage_names_and_aggregates_call_sites(void **state)
{
	static struct ustack_record rec;
	struct unwind_capture c;
	struct call_record call;
	struct stacks s;
	bool outer = false;
	int i, k;

	(void)state;
	stacks_init(&s);
	for (i = 0; i < 2; i++) {
		outer_fn(&c, COPY);
		memset(&rec, 0, sizeof(rec));
		rec.hdr.type = RECORD_USTACK;
		rec.hdr.tid = c.tid;
		rec.hdr.tgid = (uint32_t)getpid();
		rec.nr = 0;
		rec.enter_ns = 1000 + (uint64_t)i;
		memcpy(rec.regs, c.regs, sizeof(rec.regs));
		rec.size = c.size;
		memcpy(rec.data, c.stack, c.size);
		stacks_add_ustack(&s, &rec, USTACK_HEADER_SIZE + c.size);
		memset(&call, 0, sizeof(call));
		call.hdr.type = RECORD_CALL;
		call.hdr.tid = c.tid;
		call.hdr.tgid = (uint32_t)getpid();
		call.enter_ns = 1000 + (uint64_t)i;
		call.voluntary = 1;
		call.blocked_ns = 5000;
		call.user_stack_id = call.kernel_stack_id = -1;
		stacks_add(&s, &call, "self");
	}
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].count, 2);
	assert_int_equal(s.e[0].method, UNWIND_DWARF);
	assert_int_equal(s.by_method[UNWIND_DWARF], 2);
	for (k = 0; k < s.e[0].nuser; k++)
		outer = outer || strstr(s.e[0].user_frames[k], "outer_fn+") != NULL;
	assert_true(outer);
	assert_int_equal(stacks_resolve(&s), 0);
	stacks_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unwinds_own_stack_to_the_outermost_frame),
		cmocka_unit_test(each_frame_keeps_its_frame_pointer),
		cmocka_unit_test(a_short_copy_is_cut_and_says_so),
		cmocka_unit_test(an_image_outlives_its_process),
		cmocka_unit_test(the_deeper_sane_stack_is_kept),
		cmocka_unit_test(malformed_records_are_refused),
		cmocka_unit_test(the_stage_names_and_aggregates_call_sites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
