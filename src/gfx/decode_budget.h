/* SPDX-License-Identifier: MIT */
/* decode_budget: a byte budget on what a PNG decode allocates on this thread (libspng's
 * allocations and the pixels we decode into), so that a file that claims or inflates to far
 * more than a valid one of its header's dimensions is refused with bounded memory. */
#ifndef EASEL_DECODE_BUDGET_H
#define EASEL_DECODE_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

/* From begin to end, allocations through the functions below on the calling thread are
 * charged against budget bytes while they live (0: no budget); one that would pass it fails
 * as out of memory. */
void ea_decode_budget_begin(size_t budget);
/* Ends the budget; true when an allocation was refused for it. */
bool ea_decode_budget_end(void);
/* Charges n bytes that the caller allocates itself; false (and refused) past the budget. */
bool ea_decode_budget_charge(size_t n);

/* libspng's allocator (struct spng_alloc), charged to the budget. */
void *ea_decode_budget_malloc(size_t n);
void *ea_decode_budget_calloc(size_t count, size_t size);
void *ea_decode_budget_realloc(void *p, size_t n);
void ea_decode_budget_free(void *p);

#endif
