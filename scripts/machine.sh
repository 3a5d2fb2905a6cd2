#!/usr/bin/env bash
# One line that says which host this is, for reading a run against it:
# CPUs, kernel, load, and the mitigations that set what every syscall costs
# (PTI's two address-space switches; SRSO's safe RET). Hosts of one kind
# differ by these: getppid was ~280 ns on one (SRSO, no PTI), ~1 us on
# another (PTI without PCID).
vuln() { cat "/sys/devices/system/cpu/vulnerabilities/$1" 2>/dev/null || echo unknown; }
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
pcid=$(grep -qw pcid /proc/cpuinfo && echo PCID || echo "no PCID")
echo "machine: $(nproc) CPUs ($model, $pcid), kernel $(uname -r)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"meltdown: $(vuln meltdown), spec_rstack_overflow: $(vuln spec_rstack_overflow)"
