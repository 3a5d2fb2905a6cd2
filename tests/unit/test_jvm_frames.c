// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Naming interpreted Java frames: HotSpot's VMStructs tables and a Method
 * read from a fake memory image. The image's tables are laid out otherwise
 * than HotSpot 17 lays them out (other entry strides, field orders and
 * offsets), so only what the exported words say can find them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "jvm_frames.h"

#define BASE 0x7f0000010000ull
#define SIZE 0x10000

struct image {
	uint8_t mem[SIZE];
	uint64_t top; /* bump allocator */
	uint64_t exports[JVM_EXPORT_COUNT];
	int reads;
};

static bool fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct image *im = ctx;

	im->reads++;
	if (addr < BASE || addr - BASE > SIZE || SIZE - (addr - BASE) < len)
		return false;
	memcpy(buf, im->mem + (addr - BASE), len);
	return true;
}

static uint64_t alloc(struct image *im, size_t len)
{
	uint64_t at = BASE + im->top;

	im->top = (im->top + len + 7) & ~7ull;
	assert_true(im->top <= SIZE);
	return at;
}

static void poke(struct image *im, uint64_t addr, const void *v, size_t len)
{
	memcpy(im->mem + (addr - BASE), v, len);
}

static void poke64(struct image *im, uint64_t addr, uint64_t v)
{
	poke(im, addr, &v, 8);
}

static void poke16(struct image *im, uint64_t addr, uint16_t v)
{
	poke(im, addr, &v, 2);
}

static uint64_t cstr(struct image *im, const char *s)
{
	uint64_t at = alloc(im, strlen(s) + 1);

	poke(im, at, s, strlen(s) + 1);
	return at;
}

/* VMStructEntry here: fieldName, typeString, typeName, offset, address, isStatic; 56 bytes. */
enum { S_FIELD = 0, S_TYPESTR = 8, S_TYPE = 16, S_OFFSET = 24, S_ADDRESS = 32, S_STATIC = 40,
       S_STRIDE = 56 };
/* VMTypeEntry here: superclass, typeName, flags, size; 40 bytes. */
enum { T_TYPE = 8, T_SIZE = 32, T_STRIDE = 40 };

struct field {
	const char *type, *name;
	int is_static;
	uint64_t offset_or_address;
};

/* This image's JVM: its fields' offsets, none of them HotSpot 17's. */
enum { M_CONST = 16, CM_CONSTANTS = 24, CM_NAME = 40, CM_SIG = 42, CP_HOLDER = 32, CP_SIZE = 80,
       K_NAME = 48, SYM_LEN = 4, SYM_BODY = 6, SQ_BUFFER = 8, SQ_LIMIT = 20 };

static void put_export(struct image *im, enum jvm_export e, uint64_t v)
{
	im->exports[e] = alloc(im, 8);
	poke64(im, im->exports[e], v);
}

