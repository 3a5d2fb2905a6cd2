// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Which calls block, and what their blocked time means for sizing. */
#include <errno.h>
#include <string.h>
#include "classify.h"
#include "syscalls.h"

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define MAX_ERRNO 4095

/* Calls in which a thread waits for new work to arrive. */
static const char *const idle_calls[] = {
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6",
	"accept", "accept4", "pause", "rt_sigsuspend", "rt_sigtimedwait", "wait4", "waitid",
};

/* Calls in which a thread waits for another thread. */
static const char *const sync_calls[] = { "futex", "futex_waitv" };

static bool in_list(long nr, const char *const *list, size_t len)
{
	const char *name = syscall_name(nr);
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < len; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

const char *wait_class_name(enum wait_class c)
{
	switch (c) {
	case CLASS_WAIT:
		return "wait";
	case CLASS_IDLE:
		return "idle";
	case CLASS_SYNC:
		return "sync";
	default:
		return "?";
	}
}

int wait_class_parse(const char *s)
{
	if (strcmp(s, "wait") == 0 || strcmp(s, "io") == 0)
		return CLASS_WAIT;
	if (strcmp(s, "idle") == 0)
		return CLASS_IDLE;
	if (strcmp(s, "sync") == 0)
		return CLASS_SYNC;
	return -1;
}

enum wait_class syscall_class(long nr, const struct class_overrides *ov)
{
	int i;

	for (i = 0; ov && i < ov->count; i++)
		if (ov->nr[i] == nr)
			return ov->cls[i];
	if (in_list(nr, idle_calls, sizeof(idle_calls) / sizeof(idle_calls[0])))
		return CLASS_IDLE;
	if (in_list(nr, sync_calls, sizeof(sync_calls) / sizeof(sync_calls[0])))
		return CLASS_SYNC;
	return CLASS_WAIT;
}

int class_override_add(struct class_overrides *ov, const char *spec, const char **why)
{
	char name[64];
	const char *eq = strchr(spec, '=');
	size_t len;
	long nr;
	int cls;

	if (!eq || eq == spec) {
		*why = "expected SYSCALL=CLASS";
		return -1;
	}
	len = (size_t)(eq - spec);
	if (len >= sizeof(name)) {
		*why = "unknown syscall";
		return -1;
	}
	memcpy(name, spec, len);
	name[len] = '\0';
	nr = syscall_number(name);
	if (nr < 0) {
		*why = "unknown syscall";
		return -1;
	}
	cls = wait_class_parse(eq + 1);
	if (cls < 0) {
		*why = "class must be wait, idle or sync";
		return -1;
	}
	if (ov->count >= (int)(sizeof(ov->nr) / sizeof(ov->nr[0]))) {
		*why = "too many overrides";
		return -1;
	}
	ov->nr[ov->count] = nr;
	ov->cls[ov->count] = (enum wait_class)cls;
	ov->count++;
	return 0;
}

bool is_restart_return(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	       ret == -ERESTART_RESTARTBLOCK;
}

bool is_eagain_return(long ret)
{
	return ret == -EAGAIN;
}

bool is_error_return(long ret)
{
	return ret < 0 && ret >= -MAX_ERRNO && !is_eagain_return(ret) && !is_restart_return(ret);
}
