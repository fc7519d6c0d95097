/* SPDX-License-Identifier: MIT */
/* hash: SHA-256 (OpenSSL libcrypto) as lower-case hex, of bytes in memory or of a file; the
 * audit log's chain and every saved image are identified this way. */
#ifndef EASEL_HASH_H
#define EASEL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "easel/err.h"

#define EA_SHA256_HEX_LEN 64
#define EA_SHA256_HEX_SIZE (EA_SHA256_HEX_LEN + 1) /* with the NUL */

/* hex receives 64 hex digits and a NUL. 0, or -1 with err set. */
int ea_sha256_hex(const void *bytes, size_t n, char hex[EA_SHA256_HEX_SIZE], ea_err *err);

/* The file's digest and size (bytes may be NULL). 0, or -1 with err set (ENOENT included).
 * Only files easel keeps are hashed this way: the file must be a regular file, and a link is
 * refused, not followed (ea_open_file with O_NOFOLLOW). */
int ea_sha256_file_hex(const char *path, char hex[EA_SHA256_HEX_SIZE], uint64_t *bytes,
                       ea_err *err);

/* A digest fed in pieces: what verify uses for "every byte of the log before this record". */
typedef struct ea_sha256 ea_sha256;
ea_sha256 *ea_sha256_new(void); /* NULL when out of memory */
int ea_sha256_update(ea_sha256 *h, const void *bytes, size_t n);
/* The digest of the bytes so far; h can go on being fed. 0 or -1. */
int ea_sha256_peek_hex(const ea_sha256 *h, char hex[EA_SHA256_HEX_SIZE]);
void ea_sha256_free(ea_sha256 **h);

#endif
