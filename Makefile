# Build, install and demo targets. No cargo-c needed: `make install PREFIX=/some/dir` installs
# libftpc.so (with its SONAME and symlinks), libftpc.a, ftpc.h and ftpc.pc.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
LIBDIR := $(DESTDIR)$(PREFIX)/lib
INCDIR := $(DESTDIR)$(PREFIX)/include
PCDIR := $(LIBDIR)/pkgconfig
# What a static link of the Rust library needs (rustc --print native-static-libs on Linux).
LIBS_PRIVATE := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

.PHONY: all lib install uninstall demo test bench

all: lib

lib:
	$(CARGO) build --release --lib

install: lib
	install -d $(LIBDIR) $(INCDIR) $(PCDIR)
	install -m 755 -s target/release/libftpc.so $(LIBDIR)/libftpc.so.$(VERSION)
	ln -sf libftpc.so.$(VERSION) $(LIBDIR)/libftpc.so.$(MAJOR)
	ln -sf libftpc.so.$(MAJOR) $(LIBDIR)/libftpc.so
	install -m 644 target/release/libftpc.a $(LIBDIR)/libftpc.a
	strip --strip-debug $(LIBDIR)/libftpc.a
	install -m 644 include/ftpc.h $(INCDIR)/ftpc.h
	install -m 644 include/ftpc_cdef.h $(INCDIR)/ftpc_cdef.h
	install -m 644 include/ftpc.json $(INCDIR)/ftpc.json
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|' ftpc.pc.in > $(PCDIR)/ftpc.pc

uninstall:
	rm -f $(LIBDIR)/libftpc.so $(LIBDIR)/libftpc.so.$(MAJOR) $(LIBDIR)/libftpc.so.$(VERSION) \
	      $(LIBDIR)/libftpc.a $(INCDIR)/ftpc.h $(INCDIR)/ftpc_cdef.h $(INCDIR)/ftpc.json \
	      $(PCDIR)/ftpc.pc

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/bench.sh
