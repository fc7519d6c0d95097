/* SPDX-License-Identifier: MIT */
/* log: a session's audit log: each turn as a short block with the revised prompt as a word
 * diff, the records as JSON lines, a search of every session's prompts, or a verification. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/cli.h"
#include "easel/options.h"
#include "easel/history.h"
#include "easel/paths.h"
#include "easel/sanitize.h"
#include "easel/session.h"
#include "easel/term.h"
#include "easel/worddiff.h"

/* Bounds what one field may print: a prompt is at most 32,000 characters. */
#define FIELD_MAX (256 * 1024)

typedef struct log_opts {
    const char *session;
    const char *grep;
    char since[EA_TIMESTAMP_SIZE]; /* "" for no bound */
    char until[EA_TIMESTAMP_SIZE];
    bool json, verify, accept_damage, color;
} log_opts;

enum { OPT_JSON = 1, OPT_VERIFY, OPT_ACCEPT_DAMAGE, OPT_GREP, OPT_SINCE, OPT_UNTIL };

static const ea_opt log_opts_table[] = {
    {"json", 0, NULL, "the records as written, one JSON object per line", OPT_JSON, EA_VAL_NONE,
     NULL, NULL},
    {"verify", 0, NULL,
     "check the hash chain, and the sha256 and size of every image and of every input kept in "
     "inputs/; name what is missing or changed, and exit 1 when anything is",
     OPT_VERIFY, EA_VAL_NONE, NULL, NULL},
    {"accept-damage", 0, NULL,
     "record in the log that its damage (what --verify finds in its lines) is accepted: a "
     "session whose log fails verification refuses new turns until then",
     OPT_ACCEPT_DAMAGE, EA_VAL_NONE, NULL, NULL},
    {"grep", 0, "TEXT",
     "search the prompts and revised prompts of every session (or of SESSION), ignoring case",
     OPT_GREP, EA_VAL_NONE, NULL, NULL},
    {"since", 0, "DATE", "only records from DATE on (2026-11-25 or 2026-11-25T15:30, UTC)",
     OPT_SINCE, EA_VAL_NONE, NULL, NULL},
    {"until", 0, "DATE", "only records up to the end of DATE", OPT_UNTIL, EA_VAL_NONE, NULL,
     NULL},
};
EA_OPTIONS_FN(log_options, log_opts_table)

const ea_command ea_command_log = {
    "log", "[SESSION]", "a session's audit log",
    "A session's audit log (by default the session with the newest activity): each turn with "
    "its time, status, parameters, prompt, the revised prompt as a word diff against the prompt "
    "({+added+} [-dropped-], or colour on a terminal), cost, ids, timings and files, and the "
    "branches when turns were sent with --from.",
    "Colour follows NO_COLOR and whether stdout is a terminal that takes it (not\n"
    "TERM=dumb).\n",
    ea_cmd_log, log_options, EA_VAL_SESSION, false,
};

/* ---- Output helpers -------------------------------------------------------------------- */

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Prints text from the log or the session folder sanitized, since it may have come from the
 * network or from someone who edited the files. */
static void put_safe_to(FILE *out, const char *text)
{
    if (!text)
        return;
    ea_buf b;
    ea_buf_init(&b, FIELD_MAX);
    ea_sanitize_append(&b, text, strlen(text), 0);
    if (b.data)
        fputs(b.data, out);
    ea_buf_free(&b);
}

static void put_safe(const char *text)
{
    put_safe_to(stdout, text);
}

static void field(const char *label, const char *text)
{
    if (!text || !*text)
        return;
    printf("  %-9s ", label);
    put_safe(text);
    putchar('\n');
}

static bool in_range(const log_opts *o, const char *ts)
{
    if (!ts)
        return !*o->since && !*o->until;
    return (!*o->since || strcmp(ts, o->since) >= 0) && (!*o->until || strcmp(ts, o->until) <= 0);
}

/* "2026-11-25T15:30:12.345Z" as "2026-11-25 15:30:12Z" */
/* A session's log may come from anyone: its time, like its words, is made safe to print. */
static void short_time(const char *ts, char out[32])
{
    char raw[64];
    if (!ts || strlen(ts) < 19)
        snprintf(raw, sizeof raw, "%s", or_dash(ts));
    else
        snprintf(raw, sizeof raw, "%.10s %.8sZ", ts, ts + 11);
    ea_sanitize_copy(out, 32, raw);
}

