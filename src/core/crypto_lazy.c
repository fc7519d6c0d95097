/* SPDX-License-Identifier: MIT */
/* crypto_lazy: libcrypto loaded at the first hash or base64 call, not when easel starts.
 *
 * Why: libcrypto is 4.5 MB of code whose relocations every process paid for at start; only
 * the audit log, the session files and the network (base64) use it, and `easel show` none of
 * them. Measured with perf stat on the 2-core VM under load: a program linking easel's other
 * libraries started in about 9 ms of CPU and 120 page faults without it, 13 ms and 240 with.
 *
 * As in curl_lazy.c, each function easel calls is defined here with OpenSSL's prototype and
 * forwarded. Without the library each fails as OpenSSL does (0, NULL, -1), which every caller
 * of the digests checks; EVP_EncodeBlock writes an empty string. */
#include <openssl/evp.h>
#include <stddef.h>

#include "easel/lazy_lib.h"

#define LIBCRYPTO "libcrypto.so.3"

/* R(ret, name, failed, params, args) for a function that returns; V(name, params, args) for
 * one that does not. */
#define CRYPTO_FUNCTIONS(R, V)                                                                \
    R(int, EVP_Digest, 0,                                                                     \
      (const void *data, size_t count, unsigned char *md, unsigned int *size,                 \
       const EVP_MD *type, ENGINE *impl),                                                     \
      (data, count, md, size, type, impl))                                                    \
    R(int, EVP_DigestInit_ex, 0, (EVP_MD_CTX * ctx, const EVP_MD *type, ENGINE *impl),        \
      (ctx, type, impl))                                                                      \
    R(int, EVP_DigestUpdate, 0, (EVP_MD_CTX * ctx, const void *d, size_t n), (ctx, d, n))     \
    R(int, EVP_DigestFinal_ex, 0, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s),     \
      (ctx, md, s))                                                                           \
    R(int, EVP_MD_CTX_copy_ex, 0, (EVP_MD_CTX * out, const EVP_MD_CTX *in), (out, in))        \
    R(EVP_MD_CTX *, EVP_MD_CTX_new, NULL, (void), ())                                         \
    V(EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))                                             \
    R(const EVP_MD *, EVP_sha256, NULL, (void), ())                                           \
    R(int, EVP_DecodeBlock, -1, (unsigned char *t, const unsigned char *f, int n), (t, f, n))  \
    R(int, EVP_EncodeBlock, (*t = '\0', 0), (unsigned char *t, const unsigned char *f, int n), \
      (t, f, n))

EA_LAZY_FORWARDING(CRYPTO_FUNCTIONS, EA_LAZY_NONE, LIBCRYPTO)
