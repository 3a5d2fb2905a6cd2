// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer harness: arbitrary bytes as a stream of kernel records into
 * the account, then sizing and both reports. Nothing may crash, leak or
 * trip a sanitizer, whatever the kernel (or a corrupted buffer) sends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "report.h"
#include "sizing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct account a;
	struct options o;
	struct report r;
	size_t off = 0;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (account_init(&a, NULL))
		return 0;
	/* Each record: a length byte, then that many bytes (as the ring hands them). */
	while (off < size) {
		size_t len = data[off++] * 2u;
		uint8_t rec[512] __attribute__((aligned(8)));

		if (len > size - off)
			len = size - off;
		memcpy(rec, data + off, len);
		account_record(&a, rec, len);
		off += len;
		/* Now and then, an interval boundary. */
		if (len && rec[len - 1] == 0xff)
			account_start_interval(&a);
	}
	account_finish(&a);
	memset(&o, 0, sizeof(o));
	o.utilization = 1;
	o.threads = o.histogram = o.verify = true;
	memset(&r, 0, sizeof(r));
	r.acct = &a;
	r.opts = &o;
	r.cores = 2;
	r.cores_source = "fuzz";
	r.stop_reason = "fuzz";
	o.time_sample = 16;
	/* Unknown, idle and busy CPUs in turn, for the run-queue rule. */
	r.cpu_busy = size % 3 == 0 ? -1 : (double)(size % 101) / 100;
	if (sizing_by_group(&a, 2, 1, r.cpu_busy, &r.total, &r.groups, &r.ngroups) == 0) {
		report_text(devnull, &r);
		report_json(devnull, &r);
		free(r.groups);
	}
	account_free(&a);
	return 0;
}
