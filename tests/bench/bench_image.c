/* SPDX-License-Identifier: MIT */
/* bench_image: what one streamed 1024x1024 generation costs the offline mock server: render
 * the final picture, derive and encode three partial frames, encode the final. One line a
 * format, the median of RUNS after a warm-up (the first call loads fonts), then where the
 * time goes. The target is well under 100 ms for PNG on a 2-core machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "easel/image.h"
#include "easel/mock_render.h"

#include "bench_util.h"

#define RUNS 20
#define SIDE 1024
#define PARTIALS 3

static const char prompt[] =
    "a lighthouse on a basalt cliff at dusk, gulls circling, warm light in the lantern room";

typedef struct stage_ms {
    double render, partials, encode, total;
} stage_ms;

static int encode_timed(const ea_image *img, const char *format, ea_buf *out, double *ms,
                        size_t *bytes, ea_err *err)
{
    ea_buf_reset(out);
    double t = bench_now_ms();
    int rc = ea_image_encode(img, format, 100, false, out, err);
    *ms += bench_now_ms() - t;
    *bytes += out->len;
    return rc;
}

/* One streamed generation, as the mock serves it. */
static int one_stream(const char *format, stage_ms *ms, size_t *bytes, ea_err *err)
{
    ea_mock_scene scene = {.prompt = prompt, .w = SIDE, .h = SIDE};
    ea_image final, partial;
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    *ms = (stage_ms){0};
    *bytes = 0;
    double start = bench_now_ms();
    if (ea_mock_render(&scene, &final, err) != 0)
        return -1;
    ms->render = bench_now_ms() - start;
    int rc = 0;
    for (int i = 0; i < PARTIALS && rc == 0; i++) {
        double t = bench_now_ms();
        rc = ea_mock_partial(&final, i, PARTIALS, &partial, err);
        ms->partials += bench_now_ms() - t;
        if (rc == 0)
            rc = encode_timed(&partial, format, &out, &ms->encode, bytes, err);
        ea_image_free(&partial);
    }
    if (rc == 0)
        rc = encode_timed(&final, format, &out, &ms->encode, bytes, err);
    ms->total = bench_now_ms() - start;
    ea_image_free(&final);
    ea_buf_free(&out);
    return rc;
}

static int bench_format(const char *format)
{
    double total[RUNS], render[RUNS], partials[RUNS], encode[RUNS];
    stage_ms ms;
    size_t bytes = 0;
    ea_err err = {0};
    if (one_stream(format, &ms, &bytes, &err) != 0) { /* warm-up: fonts, page faults */
        fprintf(stderr, "bench_image: %s: %s\n", format, err.msg);
        return -1;
    }
    for (int run = 0; run < RUNS; run++) {
        if (one_stream(format, &ms, &bytes, &err) != 0) {
            fprintf(stderr, "bench_image: %s: %s\n", format, err.msg);
            return -1;
        }
        total[run] = ms.total;
        render[run] = ms.render;
        partials[run] = ms.partials;
        encode[run] = ms.encode;
    }
    printf("mock render+encode %dx%d %s, %d partials: %.1f ms (median of %d)"
           "  [render %.1f, partials %.1f, %d encodes %.1f; %zu KB]\n",
           SIDE, SIDE, format, PARTIALS, bench_median(total, RUNS), RUNS, bench_median(render, RUNS),
           bench_median(partials, RUNS), PARTIALS + 1, bench_median(encode, RUNS), bytes / 1024);
    return 0;
}

int main(void)
{
    static const char *const formats[] = {"png", "jpeg", "webp"};
    int status = 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (bench_format(formats[i]) != 0)
            status = 1;
    return status;
}
