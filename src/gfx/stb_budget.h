/* SPDX-License-Identifier: MIT */
/* stb_budget: a byte budget on what stb_image allocates while it decodes one image on this
 * thread, so that a small file which inflates to gigabytes is refused with bounded memory. */
#ifndef EASEL_STB_BUDGET_H
#define EASEL_STB_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

/* From begin to end, stb's allocations on the calling thread are charged against budget bytes
 * (0: no budget, as outside a decode); one that would pass it fails as out of memory. The
 * charge is cumulative (stb frees without saying how much), so the budget bounds the peak. */
void ea_stb_budget_begin(size_t budget);
/* Ends the budget; true when an allocation was refused for it. */
bool ea_stb_budget_end(size_t *charged);

#endif