/* The first 16 hex digits of a hash from the log, as they are when they are hex. */
static const char *short_hash(const char *sha256, char out[17])
{
    size_t n = 0;
    for (; sha256 && n < 16 && isxdigit((unsigned char)sha256[n]); n++)
        out[n] = sha256[n];
    out[n] = '\0';
    return n ? out : "-";
}

static void ms_text(long ms, char out[24])
{
    if (ms < 0)
        snprintf(out, 24, "-");
    else if (ms < 10000)
        snprintf(out, 24, "%ld ms", ms);
    else
        snprintf(out, 24, "%.1f s", (double)ms / 1000.0);
}

/* ---- One turn -------------------------------------------------------------------------- */

static const ea_wd_marks color_marks = {"\x1b[32m", "\x1b[0m", "\x1b[31;9m", "\x1b[0m"};

static void print_revised(const ea_history_turn *t, bool color)
{
    if (!t->revised_prompt || !*t->revised_prompt)
        return;
    const char *prompt = t->prompt ? t->prompt : "";
    ea_worddiff d;
    ea_buf b;
    ea_buf_init(&b, FIELD_MAX);
    if (ea_worddiff_compute(prompt, strlen(prompt), t->revised_prompt,
                            strlen(t->revised_prompt), 0, &d) == 0) {
        ea_worddiff_render(&d, color ? &color_marks : &ea_wd_plain_marks, &b);
        printf("  %-9s %s%s\n", "revised", b.data ? b.data : "",
               d.added + d.dropped == 0 ? "  (unchanged)" : "");
        ea_worddiff_free(&d);
    } else {
        field("revised", t->revised_prompt); /* out of memory for the diff: the text alone */
    }
    ea_buf_free(&b);
}

/* Each image with its size and hash; a file no longer there is said so here and counted. */
static void print_files(const char *dir, const ea_history_turn *t, size_t *missing)
{
    for (size_t k = 0; k < t->n_images; k++) {
        const ea_audit_image *img = &t->images[k];
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, img->path);
        bool here = stat(path, &st) == 0;
        if (!here)
            ++*missing;
        printf("  %-9s ", k ? "" : "files");
        put_safe(img->path);
        char hash[17];
        printf("  %dx%d ", img->width, img->height);
        put_safe(or_dash(img->format));
        printf(" %.1f kB  sha256 %s%s\n", (double)img->bytes / 1000.0,
               short_hash(img->sha256, hash), here ? "" : "  MISSING");
        /* One of several images of one response: what its own call made of the prompt. */
        if (t->image_prompts && t->image_prompts[k])
            field("", t->image_prompts[k]);
    }
}

/* A thinking turn: what it asked for, the plan the model streamed, and its searches. */
static void print_thinking(const ea_history_turn *t)
{
    if (t->reasoning || t->web_search) {
        printf("  %-9s ", "thinking");
        if (t->reasoning) {
            printf("reasoning ");
            put_safe(t->reasoning);
        }
        printf("%s%s\n", t->reasoning && t->web_search ? ", " : "",
               t->web_search ? "web search" : "");
    }
    field("summary", t->reasoning_summary);
    for (size_t i = 0; i < t->n_searches; i++) {
        printf("  %-9s ", i ? "" : "searched");
        put_safe(t->searches[i].query && *t->searches[i].query ? t->searches[i].query
                                                                : "(no query given)");
        printf(" (");
        put_safe(or_dash(t->searches[i].status));
        printf(")\n");
    }
}

/* Whether the turn made a picture or edited one, and from which files: each input's copy in
 * the session, its size and hash, and the path it was sent from. */
