/* SPDX-License-Identifier: MIT */
/* campaign: a batch plan file (JSONL, CSV, or JSONL lines with a "vary" template) read into
 * checked lines, each an ea_params under the parameter rules, and the pure pieces of a Batch
 * API campaign: the line bodies, the split into batches, the output file's line reader. */
#ifndef EASEL_CAMPAIGN_H
#define EASEL_CAMPAIGN_H

/*
 * The plan file (easel(1), BATCH PLANS):
 *  - JSONL: one object a line with generate's fields: prompt, model, size, quality, format
 *    (or output_format), n, images (a path or a list), mask, background, compression (or
 *    output_compression), moderation, input_fidelity, and optionally custom_id. Blank lines
 *    and lines starting with '#' are skipped.
 *  - A template: such a line with "vary": {"NAME": [values...], ...} stands for the cross
 *    product of the lists, the first name varying slowest. {NAME} in the prompt (and in
 *    custom_id) is replaced by the value; a NAME that is also a field sets that field.
 *  - CSV (a file whose first non-blank byte is not '{' or '#'): a header row naming the
 *    fields, then one line a row; RFC 4180 quoting ("a, b", "say ""hi"""), quoted newlines
 *    allowed; several images in one cell separated by ';'.
 *  - Relative image paths are taken from the plan file's folder.
 * Every line goes to the Images API (a batch line cannot stream or chain): the generations
 * endpoint, or edits when it has images. A line's custom_id is given or "line-N" ("line-N-K"
 * for the K-th variant of a template line); custom_ids must be unique.
 */

#include <stdbool.h>
#include <stddef.h>

#include "easel/buf.h"
#include "easel/err.h"
#include "easel/params.h"
#include "easel/prices.h"

/* The Batch API's limits (protocol.md 14) and its price: half the synchronous one. */
#define EA_BATCH_MAX_LINES 50000
#define EA_BATCH_MAX_BYTES ((size_t)200 << 20)
#define EA_BATCH_PRICE_FACTOR 0.5
#define EA_CUSTOM_ID_MAX 64
/* Errors a plan reports before it stops listing them. */
#define EA_PLAN_MAX_ERRORS 20

#define EA_ENDPOINT_GENERATIONS "/v1/images/generations"
#define EA_ENDPOINT_EDITS "/v1/images/edits"

typedef struct ea_plan_line {
    ea_params params;             /* resolved (api images, no stream) */
    char custom_id[EA_CUSTOM_ID_MAX];
    size_t source_line;           /* 1-based line of the plan file (a CSV row's first line) */
    int variant;                  /* 1-based variant of a template line; 0 for a plain line */
    const char *endpoint;         /* EA_ENDPOINT_GENERATIONS or EA_ENDPOINT_EDITS; static */
} ea_plan_line;

typedef struct ea_plan {
    ea_plan_line *lines;          /* owned */
    size_t n_lines, cap_lines;
    /* The refusals, one a line: "FILE:LINE: field F, value 'V': RULE"; each names the line,
     * the field, the value and the rule. n_errors counts them all; errors keeps the first
     * EA_PLAN_MAX_ERRORS. */
    size_t n_errors;
    ea_buf errors;
    size_t n_warnings;            /* warnings of the parameter rules, first few in warnings */
    ea_buf warnings;
} ea_plan;

void ea_plan_init(ea_plan *p);
void ea_plan_free(ea_plan *p);

/* Reads a plan from its bytes (name is how messages call it, dir where relative image paths
 * are resolved, NULL for the current folder). Lines that break a rule are not added; each is
 * an error in p->errors. -1 with err only when the plan cannot be read at all (not a plan, out
 * of memory); 0 otherwise, even with errors: the caller looks at p->n_errors. */
int ea_plan_parse(ea_plan *p, const char *name, const char *dir, const char *text, size_t len,
                  ea_err *err);
/* Reads FILE and parses it as above. */
int ea_plan_load(ea_plan *p, const char *path, ea_err *err);

