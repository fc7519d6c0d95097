/* SPDX-License-Identifier: MIT */
/* store_fixture: a fresh temporary folder per test, set as XDG_CONFIG_HOME, XDG_DATA_HOME and
 * XDG_CACHE_HOME, removed afterwards; plus small file helpers for the store's tests. */
#ifndef EASEL_TEST_STORE_FIXTURE_H
#define EASEL_TEST_STORE_FIXTURE_H

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct store_fixture {
    char root[64];
    char config[128]; /* $XDG_CONFIG_HOME */
    char data[128];   /* $XDG_DATA_HOME */
} store_fixture;

static inline void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[PATH_MAX];
            if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) < (int)sizeof child)
                remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline int store_setup(void **state)
{
    store_fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->root, sizeof fx->root, "/tmp/easel-test-XXXXXX");
    if (!mkdtemp(fx->root)) {
        free(fx);
        return -1;
    }
    char cache[128];
    snprintf(fx->config, sizeof fx->config, "%s/config", fx->root);
    snprintf(fx->data, sizeof fx->data, "%s/data", fx->root);
    snprintf(cache, sizeof cache, "%s/cache", fx->root);
    setenv("XDG_CONFIG_HOME", fx->config, 1);
    setenv("XDG_DATA_HOME", fx->data, 1);
    setenv("XDG_CACHE_HOME", cache, 1);
    umask(022);
    *state = fx;
    return 0;
}

static inline int store_teardown(void **state)
{
    store_fixture *fx = *state;
    remove_tree(fx->root);
    free(fx);
    umask(022);
    return 0;
}

/* The whole file, NUL-terminated (caller frees), or NULL; *len gets its size. */
static inline char *slurp(const char *path, size_t *len)
{
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(data, cap);
            if (!grown) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

static inline int spit(const char *path, const void *bytes, size_t n, const char *fopen_mode)
{
    FILE *f = fopen(path, fopen_mode);
    if (!f)
        return -1;
    size_t put = fwrite(bytes, 1, n, f);
    return fclose(f) == 0 && put == n ? 0 : -1;
}

static inline unsigned mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0xFFFFu;
}

static inline bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of entries in a folder whose name starts with prefix. */
static inline int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strcmp(e->d_name, ".") != 0 &&
            strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

#endif