static void print_inputs(const char *dir, const ea_history_turn *t)
{
    size_t refs = 0;
    for (size_t i = 0; i < t->n_inputs; i++)
        refs += t->inputs[i].role && strcmp(t->inputs[i].role, "reference") == 0;
    /* With the action auto and a picture in the context (a reference, or the conversation
     * it continues), the model chose whether to edit it; the log cannot say which. */
    bool chained = t->previous_response_id && *t->previous_response_id;
    bool model_chose = !t->edit && (refs || chained) && t->api && strcmp(t->api, "responses") == 0 &&
                       !(t->action && strcmp(t->action, "generate") == 0);
    printf("  %-9s %s", "kind", t->edit ? "edit" : model_chose ? "generation or edit (the model's "
                                                                 "choice, action auto)"
                                                               : "generation");
    if (refs)
        printf(" with %zu reference%s", refs, refs == 1 ? "" : "s");
    if (chained) {
        printf(", continuing the conversation of ");
        if (t->parent)
            printf("turn %d", t->parent);
        else
            put_safe(t->previous_response_id);
    }
    putchar('\n');
    for (size_t i = 0; i < t->n_inputs; i++) {
        const ea_history_input *in = &t->inputs[i];
        char path[4200];
        struct stat st;
        bool here = in->path && snprintf(path, sizeof path, "%s/%s", dir, in->path) > 0 &&
                    stat(path, &st) == 0;
        printf("  %-9s %-9s ", i ? "" : "inputs", or_dash(in->role));
        put_safe(or_dash(in->path));
        if (in->bytes >= 0)
            printf("  %.1f kB", (double)in->bytes / 1000.0);
        char hash[17];
        printf("  sha256 %s", short_hash(in->sha256, hash));
        if (in->source) {
            printf("  from ");
            put_safe(in->source);
        }
        printf("%s\n", here ? "" : "  MISSING");
    }
}

/* "$0.0389 (text $0.0070 + image $0.0319)": a Responses call's two meters (protocol.md 15);
 * an image part that the response did not report is marked as the estimate it is. The
 * offline backend's amounts say offline: they are not spend. */
static void print_cost(const ea_history_turn *t)
{
    printf("  %-9s ", "cost");
    if (t->has_result && !isnan(t->cost_usd)) {
        printf("$%.4f%s", t->cost_usd, t->offline ? " offline" : "");
        if (!isnan(t->cost_text_usd) || t->cost_image_estimated) {
            char text[32] = "not priced", image[64] = "-";
            if (!isnan(t->cost_text_usd))
                snprintf(text, sizeof text, "$%.4f", t->cost_text_usd);
            if (!isnan(t->cost_image_usd))
                snprintf(image, sizeof image, "$%.4f%s", t->cost_image_usd,
                         t->cost_image_estimated ? " estimated, not from tool_usage" : "");
            printf(" (text %s + image %s", text, image);
            if (!isnan(t->cost_search_usd))
                printf(" + searches $%.4f", t->cost_search_usd);
            printf(")");
        }
    } else {
        printf("-");
    }
    /* A thinking turn's: a range, as its model made as many images as it chose. */
    if (!isnan(t->estimate_usd) && !isnan(t->estimate_max_usd))
        printf(" (estimate $%.4f–$%.4f)", t->estimate_usd, t->estimate_max_usd);
    else if (!isnan(t->estimate_usd))
        printf(" (estimate $%.4f)", t->estimate_usd);
    if (t->usage_json) {
        printf("  usage ");
        put_safe(t->usage_json);
    }
    if (t->tool_usage_json) {
        printf("  tool_usage ");
        put_safe(t->tool_usage_json);
    }
    putchar('\n');
}

