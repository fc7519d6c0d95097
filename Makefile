# easel: hand-written Makefile. Every library comes through pkg-config; objects and their
# dependency files live in $(BUILD). `make BUILD=build-x` keeps a second tree apart.
VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
PKG_CONFIG ?= pkg-config

# Libraries below ui/ (the static library and the unit tests link these).
LIB_PKGS := libcurl jansson libmicrohttpd cairo libpng spng libjpeg libwebp libcrypto libsixel zlib
# stb's headers only: easel compiles stb_image_resize itself (src/gfx/stb_impl.c).
HDR_PKGS := stb
UI_PKGS  := ncursesw
TEST_PKGS := cmocka

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wpointer-arith -Wno-missing-field-initializers
OPT      ?= -O2 -g
CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DEASEL_VERSION='"$(VERSION)"' -MMD -MP
CFLAGS   += -std=c11 $(OPT) $(WARN) -pthread \
            $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) $(UI_PKGS) $(HDR_PKGS))
LDLIBS   += $(shell $(PKG_CONFIG) --libs $(LIB_PKGS) $(UI_PKGS)) -lm -pthread
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

LIB_SRC  := $(sort $(wildcard src/core/*.c src/model/*.c src/net/*.c src/net/mock/*.c src/gfx/*.c))
APP_SRC  := src/main.c $(sort $(wildcard src/cli/*.c src/ui/*.c))
GEN_SRC  := $(BUILD)/gen/prices_default.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:%.c=%.o)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all run check unit integration bench asan valgrind fuzz install uninstall clean
all: $(BUILD)/easel easel

# ./easel is a link to the binary so that the README's commands are short.
easel: $(BUILD)/easel
	ln -sf $(BUILD)/easel easel

$(BUILD)/easel: $(APP_OBJ) $(BUILD)/libeasel.a
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)

$(BUILD)/libeasel.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $(filter %.o,$^)

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The default price table is data (data/prices.json), compiled in as a string so that easel
# works without an installed data file; $XDG_CONFIG_HOME/easel/prices.json overrides it.
$(BUILD)/gen/prices_default.c: data/prices.json tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh ea_prices_default_json < $< > $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libeasel.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libeasel.a $(LDLIBS) $(TEST_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libeasel.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libeasel.a $(LDLIBS)

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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/easel
	install -m 0755 $(BUILD)/easel $(DESTDIR)$(PREFIX)/bin/easel
	install -d $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 man/easel.1 $(DESTDIR)$(PREFIX)/share/man/man1/easel.1
	install -m 0644 man/easel.5 $(DESTDIR)$(PREFIX)/share/man/man5/easel.5
	install -m 0644 data/prices.json $(DESTDIR)$(PREFIX)/share/easel/prices.json

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/easel $(DESTDIR)$(PREFIX)/share/man/man1/easel.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5/easel.5
	rm -rf $(DESTDIR)$(PREFIX)/share/easel

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-fuzz-replay easel

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
