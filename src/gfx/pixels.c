/* SPDX-License-Identifier: MIT */
/* pixels: big buffers on transparent huge pages (see gfx_internal.h).
 *
 * A buffer of pixels is written once from end to end, and each 4 kB page of it first costs a
 * page fault: on this project's virtual machines 15-40 us each under load (tests with a fresh
 * 4 MB mapping), so the 1.6 MB of a 636x636 picture alone took 400 faults, a third of all
 * those of `easel show` on a JPEG. Asked for a huge page, the kernel zeroes 2 MB in one fault
 * (0.2 ms for 4 MB in the same test). The memory stays a malloc block, so free() releases it
 * as before; where the kernel has no huge page to give, or THP is off, it is ordinary pages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gfx_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)
/* Below this, rounding up to a huge page zeroes more than the faults it saves would cost. */
#define HUGE_WORTH ((size_t)384 << 10)

void *ea_gfx_pixels_calloc(size_t n)
{
    if (n < HUGE_WORTH || n > SIZE_MAX - HUGE_PAGE)
        return calloc(n ? n : 1, 1);
    size_t rounded = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    if (!p)
        return calloc(n, 1);
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE); /* advice: a refusal changes nothing but the speed */
#endif
    /* A block malloc reuses is not zero; the first touch of a fresh one is the huge page's. */
    memset(p, 0, n);
    return p;
}
