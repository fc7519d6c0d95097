/* SPDX-License-Identifier: MIT */
/* complete: Tab completion of a path typed into a question (an image to attach), as a shell
 * does it: the last component is completed from its directory's entries, as far as they
 * agree. Plain libc, so the unit tests exercise it without a terminal. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

int ui_path_expand(const char *typed, char *out, size_t out_len)
{
    const char *home = getenv("HOME");
    int n = typed[0] == '~' && (typed[1] == '/' || typed[1] == '\0') && home && *home
                ? snprintf(out, out_len, "%s%s", home, typed + 1)
                : snprintf(out, out_len, "%s", typed);
    return n >= 0 && (size_t)n < out_len ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The names in dir that begin with prefix, sorted; hidden ones only when the prefix asks for
 * them, as shells do. The caller frees each and the array. */
static size_t matches(const char *dir, const char *prefix, char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 0, plen = strlen(prefix);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((e->d_name[0] == '.' && prefix[0] != '.') || strncmp(e->d_name, prefix, plen) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(*out, cap * sizeof *grown);
            if (!grown)
                break;
            *out = grown;
        }
        if (((*out)[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(*out, n, sizeof **out, by_name);
    return n;
}

size_t ui_path_complete(const char *typed, char *out, size_t out_len, char *list, size_t list_len)
{
    snprintf(out, out_len, "%s", typed);
    if (list_len)
        list[0] = '\0';
    /* The typed text splits into the directory as typed (kept, "~" and all) and the
     * component being completed; the directory is read with "~" expanded. */
    const char *slash = strrchr(typed, '/');
    size_t dir_len = slash ? (size_t)(slash - typed) + 1 : 0;
    const char *prefix = typed + dir_len;
    char dir_typed[4096], dir[4096];
    if (dir_len >= sizeof dir_typed)
        return 0;
    memcpy(dir_typed, typed, dir_len);
    dir_typed[dir_len] = '\0';
    if (ui_path_expand(dir_len ? dir_typed : ".", dir, sizeof dir) != 0)
        return 0;

    char **names;
    size_t n = matches(dir, prefix, &names);
    if (n == 0)
        return 0;
    /* The longest prefix every match shares. */
    size_t common = strlen(names[0]);
    for (size_t i = 1; i < n; i++) {
        size_t k = 0;
        while (k < common && names[i][k] == names[0][k])
            k++;
        common = k;
    }
    /* A single directory gets its '/', so the next Tab goes on inside it. */
    const char *tail = n == 1 && is_dir(dir, names[0]) ? "/" : "";
    int w = snprintf(out, out_len, "%s%.*s%s", dir_typed, (int)common, names[0], tail);
    if (w < 0 || (size_t)w >= out_len)
        snprintf(out, out_len, "%s", typed);
    /* Several: their names for the status line, as many as fit. */
    size_t used = 0;
    for (size_t i = 0; n > 1 && i < n && used + 1 < list_len; i++) {
        int k = snprintf(list + used, list_len - used, "%s%s", i ? "  " : "", names[i]);
        if (k < 0 || (size_t)k >= list_len - used) {
            list[used] = '\0';
            break;
        }
        used += (size_t)k;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return n;
}
