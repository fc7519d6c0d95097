/* SPDX-License-Identifier: MIT */
#include "easel/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/paths.h"

static void to_hex(const unsigned char *digest, unsigned len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * len] = '\0';
}

int ea_sha256_hex(const void *bytes, size_t n, char hex[EA_SHA256_HEX_SIZE], ea_err *err)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_Digest(bytes, n, digest, &len, EVP_sha256(), NULL) || len * 2 != EA_SHA256_HEX_LEN)
        return ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
    to_hex(digest, len, hex);
    return 0;
}

struct ea_sha256 {
    EVP_MD_CTX *ctx;
};

ea_sha256 *ea_sha256_new(void)
{
    ea_sha256 *h = calloc(1, sizeof *h);
    if (h && (!(h->ctx = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)))
        ea_sha256_free(&h);
    return h;
}

int ea_sha256_update(ea_sha256 *h, const void *bytes, size_t n)
{
    return EVP_DigestUpdate(h->ctx, bytes, n) ? 0 : -1;
}

int ea_sha256_peek_hex(const ea_sha256 *h, char hex[EA_SHA256_HEX_SIZE])
{
    /* Finalizing a copy leaves h free to go on. */
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = copy && EVP_MD_CTX_copy_ex(copy, h->ctx) && EVP_DigestFinal_ex(copy, digest, &len) &&
             len * 2 == EA_SHA256_HEX_LEN;
    EVP_MD_CTX_free(copy);
    if (ok)
        to_hex(digest, len, hex);
    return ok ? 0 : -1;
}

void ea_sha256_free(ea_sha256 **h)
{
    if (!*h)
        return;
    EVP_MD_CTX_free((*h)->ctx);
    free(*h);
    *h = NULL;
}

int ea_sha256_file_hex(const char *path, char hex[EA_SHA256_HEX_SIZE], uint64_t *bytes,
                       ea_err *err)
{
    int fd = ea_open_file(path, O_RDONLY | O_NOFOLLOW, 0, err);
    if (fd < 0)
        return -1;
    ea_sha256 *h = ea_sha256_new();
    uint64_t total = 0;
    unsigned char chunk[64 * 1024];
    ssize_t got;
    int rc = h ? 0 : ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
    while (rc == 0 && (got = read(fd, chunk, sizeof chunk)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "cannot read %s: %s", path, strerror(errno));
        else if (ea_sha256_update(h, chunk, (size_t)got) != 0)
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
        total += got > 0 ? (uint64_t)got : 0;
    }
    close(fd);
    if (rc == 0 && ea_sha256_peek_hex(h, hex) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
    ea_sha256_free(&h);
    if (rc == 0 && bytes)
        *bytes = total;
    return rc;
}
