# blockscope: .bpf.c -> .bpf.o -> .skel.h -> binary, in the style of
# libbpf-bootstrap. Quiet by default; V=1 shows every command.
.DELETE_ON_ERROR:
.SUFFIXES:

BUILD ?= build
# The kernel's name for the architecture: where its vmlinux header lives.
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' \
	-e 's/s390x/s390/' -e 's/riscv64/riscv/' -e 's/loongarch64/loongarch/')
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
CFLAGS ?= -O2 -g
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
WARN := -Wall -Wextra -Werror
LIBS := -lbpf -lelf -ldw -lstdc++ -lz -ljson-c -lmicrohttpd -lgnutls -lyaml -lcrypt -lm

VMLINUX := vmlinux/$(ARCH)/vmlinux.h
BPF_SRC := bpf/blockscope.bpf.c
BPF_OBJ := $(BUILD)/bpf/blockscope.bpf.o
SKEL := $(BUILD)/blockscope.skel.h
SYSCALL_TABLE := $(BUILD)/syscall_table.h
DEPS_STAMP := build/.deps-installed

# user/ by layer: cli, modes, tracing, model, stages, output, util (see README).
USER_DIRS := $(sort $(dir $(wildcard user/*/*.c)))
USER_SRCS := $(wildcard user/*.c user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
USER_INC := -Iuser $(patsubst %/,-I%,$(USER_DIRS)) -Ibpf -I$(BUILD)
# Everything but main(): what the unit tests link against.
LIB_OBJS := $(filter-out $(BUILD)/obj/blockscope.o,$(USER_OBJS))

TARGET_SRCS := $(filter-out targets/common.c,$(wildcard targets/*.c))
TARGET_BINS := $(patsubst targets/%.c,$(BUILD)/targets/%,$(TARGET_SRCS))
PROG_SRCS := $(wildcard tests/progs/*.c)
PROG_BINS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(PROG_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))

SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

# make install: PREFIX and DESTDIR as usual; blockscope(8) goes in sbin.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
MAN_PAGE := $(BUILD)/blockscope.8
COMPLETION := $(BUILD)/blockscope.bash

.PHONY: all deps test-deps vmlinux targets progs unit test test-long test-real test-runtimes sweep sweep-jvm demo bench fuzz \
	clean format install uninstall deb

all: $(BUILD)/blockscope $(MAN_PAGE) $(COMPLETION) targets

deps: $(DEPS_STAMP)

# What the test suites share (cmocka, jq, valgrind, tmux...); a suite that
# alone needs a package (Chromium, Prometheus, a server) installs it itself.
test-deps: | $(DEPS_STAMP)
	$(Q)scripts/install-deps.sh --tests

# Installs what is missing the first time; re-run when the list changes.
$(DEPS_STAMP): scripts/install-deps.sh
	$(call msg,DEPS,checking Debian packages)
	$(Q)scripts/install-deps.sh
	$(Q)mkdir -p $(dir $@) && touch $@

vmlinux: | $(DEPS_STAMP)
	$(call msg,GEN,$(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

$(BPF_OBJ): $(BPF_SRC) bpf/blockscope.h $(VMLINUX) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
		-Ivmlinux/$(ARCH) -Ibpf -c $< -o $@
	$(Q)llvm-strip -g $@

$(SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name blockscope_bpf > $@

$(SYSCALL_TABLE): scripts/gen-syscall-names.sh | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)scripts/gen-syscall-names.sh > $@

# -MMD -MP: each object knows the headers it read (build/obj/**/*.d).
$(BUILD)/obj/%.o: user/%.c $(SKEL) $(SYSCALL_TABLE)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(EXTRA_CFLAGS) -MMD -MP $(USER_INC) -c $< -o $@

-include $(USER_OBJS:.o=.d)

$(BUILD)/blockscope: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $^ $(LIBS) $(EXTRA_LDFLAGS) -o $@

# The manual page has one source, docs/blockscope.8; its version is the
# binary's own (--version), the one place the version is written.
$(MAN_PAGE): docs/blockscope.8 $(BUILD)/blockscope
	$(call msg,GEN,$@)
	$(Q)v=$$($(BUILD)/blockscope --version | sed -n '1s/^blockscope //p'); \
		[ -n "$$v" ] || { echo "no version from $(BUILD)/blockscope --version" >&2; exit 1; }; \
		sed "s/@VERSION@/$$v/g" $< > $@

# Bash completion, its option lists taken from the binary's --help.
$(COMPLETION): scripts/gen-completion.sh $(BUILD)/blockscope
	$(call msg,GEN,$@)
	$(Q)scripts/gen-completion.sh $(BUILD)/blockscope > $@

install: $(BUILD)/blockscope $(MAN_PAGE) $(COMPLETION)
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/blockscope)
	$(Q)install -D -m 0755 $(BUILD)/blockscope $(DESTDIR)$(SBINDIR)/blockscope
	$(call msg,INSTALL,$(DESTDIR)$(MANDIR)/man8/blockscope.8)
	$(Q)install -D -m 0644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man8/blockscope.8
	$(call msg,INSTALL,$(DESTDIR)$(BASHCOMPDIR)/blockscope)
	$(Q)install -D -m 0644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/blockscope

uninstall:
	$(call msg,REMOVE,$(DESTDIR)$(SBINDIR)/blockscope and its page and completion)
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/blockscope $(DESTDIR)$(MANDIR)/man8/blockscope.8 \
		$(DESTDIR)$(BASHCOMPDIR)/blockscope

# A Debian package, build/blockscope_VERSION_ARCH.deb: built with Debian's
# hardening flags in $(BUILD)/deb, checked by lintian (no error allowed).
deb: | $(DEPS_STAMP)
	$(Q)scripts/install-deps.sh dpkg-dev lintian
	$(Q)scripts/make-deb.sh $(BUILD)

targets: $(TARGET_BINS)

$(BUILD)/targets/%: targets/%.c targets/common.c $(wildcard targets/*.h) | $(DEPS_STAMP)
	$(call msg,TARGET,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer $(WARN) $(EXTRA_CFLAGS) -pthread -Itargets \
		-o $@ $< targets/common.c $(EXTRA_LDFLAGS)

progs: $(PROG_BINS)

$(BUILD)/tests/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h) | test-deps
	$(call msg,PROG,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer $(WARN) -pthread -o $@ $<

unit: $(UNIT_BINS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) | test-deps
	$(call msg,UNIT,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(EXTRA_CFLAGS) $(USER_INC) $^ \
		-lcmocka $(LIBS) $(EXTRA_LDFLAGS) -o $@

# The whole test suite: unit tests, the same under ASan+UBSan, integration
# tests against the real kernel (also with the sanitized collector), and one
# closing line that sums every suite.
test: all progs unit test-deps
	$(Q)$(MAKE) BUILD=$(BUILD)/sanitize EXTRA_CFLAGS="$(SANITIZE)" \
		EXTRA_LDFLAGS="$(SANITIZE)" $(BUILD)/sanitize/blockscope unit
	$(Q)tests/run-all.sh $(BUILD)

# The long suites: thread churn for 60 s with flat memory.
test-long: all progs test-deps
	$(Q)BUILD=$(BUILD) BLOCKSCOPE=$(BUILD)/blockscope tests/long/test_churn.sh

# Real servers from Debian (nginx, Apache, Redis, PostgreSQL) under load.
test-real: all test-deps
	$(Q)tests/real/run.sh $(BUILD)

# Real runtimes (JVM, Tomcat, CPython, gunicorn, Node.js, Go, glibc) under
# light and heavy load: blockscope's answers on them (issue 14).
test-runtimes: all progs
	$(Q)tests/runtimes/run.sh $(BUILD)

# The pool-size sweep: the formula against measured throughput knees.
sweep: all
	$(Q)scripts/install-deps.sh gnuplot-nox
	$(Q)scripts/sweep.sh $(BUILD)

# The same sweep on a real runtime: the JVM's Executors.newFixedThreadPool
# (tests/runtimes/PoolServer.java), out in $(BUILD)/sweep-jvm (issue 14).
sweep-jvm: all
	$(Q)scripts/install-deps.sh gnuplot-nox openjdk-17-jdk-headless
	$(call msg,JAVAC,$(BUILD)/java/PoolServer.class)
	$(Q)mkdir -p $(BUILD)/java
	$(Q)javac -Xlint:all -Werror -d $(BUILD)/java tests/runtimes/PoolServer.java
	$(Q)SWEEP_SERVER=jvm SWEEP_JVM_CLASSES=$(BUILD)/java scripts/sweep.sh $(BUILD)

demo: all
	$(Q)scripts/demo.sh $(BUILD)

# libFuzzer over the record decoder and the option parsers, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz: | $(DEPS_STAMP)
	$(Q)scripts/install-deps.sh libclang-rt-14-dev
	$(Q)$(MAKE) BUILD=$(BUILD)/fuzz CC=clang EXTRA_CFLAGS="$(FUZZ_FLAGS)" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" $(BUILD)/fuzz/fuzz_records $(BUILD)/fuzz/fuzz_options
	$(Q)for f in records options; do \
		mkdir -p $(BUILD)/fuzz/corpus-$$f; \
		echo "  FUZZ     $$f for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-$$f \
			>$(BUILD)/fuzz/$$f.log 2>&1 || { tail -30 $(BUILD)/fuzz/$$f.log; exit 1; }; \
		tail -1 $(BUILD)/fuzz/$$f.log; \
	done

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJS)
	$(call msg,FUZZER,$@)
	$(Q)$(CC) -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) $(USER_INC) $^ \
		$(LIBS) -o $@

# Overhead and capacity side by side with strace, perf, bpftrace, syscount.
bench: all progs
	$(Q)scripts/install-deps.sh strace linux-perf bpftrace libbpf-tools
	$(Q)scripts/bench.sh $(BUILD)

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*/*.c user/*/*.h targets/*.c targets/*.h tests/unit/*.c tests/progs/*.c

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)/bpf $(BUILD)/obj $(BUILD)/targets $(BUILD)/tests $(BUILD)/sanitize \
		$(BUILD)/blockscope $(SKEL) $(SYSCALL_TABLE) $(MAN_PAGE) $(COMPLETION) \
		$(BUILD)/deb $(BUILD)/blockscope_*.deb
