// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Interpreted Java frames named from HotSpot's exported VMStructs tables (jvm_frames.h). */
#include <stdio.h>
#include <string.h>
#include "jvm_frames.h"

const char *const jvm_export_names[JVM_EXPORT_COUNT] = {
	[JVM_STRUCTS] = "gHotSpotVMStructs",
	[JVM_STRUCT_TYPE_NAME] = "gHotSpotVMStructEntryTypeNameOffset",
	[JVM_STRUCT_FIELD_NAME] = "gHotSpotVMStructEntryFieldNameOffset",
	[JVM_STRUCT_IS_STATIC] = "gHotSpotVMStructEntryIsStaticOffset",
	[JVM_STRUCT_OFFSET] = "gHotSpotVMStructEntryOffsetOffset",
	[JVM_STRUCT_ADDRESS] = "gHotSpotVMStructEntryAddressOffset",
	[JVM_STRUCT_STRIDE] = "gHotSpotVMStructEntryArrayStride",
	[JVM_TYPES] = "gHotSpotVMTypes",
	[JVM_TYPE_NAME] = "gHotSpotVMTypeEntryTypeNameOffset",
	[JVM_TYPE_SIZE] = "gHotSpotVMTypeEntrySizeOffset",
	[JVM_TYPE_STRIDE] = "gHotSpotVMTypeEntryArrayStride",
};

/* HotSpot 17 has about 800 fields and 770 types: a bound far above, against a corrupt table. */
#define JVM_MAX_ENTRIES 20000
/* An entry of either table is a few words; a bigger stride is not a table we know. */
#define JVM_MAX_STRIDE 256
/* Class, method and descriptor names longer than this are not named. */
#define JVM_MAX_SYMBOL 1024

static bool rd(const struct jvm_mem *m, uint64_t addr, void *buf, size_t len)
{
	return addr && m->read(m->ctx, addr, buf, len);
}

static bool rd_u64(const struct jvm_mem *m, uint64_t addr, uint64_t *v)
{
	return rd(m, addr, v, sizeof(*v));
}

static bool rd_u16(const struct jvm_mem *m, uint64_t addr, uint16_t *v)
{
	return rd(m, addr, v, sizeof(*v));
}

/* A C string of the JVM, read up to page ends so that a read never runs into an unmapped page. */
static bool rd_cstr(const struct jvm_mem *m, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		char *nul;

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if (!rd(m, addr + got, buf + got, chunk))
			return false;
		buf[got + chunk] = '\0';
		nul = memchr(buf + got, '\0', chunk);
		if (nul)
			return true;
		got += chunk;
	}
	return false; /* longer than any name we look for */
}

/* One field of the VMStructs table that the layout needs. */
struct want {
	const char *type, *field;
	size_t slot; /* offsetof(struct jvm_layout, ...) */
	bool is_static;
};

#define SLOT(f) offsetof(struct jvm_layout, f)

static const struct want wants[] = {
	{ "Method", "_constMethod", SLOT(method_const_method), false },
	{ "ConstMethod", "_constants", SLOT(const_method_constants), false },
	{ "ConstMethod", "_name_index", SLOT(const_method_name_index), false },
	{ "ConstMethod", "_signature_index", SLOT(const_method_sig_index), false },
	{ "ConstantPool", "_pool_holder", SLOT(cpool_holder), false },
	{ "Klass", "_name", SLOT(klass_name), false },
	{ "Symbol", "_length", SLOT(symbol_length), false },
	/* HotSpot 17 lists both; older ones one or the other */
	{ "Symbol", "_body", SLOT(symbol_body), false },
	{ "Symbol", "_body[0]", SLOT(symbol_body), false },
	{ "AbstractInterpreter", "_code", SLOT(interpreter_code), true },
	{ "StubQueue", "_stub_buffer", SLOT(stubq_buffer), false },
	{ "StubQueue", "_buffer_limit", SLOT(stubq_limit), false },
};

#define NWANTS (sizeof(wants) / sizeof(wants[0]))

/* Reads the exported words that say where the tables are and how their entries are laid out. */
static bool read_exports(const struct jvm_mem *m, const uint64_t exports[JVM_EXPORT_COUNT],
			 uint64_t v[JVM_EXPORT_COUNT])
{
	int i;

	for (i = 0; i < JVM_EXPORT_COUNT; i++)
		if (!rd_u64(m, exports[i], &v[i]))
			return false;
	if (!v[JVM_STRUCTS] || !v[JVM_TYPES] || !v[JVM_STRUCT_STRIDE] || !v[JVM_TYPE_STRIDE] ||
	    v[JVM_STRUCT_STRIDE] > JVM_MAX_STRIDE || v[JVM_TYPE_STRIDE] > JVM_MAX_STRIDE)
		return false;
	for (i = 0; i < JVM_EXPORT_COUNT; i++) {
		uint64_t stride = i < JVM_TYPES ? v[JVM_STRUCT_STRIDE] : v[JVM_TYPE_STRIDE];

		if (i != JVM_STRUCTS && i != JVM_TYPES && i != JVM_STRUCT_STRIDE &&
		    i != JVM_TYPE_STRIDE && v[i] + 8 > stride)
			return false;
	}
	return true;
}

