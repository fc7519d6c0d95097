#include "easel/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

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

int ea_sha256_file_hex(const char *path, char hex[EA_SHA256_HEX_SIZE], uint64_t *bytes,
                       ea_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "cannot open %s: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
    }

    uint64_t total = 0;
    unsigned char chunk[64 * 1024];
    ssize_t got;
    int rc = 0;
    while ((got = read(fd, chunk, sizeof chunk)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (!EVP_DigestUpdate(ctx, chunk, (size_t)got)) {
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
            break;
        }
        total += (uint64_t)got;
    }
    close(fd);

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (rc == 0 && (!EVP_DigestFinal_ex(ctx, digest, &len) || len * 2 != EA_SHA256_HEX_LEN))
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
    EVP_MD_CTX_free(ctx);
    if (rc == 0) {
        to_hex(digest, len, hex);
        if (bytes)
            *bytes = total;
    }
    return rc;
}
