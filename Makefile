# SPDX-License-Identifier: MIT
# ade-unlock: top-level build. `make` builds the static binary (and what it
# needs), `make test` runs every test, `make deps` installs and builds deps.

SHELL := /bin/sh
.DEFAULT_GOAL := all

VERSION := $(shell cat VERSION)
# libcryptsetup crypto backend of the shipped binary (see README, design notes).
BACKEND ?= nettle
# Backends whose static libraries `make deps` builds (for the size comparison).
BACKENDS ?= nettle kernel

B := build
MUSL := $(B)/musl
CSP := $(MUSL)/cryptsetup-$(BACKEND)
LIBSTAMP := $(MUSL)/.ready-$(BACKEND)

SRC := $(sort $(wildcard unlock/src/*.c))
LIBSRC := $(filter-out unlock/src/main.c,$(SRC))
HDR := $(wildcard unlock/src/*.h)

export SOURCE_DATE_EPOCH ?= 1700000000

# ---- the static production binary -----------------------------------------
SCC := gcc -specs=unlock/musl-static-pie.specs
SCFLAGS := -std=gnu11 -Os -fPIE -Wall -Wextra -Werror -Wformat=2 -Wshadow \
	-fstack-protector-strong -fno-plt -fstack-clash-protection \
	-ffunction-sections -fdata-sections -ffile-prefix-map=$(CURDIR)=. \
	-isystem $(B)/kernel-include -I$(CSP)/include -I$(MUSL)/include \
	-DADE_STATIC -DADE_VERSION='"$(VERSION)"' -DADE_CRYPTO_BACKEND='"$(BACKEND)"' \
	-DADE_BACKEND_$(shell echo $(BACKEND) | tr a-z A-Z)
SLDFLAGS := -static-pie -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--gc-sections \
	-Wl,--build-id=sha1 -s
SLIBS = -L$(CSP)/lib -L$(MUSL)/lib -lcryptsetup -ldevmapper -ljson-c -lblkid \
	-luuid $(if $(filter nettle,$(BACKEND)),-lnettle) -lbearssl -lpthread -lm
SOBJ := $(patsubst unlock/src/%.c,$(B)/static-$(BACKEND)/%.o,$(SRC))

.PHONY: all deps test clean distclean fuzz bench demo qemu-test test-matrix test-installer

all: unlock/ade-unlock
	@unlock/ade-unlock --version
	@printf 'size: %s bytes (stripped, static, %s backend)\n' \
		"$$(stat -c %s unlock/ade-unlock)" "$(BACKEND)"
	@unlock/ade-unlock --self-check

deps:
	sh scripts/deps.sh
	sh scripts/build-libs.sh $(BACKENDS)
	touch $(MUSL)/.ready-nettle $(MUSL)/.ready-kernel

$(LIBSTAMP): scripts/deps.sh scripts/build-libs.sh $(wildcard scripts/patches/*.patch)
	sh scripts/deps.sh
	sh scripts/build-libs.sh $(sort $(BACKEND) $(BACKENDS))
	touch $@

$(B)/static-$(BACKEND)/%.o: unlock/src/%.c $(HDR) $(LIBSTAMP)
	@mkdir -p $(@D)
	$(SCC) $(SCFLAGS) -c $< -o $@

unlock/ade-unlock-$(BACKEND): $(SOBJ)
	$(SCC) $(SCFLAGS) $(SLDFLAGS) -o $@ $(SOBJ) $(SLIBS)

unlock/ade-unlock: unlock/ade-unlock-$(BACKEND)
	cp $< $@

# ---- the host test build (glibc, Debian's shared libs, ASan + UBSan) ------
HCC := gcc
HCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wformat=2 -Wshadow \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -I$(B)/host -Iunlock/src -DADE_HOST_BUILD \
	-DADE_VERSION='"$(VERSION)"' -DADE_CRYPTO_BACKEND='"host"'
HLIBS := -lcryptsetup -ldevmapper -ljson-c -lblkid -lbearssl -lpthread
HOBJ := $(patsubst unlock/src/%.c,$(B)/host/%.o,$(LIBSRC))
TESTS := $(patsubst unlock/tests/unit/%.c,$(B)/host/%,$(sort $(wildcard unlock/tests/unit/test_*.c)))

$(B)/host/ade-lib-versions.h: $(LIBSTAMP)
	@mkdir -p $(@D)
	sh scripts/host-versions.sh > $@

$(B)/host/%.o: unlock/src/%.c $(HDR) $(B)/host/ade-lib-versions.h
	$(HCC) $(HCFLAGS) -c $< -o $@

$(B)/host/libade.a: $(HOBJ)
	rm -f $@
	ar rcD $@ $^

$(B)/host/test_%: unlock/tests/unit/test_%.c unlock/tests/unit/*.h $(B)/host/libade.a
	$(HCC) $(HCFLAGS) -Iunlock/tests/unit -o $@ $< $(B)/host/libade.a -lcmocka $(HLIBS)

$(B)/host/ade-unlock: unlock/src/main.c $(B)/host/libade.a
	$(HCC) $(HCFLAGS) -o $@ $< $(B)/host/libade.a $(HLIBS)

# ---- fuzzing (libFuzzer, clang, ASan + UBSan) ------------------------------
FCC := clang
FCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -I$(B)/host -Iunlock/src -DADE_HOST_BUILD -DADE_FUZZING \
	-DADE_VERSION='"$(VERSION)"' -DADE_CRYPTO_BACKEND='"host"'
FOBJ := $(patsubst unlock/src/%.c,$(B)/fuzz/obj/%.o,$(LIBSRC))
FUZZERS := $(patsubst unlock/tests/fuzz/%.c,$(B)/fuzz/%,$(sort $(wildcard unlock/tests/fuzz/fuzz_*.c)))
# Seconds per target: `make test` keeps it short, `make fuzz` runs longer.
FUZZ_TIME ?= 30

$(B)/fuzz/obj/%.o: unlock/src/%.c $(HDR) $(B)/host/ade-lib-versions.h
	@mkdir -p $(@D)
	$(FCC) $(FCFLAGS) -c $< -o $@

$(B)/fuzz/fuzz_%: unlock/tests/fuzz/fuzz_%.c $(FOBJ)
	$(FCC) $(FCFLAGS) -fsanitize=fuzzer -o $@ $< $(FOBJ) $(HLIBS)

# Keep the instrumented objects between runs (they are only intermediates).
.SECONDARY: $(FOBJ)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do sh scripts/fuzz.sh "$$f" $(FUZZ_TIME) || exit 1; done

# ---- QEMU: real kernels, real dracut images, real disks (TCG) ---------------
# The demo: scenario 1 booted with the console live, then a summary.
# KIND=shell boots dracut's shell init instead of systemd.
KIND ?= systemd
demo: unlock/ade-unlock
	sh tests/qemu/demo.sh --kind $(KIND)

qemu-test: unlock/ade-unlock
	sh tests/qemu/run.sh --long
	sh tests/qemu/run.sh --stock

# Every Debian suite's stack (bullseye, bookworm, trixie) x generator kind
# (dracut systemd, dracut shell, initramfs-tools) x scenarios 1, 6, 8.
test-matrix: unlock/ade-unlock
	sh tests/qemu/matrix.sh

# The installer in a debootstrapped Debian 12 chroot: kernel updates, faults.
test-installer: unlock/ade-unlock
	sh tests/installer/run.sh

# ---- man pages (scdoc) ----------------------------------------------------------
.PHONY: man install deb rpm package test-package

MANPAGES := $(patsubst man/%.scd,$(B)/man/%,$(wildcard man/*.scd))

man: $(MANPAGES)

# @VERSION@ in a page's header becomes the VERSION file's; scdoc dates the
# page from SOURCE_DATE_EPOCH (reproducible).
$(B)/man/%: man/%.scd VERSION
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/g' $< | scdoc > $@.tmp
	mv $@.tmp $@

# ---- install (packagers: `make && make install DESTDIR=...`) ------------------
# PREFIX places the two programs and the man pages. The dracut module, the
# initramfs-tools hook and boot scripts, the kernel-install plugin and the
# Debian kernel hooks go where dracut, initramfs-tools, kernel-install and
# the kernel packages look, and the installer's libraries (hook/lib/,
# sourced: mode 0644) and the run script the initramfs-tools hook copies
# (read: mode 0644) where they are read, whatever PREFIX is; an
# installed ade-unlock-install finds its files under /usr/sbin and those
# places, so PREFIX other than /usr is for staging only. The binary is not
# rebuilt here: a packager may bring the already-built static one.
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DRACUTMODDIR ?= /usr/lib/dracut/modules.d/91ade-unlock
KINSTALLDIR ?= /usr/lib/kernel/install.d
LIBDIR ?= /usr/lib/ade-unlock
ITOOLSDIR ?= /usr/share/initramfs-tools
ITOOLS_FILES := hooks/ade-unlock scripts/init-premount/ade-unlock scripts/init-bottom/ade-unlock

install: man
	@test -x unlock/ade-unlock || \
		{ echo "make install: no unlock/ade-unlock: run 'make' first" >&2; exit 1; }
	install -D -m 0755 unlock/ade-unlock $(DESTDIR)$(SBINDIR)/ade-unlock
	install -D -m 0755 hook/ade-unlock-install $(DESTDIR)$(SBINDIR)/ade-unlock-install
	install -d $(DESTDIR)$(LIBDIR)
	install -m 0644 hook/lib/*.sh $(DESTDIR)$(LIBDIR)/
	install -m 0644 dracut-module/ade-unlock-run.sh $(DESTDIR)$(LIBDIR)/ade-unlock-run.sh
	for f in $(ITOOLS_FILES); do \
		install -D -m 0755 initramfs-tools/$$f $(DESTDIR)$(ITOOLSDIR)/$$f || exit 1; \
	done
	install -d $(DESTDIR)$(DRACUTMODDIR)
	for f in dracut-module/*; do \
		case "$$f" in *.sh) m=0755 ;; *) m=0644 ;; esac; \
		install -m "$$m" "$$f" $(DESTDIR)$(DRACUTMODDIR)/ || exit 1; \
	done
	install -D -m 0755 hook/kernel-postinst.d/zz-ade-unlock \
		$(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/zz-ade-unlock
	install -D -m 0755 hook/kernel-postrm.d/zz-ade-unlock \
		$(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d/zz-ade-unlock
	install -D -m 0755 hook/kernel-install.d/60-ade-unlock.install \
		$(DESTDIR)$(KINSTALLDIR)/60-ade-unlock.install
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/

# ---- packages: built in a copy of the tree under build/package/ -----------------
# (dpkg-buildpackage cleans its tree and writes beside it; this one stays as it is.)
deb:
	sh tests/package/build.sh deb

# The RPM packages the static binary built here (see ade-unlock.spec).
rpm: unlock/ade-unlock
	sh tests/package/build.sh rpm

package: deb rpm

# Build, install, kernel update, removal and lintian of the packages (root).
test-package:
	sh tests/package/run.sh

# ---- benchmarks: figures and ratios, never pass/fail -------------------------
bench: unlock/ade-unlock
	sh bench/run.sh

# ---- tests -----------------------------------------------------------------
test: unlock/ade-unlock $(TESTS) $(B)/host/ade-unlock $(FUZZERS)
	FUZZ_TIME=$(FUZZ_TIME) sh scripts/run-tests.sh $(TESTS)

clean:
	rm -rf $(B)/static-* $(B)/host unlock/ade-unlock unlock/ade-unlock-*

distclean: clean
	rm -rf $(B)
