/* SPDX-License-Identifier: MIT */
/* Benchmark of the offline backend: how long `easel mock` takes to serve a streamed
 * 1024x1024 png generation with 3 partial images and no delay, from the request to the last
 * byte, as a client on loopback sees it. The mock runs in this process (ea_mock_start); the
 * client is libcurl's easy API. Median of RUNS after one warm-up. Exits non-zero when the
 * median misses the target (100 ms) or a reply is not the 4 events it should be. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "easel/buf.h"
#include "easel/mock.h"

#include "bench_util.h"

#define RUNS 10
#define TARGET_MS 100.0

static const char request_body[] =
    "{\"model\":\"gpt-image-2\",\"prompt\":\"A lighthouse on a cliff at dusk, waves below\","
    "\"size\":\"1024x1024\",\"quality\":\"medium\",\"output_format\":\"png\",\"stream\":true,"
    "\"partial_images\":3}";

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    return ea_buf_append(ctx, data, size * n) == 0 ? size * n : 0;
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* One streamed generation; its time in ms, or a negative number when it went wrong. */
static double fetch_once(CURL *curl, const char *url, ea_buf *body)
{
    ea_buf_reset(body);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    double start = bench_now_ms();
    CURLcode rc = curl_easy_perform(curl);
    double took = bench_now_ms() - start;
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200 || !body->data) {
        fprintf(stderr, "bench_mock: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
        return -1;
    }
    if (count(body->data, "event: image_generation.partial_image\n") != 3 ||
        count(body->data, "event: image_generation.completed\n") != 1) {
        fprintf(stderr, "bench_mock: the stream is not 3 partials and 1 completed\n");
        return -1;
    }
    return took;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    cfg.quiet = true;
    ea_err err = { 0 };
    ea_mock *mock = ea_mock_start(&cfg, &err);
    if (!mock) {
        fprintf(stderr, "bench_mock: %s\n", err.msg);
        return 1;
    }
    char url[128];
    snprintf(url, sizeof url, "%s/images/generations", ea_mock_base_url(mock));

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    ea_buf body;
    ea_buf_init(&body, EA_BUF_UNCAPPED);

    double times[RUNS];
    int status = fetch_once(curl, url, &body) < 0; /* warm-up: fonts, caches, connection */
    for (int i = 0; i < RUNS && status == 0; i++) {
        times[i] = fetch_once(curl, url, &body);
        status = times[i] < 0;
    }
    if (status == 0) {
        qsort(times, RUNS, sizeof times[0], compare_double);
        double median = (times[RUNS / 2 - 1] + times[RUNS / 2]) / 2;
        printf("mock: 1024x1024 png, 3 partials, streamed: %.1f ms (median of %d; target %.0f ms;"
               " %.1f MB of events)\n", median, RUNS, TARGET_MS, body.len / 1e6);
        status = median > TARGET_MS;
    }

    ea_buf_free(&body);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    ea_mock_free(&mock);
    return status;
}