static void print_turn(const char *dir, const ea_history_turn *t, bool color, size_t *missing)
{
    char when[32];
    short_time(t->ts, when);
    const char *status = t->has_result ? ea_audit_status_name(t->status) : "open";
    printf("\n%sturn %d%s  %s  %s", color ? "\x1b[1m" : "", t->turn, color ? "\x1b[0m" : "",
           when, status);
    if (t->http_status)
        printf(" (HTTP %d)", t->http_status);
    if (t->parent && (t->branched || t->parent != t->turn - 1))
        printf("  from turn %d", t->parent);
    putchar('\n');

    printf("  %-9s ", "model");
    put_safe(or_dash(t->model));
    printf("  size ");
    put_safe(or_dash(t->size));
    printf("  quality ");
    put_safe(or_dash(t->quality));
    if (t->format) {
        printf("  format ");
        put_safe(t->format);
    }
    if (t->count > 1)
        printf("  n %d", t->count);
    printf("  api ");
    put_safe(or_dash(t->api));
    putchar('\n');

    print_inputs(dir, t);
    field("prompt", t->prompt);
    print_revised(t, color);
    print_thinking(t);
    if (t->error_message || t->error_code) {
        printf("  %-9s ", "error");
        put_safe(or_dash(t->error_code));
        printf(": ");
        put_safe(or_dash(t->error_message));
        putchar('\n');
    }
    for (size_t i = 0; i < t->n_side_files; i++) {
        const ea_audit_side_file *f = &t->side_files[i];
        printf("  %-9s ", i ? "" : "in full");
        put_safe(f->field);
        printf(" (%llu bytes; shown above in part): ", (unsigned long long)f->bytes);
        put_safe(f->path);
        putchar('\n');
    }

    print_cost(t);

    if (t->has_result) {
        printf("  %-9s request ", "ids");
        put_safe(or_dash(t->request_id));
        printf("  response ");
        put_safe(or_dash(t->response_id));
        if (t->image_call_id) {
            printf("  image call ");
            put_safe(t->image_call_id);
        }
        putchar('\n');
        char fb[24], fp[24], total[24];
        ms_text(t->ms_first_byte, fb);
        ms_text(t->ms_first_partial, fp);
        ms_text(t->ms_total, total);
        printf("  %-9s first byte %s, first partial %s, total %s; %d partial%s", "timing", fb,
               fp, total, t->partials, t->partials == 1 ? "" : "s");
        if (t->retries)
            printf("; %d retr%s", t->retries, t->retries == 1 ? "y" : "ies");
        putchar('\n');
        print_files(dir, t, missing);
    }
}

/* ---- Branches -------------------------------------------------------------------------- */

/* parents[t] for each turn seen, grown as turns arrive; -1 for a turn never seen. */
typedef struct parent_map {
    int *parents;
    int max_turn;
    size_t cap;
    bool branched;
} parent_map;

static void note_parent(parent_map *m, const ea_history_turn *t)
{
    if ((size_t)t->turn >= m->cap) {
        size_t cap = m->cap ? m->cap : 64;
        while (cap <= (size_t)t->turn)
            cap *= 2;
        int *grown = realloc(m->parents, cap * sizeof *grown);
        if (!grown)
            return; /* the branch summary is a convenience: left out rather than fail */
        for (size_t i = m->cap; i < cap; i++)
            grown[i] = -1;
        m->parents = grown;
        m->cap = cap;
    }
    m->parents[t->turn] = t->parent;
    if (t->turn > m->max_turn)
        m->max_turn = t->turn;
    m->branched |= t->branched;
}

static void print_branches(const parent_map *m)
{
    ea_branches b;
    if (!m->branched || ea_branches_build(m->parents, m->max_turn, &b) != 0)
        return;
    printf("\nbranches (turns, each line a path; later lines start where they branched off)\n");
    for (size_t i = 0; i < b.count; i++) {
        printf("  ");
        for (size_t k = 0; k < b.lines[i].count; k++)
            printf("%s%d", k ? " - " : "", b.lines[i].turns[k]);
        putchar('\n');
    }
    ea_branches_free(&b);
}

/* ---- The recovery report (stderr) ------------------------------------------------------ */

