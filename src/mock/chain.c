/* SPDX-License-Identifier: MIT */
/* mock/chain.c: the responses a later turn may name in previous_response_id, newest first.
 * Bounded in entries and bytes so a long test run cannot grow the mock without limit; the
 * oldest go first, and naming one of those is answered as the API answers an unknown id. */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/paths.h"

typedef struct chain_entry {
    char id[48];
    char *prompt;
    void *image;        /* the final image's file bytes, as sent */
    size_t image_len;
    struct chain_entry *next;
} chain_entry;

struct mock_chain {
    pthread_mutex_t lock;
    chain_entry *newest;
    size_t count, bytes;
    size_t max_entries, max_bytes;
    char *dir;          /* the on-disk copy for other processes, or NULL */
};

mock_chain *mock_chain_new(size_t max_entries, size_t max_bytes, const char *dir)
{
    mock_chain *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (dir && !(c->dir = strdup(dir))) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    return c;
}

static void entry_free(chain_entry *e)
{
    free(e->prompt);
    free(e->image);
    free(e);
}

/* Drops entries from the oldest end until the bounds hold. Called with the lock held. */
static void evict(mock_chain *c)
{
    while (c->count > c->max_entries || (c->bytes > c->max_bytes && c->count > 1)) {
        chain_entry **last = &c->newest;
        while ((*last)->next)
            last = &(*last)->next;
        c->count--;
        c->bytes -= (*last)->image_len;
        entry_free(*last);
        *last = NULL;
    }
}

/* Response ids are the mock's own ("resp_" and hex), but a file name is built from them, so
 * anything else is refused rather than trusted. */
static bool safe_id(const char *id)
{
    if (!*id)
        return false;
    for (; *id; id++)
        if (!((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9') || *id == '_'))
            return false;
    return true;
}

/* Best effort: the in-memory entry serves this process whatever happens on disk. */
static void store_on_disk(const char *dir, const chain_entry *e)
{
    char name[64];
    if (!safe_id(e->id) || ea_mkdir_p(dir, 0700, NULL) != 0)
        return;
    snprintf(name, sizeof name, "%s.prompt", e->id);
    if (ea_write_file_atomic(dir, name, e->prompt, strlen(e->prompt), 0600, NULL) != 0)
        return;
    snprintf(name, sizeof name, "%s.image", e->id);
    ea_write_file_atomic(dir, name, e->image, e->image_len, 0600, NULL);
}

static bool read_whole(const char *path, size_t cap, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    ea_buf b;
    ea_buf_init(&b, cap);
    bool ok = ea_buf_append_stream(&b, f) == 0;
    fclose(f);
    if (!ok) {
        ea_buf_free(&b);
        return false;
    }
    *out = ea_buf_steal(&b, len);
    return *out != NULL;
}

static bool load_from_disk(const char *dir, const char *id, void **image, size_t *image_len,
                           char **prompt)
{
    char path[1200];
    size_t prompt_len;
    if (!safe_id(id))
        return false;
    snprintf(path, sizeof path, "%s/%s.prompt", dir, id);
    if (!read_whole(path, 1u << 20, prompt, &prompt_len))
        return false;
    snprintf(path, sizeof path, "%s/%s.image", dir, id);
    char *bytes;
    if (!read_whole(path, (size_t)64 << 20, &bytes, image_len)) {
        free(*prompt);
        *prompt = NULL;
        return false;
    }
    *image = bytes;
    return true;
}

int mock_chain_put(mock_chain *c, const char *response_id, const char *prompt,
                   const void *image, size_t image_len)
{
    chain_entry *e = calloc(1, sizeof *e);
    if (!e)
        return -1;
    size_t id_len = strlen(response_id);
    e->prompt = strdup(prompt ? prompt : "");
    e->image = malloc(image_len ? image_len : 1);
    if (id_len >= sizeof e->id || !e->prompt || !e->image) {
        entry_free(e);
        return -1;
    }
    memcpy(e->id, response_id, id_len + 1);
    memcpy(e->image, image, image_len);
    e->image_len = image_len;

    if (c->dir)
        store_on_disk(c->dir, e);
    pthread_mutex_lock(&c->lock);
    e->next = c->newest;
    c->newest = e;
    c->count++;
    c->bytes += image_len;
    evict(c);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

bool mock_chain_get(mock_chain *c, const char *response_id, void **image, size_t *image_len,
                    char **prompt)
{
    bool found = false;
    *image = NULL;
    *image_len = 0;
    *prompt = NULL;
    pthread_mutex_lock(&c->lock);
    for (chain_entry *e = c->newest; e; e = e->next) {
        if (strcmp(e->id, response_id) != 0)
            continue;
        *image = malloc(e->image_len ? e->image_len : 1);
        *prompt = strdup(e->prompt);
        if (*image && *prompt) {
            memcpy(*image, e->image, e->image_len);
            *image_len = e->image_len;
            found = true;
        } else {
            free(*image);
            free(*prompt);
            *image = NULL;
            *prompt = NULL;
        }
        break;
    }
    pthread_mutex_unlock(&c->lock);
    if (!found && c->dir)
        found = load_from_disk(c->dir, response_id, image, image_len, prompt);
    return found;
}

void mock_chain_free(mock_chain **cp)
{
    mock_chain *c = *cp;
    if (!c)
        return;
    while (c->newest) {
        chain_entry *e = c->newest;
        c->newest = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&c->lock);
    free(c->dir);
    free(c);
    *cp = NULL;
}
