/* SPDX-License-Identifier: MIT */
/* lazy_lib: a shared library opened at the first call into it rather than at start, for the
 * big ones only some commands need (libcurl, libcrypto: src/net/curl_lazy.c,
 * src/core/crypto_lazy.c). Each such file defines the library's functions with their own
 * prototypes and forwards them; every symbol is looked up at once, so a library is either
 * wholly there or wholly absent, and it is opened at most once per process, from any thread. */
#ifndef EASEL_LAZY_LIB_H
#define EASEL_LAZY_LIB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ea_lazy_lib {
    const char *soname;       /* with its ABI version: "libcurl.so.4" */
    const char *const *names; /* n symbols */
    size_t n;
    void **fns;      /* n entries, filled by ea_lazy_lib_ready */
    atomic_int state; /* 0 not tried, 1 open, -1 absent */
} ea_lazy_lib;

/* Opens the library on the first call; true when every symbol was found. */
bool ea_lazy_lib_ready(ea_lazy_lib *lib);

#endif