static bool fields_read(const struct jvm_mem *m, const uint64_t v[JVM_EXPORT_COUNT],
			struct jvm_layout *l, unsigned *found)
{
	uint64_t stride = v[JVM_STRUCT_STRIDE], last_type = 0;
	uint8_t e[JVM_MAX_STRIDE];
	char type[64] = "", field[64];
	int i;
	size_t w;

	for (i = 0; i < JVM_MAX_ENTRIES; i++) {
		uint64_t type_at, field_at, offset, address;
		int32_t is_static;

		if (!rd(m, v[JVM_STRUCTS] + (uint64_t)i * stride, e, stride))
			return false;
		memcpy(&type_at, e + v[JVM_STRUCT_TYPE_NAME], 8);
		if (!type_at)
			return true; /* the table ends with an entry of no type */
		/* A type's fields come together, with the same string: read it once. */
		if (type_at != last_type) {
			if (!rd_cstr(m, type_at, type, sizeof(type)))
				type[0] = '\0'; /* a long name: not one we want */
			last_type = type_at;
		}
		for (w = 0; w < NWANTS && strcmp(wants[w].type, type); w++)
			;
		if (w == NWANTS)
			continue;
		memcpy(&field_at, e + v[JVM_STRUCT_FIELD_NAME], 8);
		if (!field_at || !rd_cstr(m, field_at, field, sizeof(field)))
			continue;
		memcpy(&is_static, e + v[JVM_STRUCT_IS_STATIC], 4);
		memcpy(&offset, e + v[JVM_STRUCT_OFFSET], 8);
		memcpy(&address, e + v[JVM_STRUCT_ADDRESS], 8);
		for (; w < NWANTS; w++) {
			if (strcmp(wants[w].type, type) || strcmp(wants[w].field, field) ||
			    (is_static != 0) != wants[w].is_static || (*found & (1u << w)))
				continue;
			*(uint64_t *)((char *)l + wants[w].slot) = wants[w].is_static ? address : offset;
			*found |= 1u << w;
		}
	}
	return false;
}

static bool type_size_read(const struct jvm_mem *m, const uint64_t v[JVM_EXPORT_COUNT],
			   const char *want, uint64_t *size)
{
	uint64_t stride = v[JVM_TYPE_STRIDE];
	uint8_t e[JVM_MAX_STRIDE];
	char type[64];
	int i;

	for (i = 0; i < JVM_MAX_ENTRIES; i++) {
		uint64_t type_at;

		if (!rd(m, v[JVM_TYPES] + (uint64_t)i * stride, e, stride))
			return false;
		memcpy(&type_at, e + v[JVM_TYPE_NAME], 8);
		if (!type_at)
			return false;
		if (rd_cstr(m, type_at, type, sizeof(type)) && !strcmp(type, want)) {
			memcpy(size, e + v[JVM_TYPE_SIZE], 8);
			return *size != 0;
		}
	}
	return false;
}

int jvm_layout_read(const struct jvm_mem *m, const uint64_t exports[JVM_EXPORT_COUNT],
		    struct jvm_layout *l)
{
	uint64_t v[JVM_EXPORT_COUNT];
	unsigned found = 0;
	size_t w;

	memset(l, 0, sizeof(*l));
	if (!read_exports(m, exports, v) || !fields_read(m, v, l, &found))
		return -1;
	/* every slot found, by one of its names */
	for (w = 0; w < NWANTS; w++) {
		size_t k;
		bool any = false;

		for (k = 0; k < NWANTS; k++)
			if (wants[k].slot == wants[w].slot && (found & (1u << k)))
				any = true;
		if (!any)
			return -1;
	}
	return type_size_read(m, v, "ConstantPool", &l->cpool_size) ? 0 : -1;
}

int jvm_interpreter_range(const struct jvm_mem *m, const struct jvm_layout *l, uint64_t *lo,
			  uint64_t *hi)
{
	uint64_t queue, buffer;
	int32_t limit;

	if (!rd_u64(m, l->interpreter_code, &queue) || !queue ||
	    !rd_u64(m, queue + l->stubq_buffer, &buffer) || !buffer ||
	    !rd(m, queue + l->stubq_limit, &limit, sizeof(limit)) || limit <= 0)
		return -1;
	*lo = buffer;
	*hi = buffer + (uint64_t)limit;
	return 0;
}