/* The tables, with fields[] (n of them) and ConstantPool's size; skip: a field left out. */
static void tables(struct image *im, const struct field *fields, int n, const char *skip)
{
	uint64_t structs = alloc(im, (size_t)(n + 1) * S_STRIDE), types;
	const char *const type_names[] = { "Method", "ConstantPool", "Symbol" };
	const uint64_t type_sizes[] = { 88, CP_SIZE, 8 };
	uint64_t shared_type = 0;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		uint64_t e = structs + (uint64_t)k * S_STRIDE;
		int32_t st = fields[i].is_static;

		if (skip && !strcmp(fields[i].name, skip))
			continue;
		/* Entries of a type share its name's string, as HotSpot's do. */
		if (!i || strcmp(fields[i].type, fields[i - 1].type))
			shared_type = cstr(im, fields[i].type);
		poke64(im, e + S_TYPE, shared_type);
		poke64(im, e + S_FIELD, cstr(im, fields[i].name));
		poke64(im, e + S_TYPESTR, cstr(im, "int"));
		poke(im, e + S_STATIC, &st, 4);
		poke64(im, e + (st ? S_ADDRESS : S_OFFSET), fields[i].offset_or_address);
		k++;
	}
	/* the last entry: no type (already zero) */
	types = alloc(im, 4 * T_STRIDE);
	for (i = 0; i < 3; i++) {
		poke64(im, types + (uint64_t)i * T_STRIDE + T_TYPE, cstr(im, type_names[i]));
		poke64(im, types + (uint64_t)i * T_STRIDE + T_SIZE, type_sizes[i]);
	}
	put_export(im, JVM_STRUCTS, structs);
	put_export(im, JVM_STRUCT_TYPE_NAME, S_TYPE);
	put_export(im, JVM_STRUCT_FIELD_NAME, S_FIELD);
	put_export(im, JVM_STRUCT_IS_STATIC, S_STATIC);
	put_export(im, JVM_STRUCT_OFFSET, S_OFFSET);
	put_export(im, JVM_STRUCT_ADDRESS, S_ADDRESS);
	put_export(im, JVM_STRUCT_STRIDE, S_STRIDE);
	put_export(im, JVM_TYPES, types);
	put_export(im, JVM_TYPE_NAME, T_TYPE);
	put_export(im, JVM_TYPE_SIZE, T_SIZE);
	put_export(im, JVM_TYPE_STRIDE, T_STRIDE);
}

static uint64_t interp_code; /* &AbstractInterpreter::_code in the image */

static struct image *jvm_image(const char *skip)
{
	struct image *im = calloc(1, sizeof(*im));
	uint64_t queue;

	assert_non_null(im);
	interp_code = alloc(im, 8);
	queue = alloc(im, 48);
	poke64(im, interp_code, queue);
	poke64(im, queue + SQ_BUFFER, 0x7f00aa000000ull);
	poke(im, queue + SQ_LIMIT, &(int32_t){ 0x12f20 }, 4);
	{
		const struct field fields[] = {
			{ "Method", "_accessFlags", 0, 4 },
			{ "Method", "_constMethod", 0, M_CONST },
			{ "ConstMethod", "_constants", 0, CM_CONSTANTS },
			{ "ConstMethod", "_name_index", 0, CM_NAME },
			{ "ConstMethod", "_signature_index", 0, CM_SIG },
			{ "ConstantPool", "_tags", 0, 8 },
			{ "ConstantPool", "_pool_holder", 0, CP_HOLDER },
			{ "Klass", "_java_mirror", 0, 16 },
			{ "Klass", "_name", 0, K_NAME },
			{ "Symbol", "_length", 0, SYM_LEN },
			{ "Symbol", "_body", 0, SYM_BODY },
			{ "Symbol", "_body[0]", 0, SYM_BODY },
			{ "Symbol", "_vm_symbols[0]", 1, 0x1234 },
			/* a static of the same name elsewhere must not be taken */
			{ "Universe", "_code", 1, 0x4444 },
			{ "AbstractInterpreter", "_code", 1, interp_code },
			{ "StubQueue", "_stub_buffer", 0, SQ_BUFFER },
			{ "StubQueue", "_buffer_limit", 0, SQ_LIMIT },
		};

		tables(im, fields, (int)(sizeof(fields) / sizeof(fields[0])), skip);
	}
	return im;
}

static uint64_t symbol(struct image *im, const char *s)
{
	uint64_t at = alloc(im, SYM_BODY + strlen(s));

	poke16(im, at + SYM_LEN, (uint16_t)strlen(s));
	poke(im, at + SYM_BODY, s, strlen(s)); /* no NUL: a Symbol has its length */
	return at;
}