static void report_recovery(const char *dir, const ea_history_notes *notes, size_t missing)
{
    if (notes->torn_bytes)
        fprintf(stderr,
                "easel log: the log's last line is torn (%zu bytes of a cut-off write) and is "
                "not shown; the next easel to write to this session moves it aside, keeping it\n",
                notes->torn_bytes);
    if (notes->damaged)
        fprintf(stderr, "easel log: %zu damaged line%s skipped, the first is line %zu; "
                        "easel log --verify tells more\n",
                notes->damaged, notes->damaged == 1 ? "" : "s", notes->first_damaged);
    if (notes->accepted_damage)
        fprintf(stderr, "easel log: damage to this log was accepted %zu time%s (easel log --json "
                        "shows the accept_damage record%s, --verify what it set aside)\n",
                notes->accepted_damage, notes->accepted_damage == 1 ? "" : "s",
                notes->accepted_damage == 1 ? "" : "s");
    if (notes->orphan_results)
        fprintf(stderr, "easel log: %zu result%s without a request skipped; easel log --verify "
                        "tells more\n", notes->orphan_results, notes->orphan_results == 1 ? "" : "s");
    if (missing)
        fprintf(stderr, "easel log: %zu image file%s named in the log %s missing (marked "
                        "MISSING above)\n", missing, missing == 1 ? "" : "s",
                missing == 1 ? "is" : "are");
    ea_leftovers left;
    if (ea_history_scan_leftovers(dir, &left, NULL) != 0)
        return;
    if (left.temp_files)
        fprintf(stderr, "easel log: %zu temp file%s of an image save that never finished "
                        "(kept; safe to delete):", left.temp_files, left.temp_files == 1 ? "" : "s");
    for (size_t i = 0; left.temp_files && i < left.n_names; i++)
        if (strncmp(left.names[i], "images/", 7) == 0) {
            fputc(' ', stderr);
            put_safe_to(stderr, left.names[i]);
        }
    if (left.temp_files)
        fputc('\n', stderr);
    if (left.torn_asides)
        fprintf(stderr, "easel log: %zu torn tail%s moved aside earlier (kept):", left.torn_asides,
                left.torn_asides == 1 ? "" : "s");
    for (size_t i = 0; left.torn_asides && i < left.n_names; i++)
        if (strncmp(left.names[i], "images/", 7) != 0) {
            fputc(' ', stderr);
            put_safe_to(stderr, left.names[i]);
        }
    if (left.torn_asides)
        fputc('\n', stderr);
}

/* ---- The commands ---------------------------------------------------------------------- */

static void print_header(const ea_session_info *info, const char *dir)
{
    printf("session %s", info->id);
    if (*info->name) {
        printf("  ");
        put_safe(info->name);
    }
    printf("  (");
    put_safe(dir);
    printf(")\n");
}

static int show_turns(const log_opts *o, const ea_session_info *info, const char *dir)
{
    ea_history_reader *r = NULL;
    ea_err err = {0};
    if (ea_history_open(dir, &r, &err) != 0) {
        fprintf(stderr, "easel log: %s\n", err.msg);
        return EA_EXIT_INTERNAL;
    }
    print_header(info, dir);
    ea_history_turn t = {0};
    parent_map parents = {0};
    size_t missing = 0, shown = 0, images = 0;
    double spend = 0, offline = 0;
    ea_history_batch batch = {0};
    int got = 0;
    /* A reader that went away (ferror) ends the listing: main says so and exits 1. */
    while (!ferror(stdout) && (got = ea_history_next(r, &t, &err)) == 1) {
        note_parent(&parents, &t);
        if (!in_range(o, t.ts))
            continue;
        print_turn(dir, &t, o->color, &missing);
        shown++;
        images += t.n_images;
        if (t.has_result && !isnan(t.cost_usd))
            *(t.offline ? &offline : &spend) += t.cost_usd;
        ea_history_batch_add(&batch, &t);
    }
    ea_history_turn_clear(&t);
    print_branches(&parents);
    printf("\n%zu turn%s, %zu image%s, $%.4f spent", shown, shown == 1 ? "" : "s", images,
           images == 1 ? "" : "s", spend);
    if (offline > 0)
        printf(", $%.4f offline", offline);
    /* Batch lines, at batch prices, apart: what of the totals above they are, and how many
     * are still to fetch. */
    if (batch.total) {
        printf("; of which batch lines $%.4f spent", batch.spend_usd);
        if (batch.offline_usd > 0)
            printf(", $%.4f offline", batch.offline_usd);
        printf(" (%zu done, %zu failed, %zu pending)", batch.done, batch.failed, batch.pending);
    }
    putchar('\n');
    fflush(stdout);
    if (got < 0)
        fprintf(stderr, "easel log: %s\n", err.msg);
    report_recovery(dir, ea_history_get_notes(r), missing);
    free(parents.parents);
    ea_history_close(&r);
    return got < 0 ? EA_EXIT_INTERNAL : EA_EXIT_OK;
}

/* The ts of a record line without parsing it: the writer puts it third, `{"v":1,"seq":N,"ts":`;
 * anything else is looked for in the first 128 bytes. */
static bool line_in_range(const log_opts *o, const char *line, size_t len)
{
    if (!*o->since && !*o->until)
        return true;
    size_t window = len < 128 ? len : 128;
    for (size_t i = 0; i + 6 + 24 <= window; i++)
        if (memcmp(line + i, "\"ts\":\"", 6) == 0) {
            char ts[EA_TIMESTAMP_SIZE];
            memcpy(ts, line + i + 6, 24);
            ts[24] = '\0';
            return in_range(o, ts);
        }
    return in_range(o, NULL);
}

