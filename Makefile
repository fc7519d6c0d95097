# SPDX-License-Identifier: MIT
# easel: hand-written Makefile. Every library comes through pkg-config; objects and their
# dependency files live in $(BUILD). `make BUILD=build-x` keeps a second tree apart.
VERSION  := 0.1.0
PREFIX   ?= /usr/local
# Where easel looks for easel-mock when it is not in easel's own folder (design.md 7).
LIBEXECDIR ?= $(PREFIX)/libexec/easel
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share
BUILD    ?= build
CC       ?= cc
PKG_CONFIG ?= pkg-config

# Libraries below ui/ (the static library and the unit tests link these).
LIB_PKGS := libcurl jansson libpng spng libjpeg libwebp libcrypto zlib
# easel-mock's alone: the offline backend is the one part that draws (cairo) or serves, and the
# client links neither (design.md 7; tests/cli/layers.sh checks with ldd).
MOCK_PKGS := libmicrohttpd cairo
# stb's headers only: easel compiles stb_image_resize itself (src/gfx/stb_impl.c).
HDR_PKGS := stb
UI_PKGS  := ncursesw
# Only the unit tests need these (libsixel decodes sixel output to compare it): building and
# running easel does not.
TEST_PKGS := cmocka libsixel

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wpointer-arith -Wno-missing-field-initializers
OPT      ?= -O2 -g
# What easel needs is in EA_*; the user's CPPFLAGS, CFLAGS and LDFLAGS come after them and win
# (`make CFLAGS=-O0` still finds every header, since pkg-config's flags are preprocessor flags).
# Hardened by default: stack protector, fortified libc calls (not at -O0, where glibc cannot
# and says so), a position-independent executable with full RELRO and immediate binding.
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE
HARDEN_CPPFLAGS = $(if $(filter -O0,$(OPT) $(CFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
EA_CPPFLAGS = -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
              -DEASEL_VERSION='"$(VERSION)"' -MMD -MP $(HARDEN_CPPFLAGS) $(PKG_CPPFLAGS)
PKG_CPPFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) $(MOCK_PKGS) $(UI_PKGS) $(HDR_PKGS))
EA_CFLAGS   = -std=c11 $(OPT) $(WARN) -pthread $(HARDEN_CFLAGS)
EA_LDFLAGS  = -pthread $(HARDEN_LDFLAGS)
ALL_CPPFLAGS = $(EA_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = $(EA_CFLAGS) $(CFLAGS)
ALL_LDFLAGS  = $(EA_LDFLAGS) $(LDFLAGS)
# libcurl and libcrypto are not linked: src/net/curl_lazy.c and src/core/crypto_lazy.c load
# them at their first use, so that commands that never need them (show, --version) do not
# load their 29 libraries.
LDLIBS   += $(filter-out -lcurl -lcrypto,$(shell $(PKG_CONFIG) --libs $(LIB_PKGS))) -lm -pthread
UI_LIBS   = $(shell $(PKG_CONFIG) --libs $(UI_PKGS))
MOCK_LIBS = $(shell $(PKG_CONFIG) --libs $(MOCK_PKGS))
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

LIB_SRC  := $(sort $(wildcard src/core/*.c src/model/*.c src/net/*.c src/gfx/*.c))
# The offline backend: a library of its own (the unit tests and benches run it in-process) and
# main.c, easel-mock's entry point.
MOCK_MAIN := src/mock/main.c
MOCK_SRC := $(filter-out $(MOCK_MAIN),$(sort $(wildcard src/mock/*.c)))
MOCK_OBJ := $(MOCK_SRC:%.c=$(BUILD)/%.o)
APP_SRC  := src/main.c $(sort $(wildcard src/cli/*.c src/ui/*.c))
GEN_SRC  := $(BUILD)/gen/prices_default.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:%.c=%.o)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: FORCE all run check unit integration bench asan valgrind fuzz install uninstall clean \
        completions
all: $(BUILD)/easel $(BUILD)/easel-mock easel

# ./easel is a link to the binary so that the README's commands are short.
easel: $(BUILD)/easel
	ln -sf $(BUILD)/easel easel

$(BUILD)/easel: $(APP_OBJ) $(BUILD)/libeasel.a
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS) $(UI_LIBS)

$(BUILD)/easel-mock: $(MOCK_MAIN:%.c=$(BUILD)/%.o) $(BUILD)/libeasel-mock.a $(BUILD)/libeasel.a
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(MOCK_LIBS) $(LDLIBS)

$(BUILD)/libeasel.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $(filter %.o,$^)

$(BUILD)/libeasel-mock.a: $(MOCK_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $(filter %.o,$^)

# Only the helper's finder needs LIBEXECDIR, compiled in: a stamp rebuilds it when LIBEXECDIR
# (or PREFIX) changes, as for `make install PREFIX=...` after a plain `make`.
$(BUILD)/src/core/helper.o: EA_CPPFLAGS += -DEASEL_LIBEXECDIR='"$(LIBEXECDIR)"'
$(BUILD)/src/core/helper.o: $(BUILD)/libexecdir.stamp
$(BUILD)/libexecdir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@
FORCE:

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The default price table is data (data/prices.json), compiled in as a string so that easel
# works without an installed data file; $XDG_CONFIG_HOME/easel/prices.json overrides it.
$(BUILD)/gen/prices_default.c: data/prices.json tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh ea_prices_default_json < $< > $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libeasel-mock.a $(BUILD)/libeasel.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(BUILD)/libeasel-mock.a \
	    $(BUILD)/libeasel.a $(MOCK_LIBS) $(LDLIBS) $(TEST_LIBS)

# The benches are test tools: they may use the unit tests' helpers and packages (libsixel
# decodes sixel output to measure its PSNR).
$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libeasel-mock.a $(BUILD)/libeasel.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(BUILD)/libeasel-mock.a $(BUILD)/libeasel.a $(MOCK_LIBS) $(LDLIBS) $(TEST_LIBS)

run: all
	./easel $(ARGS)

# Unit tests (cmocka), then the integration scripts against loopback servers.
check: unit integration

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

integration: all
	@EASEL=$(abspath $(BUILD)/easel) sh tests/run-integration.sh

bench: all $(BENCH_BIN)
	@EASEL=$(abspath $(BUILD)/easel) BENCH_DIR=$(abspath $(BUILD)/bench) sh tests/bench/run.sh

# The sanitizer build lives in its own tree and runs the whole suite.
# Its own tree, ASAN_BUILD (build-asan unless given), so the plain build stays as it is.
ASAN_BUILD ?= build-asan
asan:
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) BUILD=$(ASAN_BUILD) OPT='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' check

# The integration paths once under valgrind (errors and definite leaks fail).
valgrind: all
	@EASEL=$(abspath $(BUILD)/easel) sh tests/valgrind.sh >$(BUILD)/valgrind.log 2>&1; rc=$$?; \
	cat $(BUILD)/valgrind.log; \
	echo "valgrind: $$(grep -c '^ok' $(BUILD)/valgrind.log) passed, $$(grep -c '^not ok' $(BUILD)/valgrind.log) failed"; \
	exit $$rc

# Each libFuzzer target for FUZZ_SECONDS (CI replays the corpora instead, in make check).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	sh tests/fuzz/build.sh
	@for t in $(FUZZ_TARGETS); do sh tests/fuzz/run.sh $$t $(FUZZ_SECONDS) || exit 1; done

# The price table is compiled in (data/prices.json, embedded); a user's override lives in
# $XDG_CONFIG_HOME/easel/prices.json. So no data file is installed.
BASH_COMPDIR ?= $(DATADIR)/bash-completion/completions
ZSH_COMPDIR  ?= $(DATADIR)/zsh/site-functions
FISH_COMPDIR ?= $(DATADIR)/fish/vendor_completions.d
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(BASH_COMPDIR) $(DESTDIR)$(ZSH_COMPDIR) $(DESTDIR)$(FISH_COMPDIR)
	install -m 0755 $(BUILD)/easel $(DESTDIR)$(BINDIR)/easel
	install -m 0755 $(BUILD)/easel-mock $(DESTDIR)$(LIBEXECDIR)/easel-mock
	install -m 0644 man/easel.1 $(DESTDIR)$(MANDIR)/man1/easel.1
	install -m 0644 man/easel.5 $(DESTDIR)$(MANDIR)/man5/easel.5
	install -m 0644 completions/easel.bash $(DESTDIR)$(BASH_COMPDIR)/easel
	install -m 0644 completions/_easel $(DESTDIR)$(ZSH_COMPDIR)/_easel
	install -m 0644 completions/easel.fish $(DESTDIR)$(FISH_COMPDIR)/easel.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/easel $(DESTDIR)$(MANDIR)/man1/easel.1 \
	    $(DESTDIR)$(MANDIR)/man5/easel.5 $(DESTDIR)$(BASH_COMPDIR)/easel \
	    $(DESTDIR)$(ZSH_COMPDIR)/_easel $(DESTDIR)$(FISH_COMPDIR)/easel.fish
	rm -f $(DESTDIR)$(LIBEXECDIR)/easel-mock
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

# The completion scripts are easel's output (tests/cli/completions.sh checks they still are).
completions: $(BUILD)/easel
	for s in bash zsh fish; do \
	    case $$s in bash) f=easel.bash ;; zsh) f=_easel ;; fish) f=easel.fish ;; esac; \
	    $(BUILD)/easel completions $$s >completions/$$f || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-fuzz-replay easel

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