/* A method of class klass as HotSpot lays it out: Method -> ConstMethod -> ConstantPool. */
static uint64_t method(struct image *im, const char *klass, const char *name, const char *sig)
{
	uint64_t m = alloc(im, 64), cm = alloc(im, 64), cp = alloc(im, CP_SIZE + 8 * 8);
	uint64_t k = alloc(im, 64);

	poke64(im, m + M_CONST, cm);
	poke64(im, cm + CM_CONSTANTS, cp);
	poke16(im, cm + CM_NAME, 3);
	poke16(im, cm + CM_SIG, 5);
	poke64(im, cp + CP_HOLDER, k);
	poke64(im, k + K_NAME, symbol(im, klass));
	/* the pool's slots follow the ConstantPool, a word each */
	poke64(im, cp + CP_SIZE + 3 * 8, symbol(im, name));
	poke64(im, cp + CP_SIZE + 5 * 8, symbol(im, sig));
	return m;
}

static void the_layout_is_what_the_exported_words_say(void **state)
{
	struct image *im = jvm_image(NULL);
	struct jvm_mem m = { fake_read, im };
	struct jvm_layout l;
	uint64_t lo = 0, hi = 0;

	(void)state;
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), 0);
	assert_int_equal(l.method_const_method, M_CONST);
	assert_int_equal(l.const_method_constants, CM_CONSTANTS);
	assert_int_equal(l.const_method_name_index, CM_NAME);
	assert_int_equal(l.const_method_sig_index, CM_SIG);
	assert_int_equal(l.cpool_holder, CP_HOLDER);
	assert_int_equal(l.cpool_size, CP_SIZE);
	assert_int_equal(l.klass_name, K_NAME);
	assert_int_equal(l.symbol_length, SYM_LEN);
	assert_int_equal(l.symbol_body, SYM_BODY);
	assert_int_equal(l.interpreter_code, interp_code);
	assert_int_equal(jvm_interpreter_range(&m, &l, &lo, &hi), 0);
	assert_int_equal(lo, 0x7f00aa000000ull);
	assert_int_equal(hi, 0x7f00aa000000ull + 0x12f20);
	/* before the interpreter is generated */
	poke64(im, interp_code, 0);
	assert_int_equal(jvm_interpreter_range(&m, &l, &lo, &hi), -1);
	free(im);
}

static void a_table_without_a_field_is_refused(void **state)
{
	struct image *im = jvm_image("_pool_holder");
	struct jvm_mem m = { fake_read, im };
	struct jvm_layout l;

	(void)state;
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), -1);
	free(im);
	/* one of Symbol::_body's two names is enough */
	im = jvm_image("_body[0]");
	m.ctx = im;
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), 0);
	assert_int_equal(l.symbol_body, SYM_BODY);
	/* an entry stride no table has */
	poke64(im, im->exports[JVM_STRUCT_STRIDE], 4096);
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), -1);
	/* an export that cannot be read */
	im->exports[JVM_TYPES] = 0x1000;
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), -1);
	free(im);
}

