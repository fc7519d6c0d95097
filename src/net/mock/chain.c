/* mock/chain.c: the responses a later turn may name in previous_response_id, newest first.
 * Bounded in entries and bytes so a long test run cannot grow the mock without limit; the
 * oldest go first, and naming one of those is answered as the API answers an unknown id. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
};

mock_chain *mock_chain_new(size_t max_entries, size_t max_bytes)
{
    mock_chain *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
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
    free(c);
    *cp = NULL;
}
