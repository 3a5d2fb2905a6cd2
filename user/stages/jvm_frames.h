/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef JVM_FRAMES_H
#define JVM_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How an interpreted Java frame is named: a stage of its own, pure. A
 * HotSpot JVM describes its own structures for debuggers (the
 * Serviceability Agent, async-profiler) in tables that libjvm.so exports:
 * gHotSpotVMStructs (each field's type, name, offset, or a static's
 * address) and gHotSpotVMTypes (each type's size), with the layout of
 * their entries in more exported words. From those, a Method* taken from
 * an interpreter frame is read as its class, name and signature.
 *
 * Everything reads the JVM's memory through a callback, so that the unit
 * tests give it a fake memory image and the collector the live process.
 */

/* Reads len bytes at addr of the JVM into buf; false when they cannot be read. */
typedef bool (*jvm_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct jvm_mem {
	jvm_read_fn read;
	void *ctx;
};

/* The exported symbols the tables are found by, in the order of jvm_export_names. */
enum jvm_export {
	JVM_STRUCTS,		/* VMStructEntry *: the fields */
	JVM_STRUCT_TYPE_NAME,	/* uint64_t: offsetof(VMStructEntry, typeName) */
	JVM_STRUCT_FIELD_NAME,	/* ... fieldName */
	JVM_STRUCT_IS_STATIC,	/* ... isStatic (int32_t) */
	JVM_STRUCT_OFFSET,	/* ... offset (uint64_t) */
	JVM_STRUCT_ADDRESS,	/* ... address (void *, for statics) */
	JVM_STRUCT_STRIDE,	/* sizeof(VMStructEntry) */
	JVM_TYPES,		/* VMTypeEntry *: the types */
	JVM_TYPE_NAME,		/* offsetof(VMTypeEntry, typeName) */
	JVM_TYPE_SIZE,		/* ... size (uint64_t) */
	JVM_TYPE_STRIDE,	/* sizeof(VMTypeEntry) */
	JVM_EXPORT_COUNT,
};

extern const char *const jvm_export_names[JVM_EXPORT_COUNT];

/* What naming a Method* and finding the interpreter need, from the tables. */
struct jvm_layout {
	uint64_t method_const_method;	  /* Method::_constMethod */
	uint64_t const_method_constants;  /* ConstMethod::_constants */
	uint64_t const_method_name_index; /* ConstMethod::_name_index (u2) */
	uint64_t const_method_sig_index;  /* ConstMethod::_signature_index (u2) */
	uint64_t cpool_holder;		  /* ConstantPool::_pool_holder */
	uint64_t cpool_size;		  /* sizeof(ConstantPool): its slots follow it */
	uint64_t klass_name;		  /* Klass::_name */
	uint64_t symbol_length;		  /* Symbol::_length (u2) */
	uint64_t symbol_body;		  /* Symbol::_body */
	uint64_t interpreter_code;	  /* &AbstractInterpreter::_code, a StubQueue * */
	uint64_t stubq_buffer;		  /* StubQueue::_stub_buffer */
	uint64_t stubq_limit;		  /* StubQueue::_buffer_limit (int) */
};

/*
 * Reads the tables whose exported symbols are at exports[] (addresses in
 * the JVM) into l. Returns 0, or -1 when a table cannot be read or lacks a
 * field (another JVM than HotSpot, or a version that renamed one).
 */
int jvm_layout_read(const struct jvm_mem *m, const uint64_t exports[JVM_EXPORT_COUNT],
		    struct jvm_layout *l);

/*
 * Where the template interpreter's code is, [*lo, *hi): the code of every
 * interpreted Java frame. -1 before the interpreter is generated.
 */
int jvm_interpreter_range(const struct jvm_mem *m, const struct jvm_layout *l, uint64_t *lo,
			  uint64_t *hi);

/*
 * x86-64: where an interpreter frame keeps its Method*, from its rbp
 * (HotSpot's frame::interpreter_frame_method_offset, -3 words).
 */
#define JVM_INTERP_METHOD_FROM_FP (-24)

/*
 * Names the Method* at method as HotSpot's perf map names compiled code,
 * "void Blocker.sleepInJava(int)", into buf. Returns 0, or -1 when it
 * cannot be read or does not look like a method (buf then undefined).
 */
int jvm_method_name(const struct jvm_mem *m, const struct jvm_layout *l, uint64_t method,
		    char *buf, size_t len);

/*
 * A method's external name from its class's internal name
 * ("java/lang/Thread"), its name and its descriptor ("(JI)V"): "void
 * java.lang.Thread.sleep(long, int)". -1 on a malformed descriptor.
 */
int jvm_external_name(const char *klass, const char *name, const char *sig, char *buf,
		      size_t len);

#endif
