// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Syscall names, from the table generated out of asm/unistd_64.h at build time. */
#include <stddef.h>
#include <string.h>
#include "syscalls.h"
#include "syscall_table.h"

#define TABLE_LEN (sizeof(syscall_names_table) / sizeof(syscall_names_table[0]))

const char *syscall_name(long nr)
{
	size_t i;

	/* The table is in number order with few gaps: start at the likely slot. */
	if (nr >= 0 && (size_t)nr < TABLE_LEN && syscall_names_table[nr].nr == nr)
		return syscall_names_table[nr].name;
	for (i = 0; i < TABLE_LEN; i++)
		if (syscall_names_table[i].nr == nr)
			return syscall_names_table[i].name;
	return NULL;
}

long syscall_number(const char *name)
{
	size_t i;

	for (i = 0; i < TABLE_LEN; i++)
		if (strcmp(syscall_names_table[i].name, name) == 0)
			return syscall_names_table[i].nr;
	return -1;
}