static void a_method_is_named_as_the_perf_map_names_it(void **state)
{
	struct image *im = jvm_image(NULL);
	struct jvm_mem m = { fake_read, im };
	uint64_t sleep = method(im, "Blocker", "sleepInJava", "(I)V");
	uint64_t run = method(im, "java/util/concurrent/ThreadPoolExecutor$Worker", "run",
			      "([Ljava/lang/String;JZ)[[I");
	struct jvm_layout l;
	char buf[256];

	(void)state;
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), 0);
	assert_int_equal(jvm_method_name(&m, &l, sleep, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "void Blocker.sleepInJava(int)");
	assert_int_equal(jvm_method_name(&m, &l, run, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "int[][] java.util.concurrent.ThreadPoolExecutor$Worker.run("
				 "java.lang.String[], long, boolean)");
	free(im);
}

static void what_is_not_a_method_is_not_named(void **state)
{
	struct image *im = jvm_image(NULL);
	struct jvm_mem m = { fake_read, im };
	uint64_t ok = method(im, "Blocker", "sleepInJava", "(I)V");
	uint64_t cm, cp, sym;
	struct jvm_layout l;
	char buf[256];

	(void)state;
	assert_int_equal(jvm_layout_read(&m, im->exports, &l), 0);
	/* 0, unaligned, outside the memory (a class unloaded, a JVM gone) */
	assert_int_equal(jvm_method_name(&m, &l, 0, buf, sizeof(buf)), -1);
	assert_int_equal(jvm_method_name(&m, &l, ok + 4, buf, sizeof(buf)), -1);
	assert_int_equal(jvm_method_name(&m, &l, 0x1000, buf, sizeof(buf)), -1);
	/* a ConstMethod* that leads nowhere */
	memcpy(&cm, im->mem + (ok + M_CONST - BASE), 8);
	poke64(im, ok + M_CONST, 0x2000);
	assert_int_equal(jvm_method_name(&m, &l, ok, buf, sizeof(buf)), -1);
	poke64(im, ok + M_CONST, cm);
	assert_int_equal(jvm_method_name(&m, &l, ok, buf, sizeof(buf)), 0);
	/* a name with a control byte: stack garbage read as a Symbol */
	memcpy(&cp, im->mem + (cm + CM_CONSTANTS - BASE), 8);
	memcpy(&sym, im->mem + (cp + CP_SIZE + 3 * 8 - BASE), 8);
	poke(im, sym + SYM_BODY + 2, "\x01", 1);
	assert_int_equal(jvm_method_name(&m, &l, ok, buf, sizeof(buf)), -1);
	/* a signature that is not a method descriptor */
	poke(im, sym + SYM_BODY + 2, "e", 1);
	memcpy(&sym, im->mem + (cp + CP_SIZE + 5 * 8 - BASE), 8);
	poke(im, sym + SYM_BODY, "I)V", 3);
	assert_int_equal(jvm_method_name(&m, &l, ok, buf, sizeof(buf)), -1);
	free(im);
}

static void descriptors_read_as_java_writes_types(void **state)
{
	char buf[128], small[12];

	(void)state;
	assert_int_equal(jvm_external_name("A", "f", "()V", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "void A.f()");
	assert_int_equal(jvm_external_name("p/q/B", "g", "(BCDFISZ[[Ljava/lang/Object;)Lp/q/B;", buf,
					   sizeof(buf)),
			 0);
	assert_string_equal(buf, "p.q.B p.q.B.g(byte, char, double, float, int, short, boolean, "
				 "java.lang.Object[][])");
	/* malformed: no '(', no ')', a class without ';', an unknown letter, void as a parameter or
	 * an array, something after the return type */
	assert_int_equal(jvm_external_name("A", "f", "I)V", buf, sizeof(buf)), -1);
	assert_int_equal(jvm_external_name("A", "f", "(I", buf, sizeof(buf)), -1);
	assert_int_equal(jvm_external_name("A", "f", "(Ljava/lang/Object)V", buf, sizeof(buf)), -1);
	assert_int_equal(jvm_external_name("A", "f", "(Q)V", buf, sizeof(buf)), -1);
	assert_int_equal(jvm_external_name("A", "f", "(V)V", buf, sizeof(buf)), -1);
	assert_int_equal(jvm_external_name("A", "f", "()[V", buf, sizeof(buf)), -1);
	assert_int_equal(jvm_external_name("A", "f", "()VI", buf, sizeof(buf)), -1);
	/* a small buffer cuts the name, never overruns */
	assert_int_equal(jvm_external_name("java/lang/Thread", "sleep", "(J)V", small, sizeof(small)),
			 0);
	assert_string_equal(small, "void java.l");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_layout_is_what_the_exported_words_say),
		cmocka_unit_test(a_table_without_a_field_is_refused),
		cmocka_unit_test(a_method_is_named_as_the_perf_map_names_it),
		cmocka_unit_test(what_is_not_a_method_is_not_named),
		cmocka_unit_test(descriptors_read_as_java_writes_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
