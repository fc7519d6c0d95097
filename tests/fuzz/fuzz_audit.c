/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the audit log reader (src/model/audit.c).
 *
 * The input is written as audit.jsonl in one temporary session folder (made once, reused),
 * which also holds images/1-1.png, so that verify has a real file to hash. Then: ea_audit_open
 * in READ mode (which changes nothing on disk) and every getter over what it indexed; the
 * streaming reader in both modes; and ea_audit_verify, plain and anchored.
 * Build: sh tests/fuzz/build.sh fuzz_audit; run: sh tests/fuzz/run.sh fuzz_audit 60 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

static char dir[256];
static char log_path[300];
static volatile size_t sink;

static void cleanup(void)
{
    char path[320];
    unlink(log_path);
    snprintf(path, sizeof path, "%s/images/1-1.png", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/images", dir);
    rmdir(path);
    rmdir(dir);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/easel-fuzz-audit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(log_path, sizeof log_path, "%s/" EA_AUDIT_FILE, dir);
    char path[320];
    snprintf(path, sizeof path, "%s/images", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/images/1-1.png", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fputs("not really a png", f);
    fclose(f);
    atexit(cleanup);
}

static void write_log(const uint8_t *bytes, size_t n)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    while (n > 0) {
        ssize_t w = write(fd, bytes, n);
        if (w <= 0)
            abort();
        bytes += w;
        n -= (size_t)w;
    }
    close(fd);
}

static void touch(const char *s)
{
    if (s)
        sink += strlen(s);
}

static void read_indexed(void)
{
    ea_audit *a = NULL;
    ea_audit_recovery rec;
    ea_err err;
    if (ea_audit_open(dir, EA_AUDIT_READ, &a, &rec, &err) != 0) {
        if (a)
            abort();
        return;
    }
    if (rec.aside_path[0]) /* READ mode changes nothing, so it moves nothing aside */
        abort();
    sink += (size_t)ea_audit_next_seq(a) + (size_t)ea_audit_next_turn(a);
    touch(ea_audit_last_hash(a));
    touch(ea_audit_last_response_id(a));
    touch(ea_audit_last_timestamp(a));
    sink += (size_t)ea_audit_open_turn(a);
    ea_audit_totals totals;
    ea_audit_get_totals(a, &totals);
    sink += (size_t)totals.turns + (size_t)totals.images + (isnan(totals.spend_usd) ? 1 : 0);
    size_t records = ea_audit_record_count(a);
    for (size_t i = 0; i < records; i++) {
        size_t len;
        const char *line = ea_audit_record_line(a, i, &len);
        if (!line || memchr(line, '\n', len))
            abort();
        for (size_t k = 0; k < len; k++)
            sink += (unsigned char)line[k];
    }
    int next = ea_audit_next_turn(a);
    for (int t = 0; t <= next && t < 64; t++) {
        ea_audit_turn turn;
        if (ea_audit_find_turn(a, t, &turn, &err) == 0) {
            touch(turn.api);
            touch(turn.model);
            touch(turn.text_model);
            touch(turn.prompt);
            touch(turn.previous_response_id);
            if (turn.has_result) {
                touch(ea_audit_status_name(turn.status));
                touch(turn.response_id);
                touch(turn.image_call_id);
                touch(turn.revised_prompt);
                for (size_t k = 0; k < turn.n_images && k < 20; k++) {
                    ea_audit_image im;
                    if (ea_audit_turn_image(a, t, k, &im, &err) == 0)
                        sink += strnlen(im.path, sizeof im.path) +
                                strnlen(im.sha256, sizeof im.sha256) +
                                strnlen(im.format, sizeof im.format);
                }
            }
        }
    }
    ea_audit_close(&a);
    if (a)
        abort();
}

static void read_streamed(enum ea_audit_stream_mode mode)
{
    ea_audit_stream *s = NULL;
    ea_err err;
    if (ea_audit_stream_open(dir, mode, &s, &err) != 0)
        return;
    const char *line;
    size_t len;
    int rc;
    while ((rc = ea_audit_stream_next(s, &line, &len, &err)) == 1) {
        if (memchr(line, '\n', len))
            abort();
        sink += len + ea_audit_stream_line_no(s);
        if (len)
            sink += (unsigned char)line[len - 1];
    }
    sink += ea_audit_stream_torn_bytes(s);
    ea_audit_stream_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (!dir[0])
        setup();
    if (size > 1 << 16)
        return 0;
    write_log(input, size);
    read_indexed();
    read_streamed(EA_AUDIT_STREAM_RECORDS);
    read_streamed(EA_AUDIT_STREAM_LINES);
    ea_audit_report *report = malloc(sizeof *report);
    if (!report)
        abort();
    ea_err err;
    if (ea_audit_verify(dir, report, &err) == 0 && report->n_problems < 0)
        abort();
    /* Anchored at a seq the log may or may not hold. */
    long anchor = size ? input[0] % 8 : 0;
    ea_audit_verify_anchored(dir, anchor,
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                             report, &err);
    free(report);
    return 0;
}