static int show_json(const log_opts *o, const char *dir)
{
    ea_audit_stream *s = NULL;
    ea_err err = {0};
    if (ea_audit_stream_open(dir, EA_AUDIT_STREAM_RECORDS, &s, &err) != 0) {
        fprintf(stderr, "easel log: %s\n", err.msg);
        return EA_EXIT_INTERNAL;
    }
    /* The lines the writer makes are pure ASCII with every control character escaped
     * (audit.h): printed as they are, byte for byte. Any other line is described instead. */
    const char *line;
    size_t len;
    int got = 0;
    ea_buf damage;
    ea_buf_init(&damage, EA_BUF_UNCAPPED);
    while (!ferror(stdout) && (got = ea_audit_stream_next(s, &line, &len, &err)) == 1) {
        if (!line_in_range(o, line, len))
            continue;
        ea_buf_reset(&damage);
        int damaged = ea_audit_describe_damage(line, len, ea_audit_stream_line_no(s), &damage);
        if (damaged < 0) {
            got = ea_err_set(&err, EA_EXIT_INTERNAL, "out of memory");
            break;
        }
        if (damaged)
            fwrite(damage.data, 1, damage.len, stdout);
        else
            fwrite(line, 1, len, stdout);
        putchar('\n');
    }
    ea_buf_free(&damage);
    fflush(stdout);
    if (got < 0)
        fprintf(stderr, "easel log: %s\n", err.msg);
    if (ea_audit_stream_torn_bytes(s))
        fprintf(stderr, "easel log: the log's last line is torn (%zu bytes) and is not shown\n",
                ea_audit_stream_torn_bytes(s));
    ea_audit_stream_close(&s);
    return got < 0 ? EA_EXIT_INTERNAL : EA_EXIT_OK;
}

/* The problems a verify found, one a line. */
static void print_problems(const ea_audit_report *report)
{
    int stored = report->n_problems < EA_AUDIT_MAX_PROBLEMS ? report->n_problems
                                                            : EA_AUDIT_MAX_PROBLEMS;
    for (int i = 0; i < stored; i++) {
        const ea_audit_problem *p = &report->problems[i];
        put_safe(*p->file ? p->file : EA_AUDIT_FILE);
        printf(": ");
        put_safe(p->text);
        putchar('\n');
    }
    if (report->n_problems > stored)
        printf("... and %d more\n", report->n_problems - stored);
}

static int verify(const ea_session_info *info, const char *dir)
{
    ea_audit_report report;
    ea_err err = {0};
    if (ea_audit_verify_anchored(dir, info->last_seq, *info->last_hash ? info->last_hash : NULL,
                                 &report, &err) != 0) {
        fprintf(stderr, "easel log: %s\n", err.msg);
        return EA_EXIT_INTERNAL;
    }
    print_problems(&report);
    if (report.accepted_seq >= 0)
        printf("%s: damage accepted at seq %ld (%d problem%s before it set aside; easel log "
               "--json shows the accept_damage record)\n", EA_AUDIT_FILE, report.accepted_seq,
               report.accepted, report.accepted == 1 ? "" : "s");
    put_safe(info->id);
    printf(": %zu records, %zu images, ", report.records, report.images);
    if (report.inputs)
        printf("%zu input%s, ", report.inputs, report.inputs == 1 ? "" : "s");
    if (report.side_files)
        printf("%zu side file%s, ", report.side_files, report.side_files == 1 ? "" : "s");
    printf("%d problem%s%s\n", report.n_problems, report.n_problems == 1 ? "" : "s",
           report.n_problems ? "" : ": the hash chain holds and every image and input matches");
    fflush(stdout);
    ea_leftovers left;
    if (ea_history_scan_leftovers(dir, &left, NULL) == 0 && (left.temp_files || left.torn_asides))
        fprintf(stderr, "easel log: also in the folder (kept, not part of the log): %zu temp "
                        "file%s, %zu torn tail%s moved aside\n", left.temp_files,
                left.temp_files == 1 ? "" : "s", left.torn_asides, left.torn_asides == 1 ? "" : "s");
    return report.n_problems ? EA_EXIT_INTERNAL : EA_EXIT_OK;
}

