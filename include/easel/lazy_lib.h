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

/* For a file that forwards a library's functions. It lists them as an X-macro LIST(R, V),
 * R(ret, name, failed, params, args) for a function that returns (failed: what it returns
 * when the library is absent) and V(name, params, args) for one that does not, then says
 * EA_LAZY_FORWARDING(LIST, BY_HAND, "libfoo.so.N"): that defines lazy_lib, the library, and
 * every function on LIST; those on BY_HAND (a list of the same shape, EA_LAZY_NONE for none:
 * variadic ones) are looked up too, and the file writes them itself. EA_LAZY_FN(name, ret,
 * params) is the library's own function, once lazy_lib is ready (POSIX guarantees that what
 * dlsym returns converts to a function pointer). */
#define EA_LAZY_INDEX_R(ret, name, failed, params, args) EA_LAZY_I_##name,
#define EA_LAZY_INDEX_V(name, params, args) EA_LAZY_I_##name,
#define EA_LAZY_NAME_R(ret, name, failed, params, args) #name,
#define EA_LAZY_NAME_V(name, params, args) #name,
#define EA_LAZY_FN(name, ret, params) ((ret(*) params)lazy_fns[EA_LAZY_I_##name])
#define EA_LAZY_FORWARD_R(ret, name, failed, params, args)                                    \
    ret name params                                                                           \
    {                                                                                         \
        return ea_lazy_lib_ready(&lazy_lib) ? EA_LAZY_FN(name, ret, params) args : (failed);  \
    }
#define EA_LAZY_FORWARD_V(name, params, args)                                                 \
    void name params                                                                          \
    {                                                                                         \
        if (ea_lazy_lib_ready(&lazy_lib))                                                     \
            EA_LAZY_FN(name, void, params) args;                                              \
    }
#define EA_LAZY_NONE(R, V)
#define EA_LAZY_FORWARDING(LIST, BY_HAND, soname)                                             \
    enum {                                                                                    \
        LIST(EA_LAZY_INDEX_R, EA_LAZY_INDEX_V) BY_HAND(EA_LAZY_INDEX_R, EA_LAZY_INDEX_V)      \
            EA_LAZY_COUNT                                                                     \
    };                                                                                        \
    static const char *const lazy_names[] = {LIST(EA_LAZY_NAME_R, EA_LAZY_NAME_V)             \
                                                 BY_HAND(EA_LAZY_NAME_R, EA_LAZY_NAME_V)};    \
    static void *lazy_fns[EA_LAZY_COUNT];                                                     \
    static ea_lazy_lib lazy_lib = {soname, lazy_names, EA_LAZY_COUNT, lazy_fns, 0};           \
    LIST(EA_LAZY_FORWARD_R, EA_LAZY_FORWARD_V)

#endif
