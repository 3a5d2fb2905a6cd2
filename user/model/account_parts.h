/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Inside the account: what its files (account.c, account_index.c,
 * account_calls.c, account_agg.c, account_retire.c) share with each other.
 * Nothing outside user/model/account*.c includes this.
 */
#ifndef ACCOUNT_PARTS_H
#define ACCOUNT_PARTS_H

#include "account.h"

/* Rebuilds the TID index after the thread table was compacted. */
void account_index_rebuild(struct account *a);
/* The counts of syscall nr; numbers past the table share one slot. */
struct syscall_stats *account_syscall_stats(struct account *a, long nr);
/* nr's slot in the thread's small table of syscalls (see the eviction rule there). */
struct thread_syscall *thread_syscall_slot(struct thread_stats *t, long nr);
/* Counts a signal-interrupted call that was never restarted. */
void account_flush_pending(struct account *a, struct thread_stats *t);
/* Folds every dead thread into its group's aggregate entry. */
void account_retire_exited(struct account *a);
/* Judges what a blocking call's blocked time meant (waits.c) and books it into t. */
void account_judge_wait(struct account *a, struct thread_stats *t, const struct call_record *c);
/* Hands a finished call to each observer. */
void account_notify_call(struct account *a, const struct call_record *c,
			 const struct thread_stats *t);

/* Keeps the span of a blocking wait just judged as cls, for occupancy.c (account_spans.c). */
void account_note_span(struct account *a, struct thread_stats *t, const struct call_record *c,
		       enum wait_class cls);
/* A thread's waits forgotten: at a new interval (keep != 0 keeps the memory) or at its retirement. */
void account_drop_spans(struct account *a, struct thread_stats *t, bool keep);

#endif