/* `--accept-damage`: takes the session's lock, so no turn runs meanwhile. */
static int accept_damage(const char *name_or_id)
{
    ea_session *s = NULL;
    ea_err err = {0};
    ea_audit_report report;
    bool accepted = false;
    if (ea_session_open(name_or_id, EA_SESSION_WRITE, &s, &err) != 0 ||
        ea_session_accept_damage(s, &report, &accepted, &err) != 0) {
        ea_session_close(&s);
        fprintf(stderr, "easel log: %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_INTERNAL;
    }
    if (!accepted) {
        printf("%s: the log's chain holds: nothing to accept\n", ea_session_id(s));
        if (report.file_problems)
            printf("(%d image problem%s remain%s: easel log --verify names them)\n",
                   report.file_problems, report.file_problems == 1 ? "" : "s",
                   report.file_problems == 1 ? "s" : "");
    } else {
        print_problems(&report);
        printf("%s: damage accepted in seq %ld: the log verifies from there on; what was "
               "found stays in the log\n", ea_session_id(s),
               ea_audit_next_seq(ea_session_audit(s)) - 1);
    }
    fflush(stdout);
    ea_session_close(&s);
    return EA_EXIT_OK;
}

/* ---- --grep ---------------------------------------------------------------------------- */

/* Prints the text around the match, sanitized, the match itself marked. */
static void print_match(const char *text, size_t at, size_t n, bool color)
{
    size_t from = at > 60 ? at - 60 : 0, to = at + n + 100;
    while (from > 0 && ((unsigned char)text[from] & 0xC0) == 0x80) /* whole characters */
        from--;
    size_t len = strlen(text);
    if (to > len)
        to = len;
    while (to < len && ((unsigned char)text[to] & 0xC0) == 0x80)
        to++;
    ea_buf b;
    ea_buf_init(&b, FIELD_MAX);
    ea_buf_puts(&b, from ? "..." : "");
    ea_sanitize_append(&b, text + from, at - from, 0);
    ea_buf_puts(&b, color ? "\x1b[1;33m" : "");
    ea_sanitize_append(&b, text + at, n, 0);
    ea_buf_puts(&b, color ? "\x1b[0m" : "");
    ea_sanitize_append(&b, text + at + n, to - at - n, 0);
    ea_buf_puts(&b, to < len ? "..." : "");
    puts(b.data ? b.data : "");
    ea_buf_free(&b);
}

static void print_hit(const log_opts *o, const ea_session_info *info, const ea_history_match *m)
{
    if (*info->name) {
        put_safe(info->name);
        printf(" (");
        put_safe(info->id);
        printf(")");
    } else {
        put_safe(info->id);
    }
    printf(" turn %d %s: ", m->turn, m->revised ? "revised" : "prompt");
    print_match(m->text, m->at, m->len, o->color);
}

static int grep_session(const log_opts *o, const ea_session_info *info, const char *dir,
                        size_t *hits)
{
    ea_history_search *s = NULL;
    ea_err err = {0};
    ea_history_match m;
    int got = ea_history_search_open(dir, o->grep, &s, &err);
    while (got == 0 && (got = ea_history_search_next(s, &m, &err)) == 1) {
        got = 0;
        if (!in_range(o, m.ts))
            continue;
        ++*hits;
        print_hit(o, info, &m);
    }
    if (got < 0) {
        fprintf(stderr, "easel log: ");
        put_safe_to(stderr, info->id);
        fprintf(stderr, ": %s\n", err.msg);
    }
    ea_history_search_close(&s);
    return got < 0 ? -1 : 0;
}

static int grep_all(const log_opts *o)
{
    ea_err err = {0};
    char dir[4096];
    size_t hits = 0;
    int rc = EA_EXIT_OK;
    if (o->session) {
        ea_session_info info;
        if (ea_session_locate(o->session, &info, dir, sizeof dir, &err) != 0) {
            fprintf(stderr, "easel log: %s\n", err.msg);
            return err.code ? err.code : EA_EXIT_USAGE;
        }
        rc = grep_session(o, &info, dir, &hits) ? EA_EXIT_INTERNAL : EA_EXIT_OK;
    } else {
        ea_session_list list;
        char root[4096];
        if (ea_session_list_load(&list, &err) != 0 || ea_sessions_root(root, sizeof root, &err)) {
            fprintf(stderr, "easel log: %s\n", err.msg);
            return EA_EXIT_INTERNAL;
        }
        /* Oldest first, so that the newest hits end up nearest the prompt. */
        for (size_t i = list.count; i-- > 0;) {
            if (ea_path_join(dir, sizeof dir, root, list.items[i].id, NULL) != 0)
                continue;
            if (grep_session(o, &list.items[i], dir, &hits) != 0)
                rc = EA_EXIT_INTERNAL;
        }
        ea_session_list_free(&list);
    }
    fflush(stdout);
    if (hits == 0 && rc == EA_EXIT_OK) {
        fprintf(stderr, "easel log: no prompt or revised prompt holds '");
        char shown[128];
        ea_sanitize_copy(shown, sizeof shown, o->grep);
        fprintf(stderr, "%s'\n", shown);
        return EA_EXIT_INTERNAL; /* as grep(1): 1 when nothing matched */
    }
    return rc;
}

/* ---- Arguments ------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, log_opts *o)
{
    ea_err err = {0};
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_log);
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        switch (id) {
        case EA_OPT_HELP: return -1;
        case EA_OPT_BAD: return EA_EXIT_USAGE;
        case OPT_JSON: o->json = true; break;
        case OPT_VERIFY: o->verify = true; break;
        case OPT_ACCEPT_DAMAGE: o->accept_damage = true; break;
        case OPT_GREP: o->grep = value; break;
        default: {
            bool until = id == OPT_UNTIL;
            if (ea_history_date_bound(value, until, until ? o->until : o->since, &err)) {
                fprintf(stderr, "easel log: --%s: %s\n", ea_opt_name(&p, id), err.msg);
                return EA_EXIT_USAGE;
            }
        }
        }
    }
    if (p.next < argc)
        o->session = argv[p.next];
    if (p.next + 1 < argc) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, argv[p.next + 1]);
        fprintf(stderr, "easel log: unknown argument '%s'\n", shown);
        return EA_EXIT_USAGE;
    }
    if (o->grep && !*o->grep) {
        fprintf(stderr, "easel log: --grep needs some text\n");
        return EA_EXIT_USAGE;
    }
    if (o->json + o->verify + o->accept_damage + (o->grep != NULL) > 1) {
        fprintf(stderr, "easel log: --json, --verify, --accept-damage and --grep go one at a "
                        "time\n");
        return EA_EXIT_USAGE;
    }
    if (o->accept_damage && !o->session) {
        fprintf(stderr, "easel log: --accept-damage needs the SESSION named\n");
        return EA_EXIT_USAGE;
    }
    return 0;
}

int ea_cmd_log(int argc, char **argv)
{
    log_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EA_EXIT_OK : rc;
    const char *no_color = getenv("NO_COLOR");
    o.color = ea_term_fd_capable(STDOUT_FILENO) && !(no_color && *no_color);
    if (o.grep)
        return grep_all(&o);
    if (o.accept_damage)
        return accept_damage(o.session);

    ea_err err = {0};
    ea_session_info info;
    char dir[4096];
    if (ea_session_locate(o.session, &info, dir, sizeof dir, &err) != 0) {
        fprintf(stderr, "easel log: %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_USAGE;
    }
    if (info.rebuilt)
        fprintf(stderr, "easel log: %s's session.json is missing or unreadable: its summary comes "
                        "from the log (the next easel to write to it rebuilds the file)\n",
                info.id);
    /* A background turn a stopped easel left running is finished first, so that the turns
     * shown are what they cost (not by --json and --verify, which read and change nothing).
     * A session another easel holds is that easel's to finish. */
    if (!o.verify && !o.json && ea_resume_pending(info.id)) {
        ea_err rerr = {0};
        if (ea_resume_named(info.id, NULL, &rerr) < 0 && rerr.code != EA_EXIT_USAGE)
            fprintf(stderr, "easel log: could not resume: %s\n", rerr.msg);
    }
    if (o.verify)
        return verify(&info, dir);
    if (o.json)
        return show_json(&o, dir);
    return show_turns(&o, &info, dir);
}
