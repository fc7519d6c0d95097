/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the event decoder (src/net/events.c): both entry points and base64.
 *
 * Input: byte 0 picks the entry point and the event name; the rest is the JSON. Every image an
 * event carries is base64-decoded with a small cap, and every string the decoder promises is
 * non-NULL is read, so that ASan sees a bad pointer. The raw input is also fed to
 * ea_base64_decode directly, and a successful decode is re-encoded and compared.
 * Build: sh tests/fuzz/build.sh fuzz_events; run: sh tests/fuzz/run.sh fuzz_events 60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

static volatile size_t sink;

static void touch(const char *s)
{
    if (!s)
        abort(); /* the header promises "" for absent strings, never NULL */
    sink += strlen(s);
}

static void check_event(const ea_event *ev)
{
    touch(ev->type);
    touch(ev->item_id);
    touch(ev->item_type);
    touch(ev->response_id);
    touch(ev->response_status);
    touch(ev->incomplete_reason);
    touch(ev->error.type);
    touch(ev->error.code);
    touch(ev->error.message);
    touch(ev->error.param);
    touch(ea_event_kind_name(ev->kind));
    for (size_t i = 0; i < ev->n_images; i++) {
        const ea_event_image *im = &ev->images[i];
        touch(im->call_id);
        touch(im->status);
        touch(im->revised_prompt);
        touch(im->size);
        touch(im->quality);
        touch(im->background);
        touch(im->output_format);
        touch(im->action);
        if (!im->b64)
            abort();
        for (size_t k = 0; k < im->b64_len; k++)
            sink += (unsigned char)im->b64[k];
        unsigned char *bytes = NULL;
        size_t n = 0;
        ea_err err;
        if (ea_base64_decode(im->b64, im->b64_len, 1 << 16, &bytes, &n, &err) == 0) {
            if (bytes[n] != '\0')
                abort();
            free(bytes);
        } else if (bytes) {
            abort(); /* *out is NULL on failure */
        }
    }
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decoding then encoding gives back the input's significant characters (sans padding and
 * whitespace) when the decoder accepted it, unless the last group had non-zero spare bits. */
static void check_base64(const uint8_t *in, size_t n, size_t cap)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    ea_err err;
    if (ea_base64_decode((const char *)in, n, cap, &bytes, &len, &err) != 0) {
        if (bytes)
            abort();
        return;
    }
    if (len > cap)
        abort();
    /* Re-encode without padding and check the length against the input's characters. */
    size_t sig = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] && strchr(b64_alphabet, in[i]))
            sig++;
    size_t expect = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
    if (sig != expect)
        abort();
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const names[] = {NULL, "", "error", "message", "image_generation.completed",
                                        "response.completed", "ping", "done"};
    uint8_t mode = input[0];
    /* The decoder gets a NUL-terminated copy as the SSE parser gives it, sized exactly so that
     * ASan catches a read past the end. */
    size_t n = size - 1;
    char *json = malloc(n + 1);
    if (!json)
        return 0;
    memcpy(json, input + 1, n);
    json[n] = '\0';
    ea_err err;
    ea_event *ev = (mode & 8) ? ea_event_parse_body(json, n, &err)
                              : ea_event_parse(names[mode & 7], json, n, &err);
    if (ev) {
        check_event(ev);
        ea_event_free(&ev);
        if (ev)
            abort();
    }
    free(json);
    /* base64 on the raw bytes, with a cap that is sometimes binding. */
    check_base64(input + 1, n, (mode & 0x10) ? (size_t)(mode >> 5) * 7 : (size_t)1 << 20);
    return 0;
}
