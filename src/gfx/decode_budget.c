/* SPDX-License-Identifier: MIT */
/* decode_budget: see decode_budget.h. libspng's allocator hooks get no size on free, so each
 * block carries its size in a header in front of it: the budget then bounds the bytes alive at
 * once (the peak), not the sum of everything ever allocated. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode_budget.h"

/* The budget of the decode running on this thread; each thread decodes one image at a time. */
static _Thread_local size_t budget_limit; /* 0: no budget */
static _Thread_local size_t budget_live;
static _Thread_local bool budget_refused;

void ea_decode_budget_begin(size_t budget)
{
    budget_limit = budget;
    budget_live = 0;
    budget_refused = false;
}

bool ea_decode_budget_end(void)
{
    bool refused = budget_refused;
    budget_limit = 0;
    budget_live = 0;
    budget_refused = false;
    return refused;
}

bool ea_decode_budget_charge(size_t n)
{
    if (budget_limit == 0)
        return true;
    if (n > budget_limit - budget_live) {
        budget_refused = true;
        return false;
    }
    budget_live += n;
    return true;
}

static void refund(size_t n)
{
    if (budget_limit)
        budget_live = n > budget_live ? 0 : budget_live - n;
}

/* A header as aligned as malloc's blocks, so the pointer handed out keeps their alignment. */
typedef union header {
    size_t size;
    max_align_t align;
} header;

void *ea_decode_budget_malloc(size_t n)
{
    if (n > SIZE_MAX - sizeof(header) || !ea_decode_budget_charge(n))
        return NULL;
    header *h = malloc(sizeof *h + n);
    if (!h) {
        refund(n);
        return NULL;
    }
    h->size = n;
    return h + 1;
}

void *ea_decode_budget_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = ea_decode_budget_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void ea_decode_budget_free(void *p)
{
    if (!p)
        return;
    header *h = (header *)p - 1;
    refund(h->size);
    free(h);
}

void *ea_decode_budget_realloc(void *p, size_t n)
{
    if (!p)
        return ea_decode_budget_malloc(n);
    header *h = (header *)p - 1;
    size_t old = h->size;
    if (n > SIZE_MAX - sizeof(header) || (n > old && !ea_decode_budget_charge(n - old)))
        return NULL;
    header *grown = realloc(h, sizeof *h + n);
    if (!grown) {
        if (n > old)
            refund(n - old);
        return NULL;
    }
    if (n < old)
        refund(old - n);
    grown->size = n;
    return grown + 1;
}