/* A Symbol's bytes (modified UTF-8, not NUL-terminated in the JVM) as a C string. */
static bool rd_symbol(const struct jvm_mem *m, const struct jvm_layout *l, uint64_t sym,
		      char *buf, size_t len)
{
	uint16_t n;
	size_t i;

	if (!sym || (sym & 7) || !rd_u16(m, sym + l->symbol_length, &n) || !n || n >= len ||
	    !rd(m, sym + l->symbol_body, buf, n))
		return false;
	buf[n] = '\0';
	/* Garbage read as a Symbol, not a name: a control byte or a NUL. */
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20)
			return false;
	return true;
}

int jvm_method_name(const struct jvm_mem *m, const struct jvm_layout *l, uint64_t method,
		    char *buf, size_t len)
{
	uint64_t cm, cp, holder, kname, name_sym, sig_sym;
	char klass[JVM_MAX_SYMBOL], name[JVM_MAX_SYMBOL], sig[JVM_MAX_SYMBOL];
	uint16_t name_index, sig_index;

	/* Metadata is word-aligned: anything else read from the frame is not a Method*. */
	if (!method || (method & 7) || !rd_u64(m, method + l->method_const_method, &cm) ||
	    !cm || (cm & 7) || !rd_u64(m, cm + l->const_method_constants, &cp) || !cp || (cp & 7) ||
	    !rd_u16(m, cm + l->const_method_name_index, &name_index) ||
	    !rd_u16(m, cm + l->const_method_sig_index, &sig_index) || !name_index || !sig_index ||
	    !rd_u64(m, cp + l->cpool_holder, &holder) || !holder || (holder & 7) ||
	    !rd_u64(m, holder + l->klass_name, &kname) ||
	    /* the pool's slots follow it, one word each */
	    !rd_u64(m, cp + l->cpool_size + 8ull * name_index, &name_sym) ||
	    !rd_u64(m, cp + l->cpool_size + 8ull * sig_index, &sig_sym) ||
	    !rd_symbol(m, l, kname, klass, sizeof(klass)) ||
	    !rd_symbol(m, l, name_sym, name, sizeof(name)) ||
	    !rd_symbol(m, l, sig_sym, sig, sizeof(sig)))
		return -1;
	return jvm_external_name(klass, name, sig, buf, len);
}

/* Appends to a bounded buffer; what does not fit is cut, never overrun. */
struct out {
	char *buf;
	size_t len, at;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (; n && *s; s++, n--)
		if (o->at + 1 < o->len)
			o->buf[o->at++] = *s == '/' ? '.' : *s;
	if (o->len)
		o->buf[o->at < o->len ? o->at : o->len - 1] = '\0';
}

/* One field type of a descriptor at s, written as Java source writes it; the end of it, or NULL. */
static const char *put_type(struct out *o, const char *s)
{
	static const char *const prims[][2] = {
		{ "B", "byte" }, { "C", "char" },  { "D", "double" }, { "F", "float" }, { "I", "int" },
		{ "J", "long" }, { "S", "short" }, { "Z", "boolean" }, { "V", "void" },
	};
	int dims = 0;
	size_t i;

	while (*s == '[')
		dims++, s++;
	if (*s == 'L') {
		const char *semi = strchr(s, ';');

		if (!semi || semi == s + 1)
			return NULL;
		put(o, s + 1, (size_t)(semi - s - 1));
		s = semi + 1;
	} else {
		for (i = 0; i < sizeof(prims) / sizeof(prims[0]) && *s != prims[i][0][0]; i++)
			;
		/* void is a return type only, and no array's */
		if (!*s || i == sizeof(prims) / sizeof(prims[0]) || (*s == 'V' && dims))
			return NULL;
		put(o, prims[i][1], (size_t)-1);
		s++;
	}
	while (dims--)
		put(o, "[]", 2);
	return s;
}

int jvm_external_name(const char *klass, const char *name, const char *sig, char *buf,
		      size_t len)
{
	struct out o = { buf, len, 0 };
	const char *ret = sig[0] == '(' ? strchr(sig, ')') : NULL;
	const char *p;
	bool first = true;

	if (!len)
		return -1;
	buf[0] = '\0';
	/* "void java.lang.Thread.sleep(long)": Method::external_name(), as the perf map has it */
	if (!ret || !(p = put_type(&o, ret + 1)) || *p)
		return -1;
	put(&o, " ", 1);
	put(&o, klass, (size_t)-1);
	put(&o, ".", 1);
	put(&o, name, (size_t)-1);
	put(&o, "(", 1);
	for (p = sig + 1; p < ret; first = false) {
		if (!first)
			put(&o, ", ", 2);
		/* void is a return type only */
		p = *p == 'V' ? NULL : put_type(&o, p);
		if (!p || p > ret)
			return -1;
	}
	put(&o, ")", 1);
	return 0;
}