/* Splits one CSV record starting at text[*pos]: fields appended NUL-separated to out, their
 * count in *n_fields; *pos moves past the record's line end; *lines counts the newlines it
 * held. 1 with a record, 0 at the end, -1 for an unclosed quote. */
int ea_csv_record(const char *text, size_t len, size_t *pos, ea_buf *out, size_t *n_fields,
                  size_t *lines);

/* What a plan would cost: each line's interactive estimate and the sum at batch prices. */
typedef struct ea_plan_estimate {
    bool known;                   /* every line had a price */
    double interactive_usd;
    double batch_usd;
    size_t lines_generations, lines_edits;
    long images;                  /* images the plan makes (n of each line) */
} ea_plan_estimate;
void ea_plan_estimate_cost(const ea_plan *p, const ea_prices *prices, ea_plan_estimate *out);
/* One line's batch estimate (NAN when unknown). */
double ea_plan_line_estimate(const ea_plan_line *l, const ea_prices *prices);

/* The batches a plan goes as: lines [first, first + count) of one endpoint, in plan order,
 * at most EA_BATCH_MAX_LINES lines and EA_BATCH_MAX_BYTES bytes (line_bytes[i] the size of
 * line i's input line, newline included; NULL: lines only). *out is owned by the caller. */
typedef struct ea_plan_part {
    const char *endpoint;
    size_t *index;                /* owned: the plan's line numbers (0-based) in this part */
    size_t count;
    size_t bytes;
} ea_plan_part;
int ea_plan_split(const ea_plan *p, const size_t *line_bytes, ea_plan_part **out,
                  size_t *n_out, ea_err *err);
void ea_plan_parts_free(ea_plan_part **parts, size_t n);

/* A map from strings (custom_ids, paths) to numbers: what a 50,000-line plan and its fetch
 * look lines up in. put: 1 when the key was new, 0 when its value was replaced, -1 out of
 * memory. get: the value, or missing. */
typedef struct ea_idmap ea_idmap;
ea_idmap *ea_idmap_new(void);
int ea_idmap_put(ea_idmap *m, const char *key, long value);
long ea_idmap_get(const ea_idmap *m, const char *key, long missing);
size_t ea_idmap_count(const ea_idmap *m);
void ea_idmap_free(ea_idmap **m);

/*
 * The output and error files, read as they arrive: bytes in any chunks, one callback per
 * complete line, memory bounded by the longest line (cap: EA_BATCH_LINE_MAX). The callback
 * gets the line's bytes and its offset in the file (what to resume from after it).
 */
#define EA_BATCH_LINE_MAX ((size_t)256 << 20)
typedef struct ea_jsonl_reader ea_jsonl_reader;
typedef int (*ea_jsonl_line_fn)(void *ctx, const char *line, size_t len, unsigned long long end);
ea_jsonl_reader *ea_jsonl_reader_new(unsigned long long start_offset, ea_jsonl_line_fn fn,
                                     void *ctx);
/* A line longer than max bytes (set before the first feed) is not an error but handed to fn
 * once it ends, as its first EA_JSONL_HEAD bytes (where the custom_id is) and its end; the
 * rest of it is dropped as it comes, never held. Without it, the cap is EA_BATCH_LINE_MAX
 * and a line past it an error. */
#define EA_JSONL_HEAD ((size_t)64 << 10)
void ea_jsonl_reader_skip_long(ea_jsonl_reader *r, size_t max, ea_jsonl_line_fn fn);
/* 0, or the callback's non-zero return, or -1 for a line past the cap (unless skipped, see
 * above) or out of memory. */
int ea_jsonl_reader_feed(ea_jsonl_reader *r, const char *bytes, size_t n);
/* Offset just after the last complete line handed out: where a cut download resumes. */
unsigned long long ea_jsonl_reader_done(const ea_jsonl_reader *r);
/* Bytes after the last newline (a last line without one, at the end of the file). */
int ea_jsonl_reader_finish(ea_jsonl_reader *r);
void ea_jsonl_reader_free(ea_jsonl_reader **r);

#endif
