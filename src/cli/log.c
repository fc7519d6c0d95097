/* log: a session's audit log: each turn as a short block, the records as JSON lines, or a
 * verification of the hash chain and the image files. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/sanitize.h"
#include "easel/session.h"

static void log_usage(FILE *out)
{
    fprintf(out, "usage: easel log [SESSION] [--json] [--verify]\n\n"
                 "A session's audit log (the newest session when none is named).\n"
                 "  --json     the records as written, one JSON object per line\n"
                 "  --verify   check the hash chain and every image's sha256 and size;\n"
                 "             exit 1 and name what is wrong when anything is\n");
}

static void print_field(const char *label, const char *text)
{
    if (!text || !*text)
        return;
    ea_buf b;
    ea_buf_init(&b, 64 * 1024);
    ea_sanitize_append(&b, text, strlen(text), 0);
    printf("  %-15s %s\n", label, b.data ? b.data : "");
    ea_buf_free(&b);
}

static void print_turns(const ea_session *s)
{
    const ea_audit *a = ea_session_audit(s);
    printf("session %s%s%s  (%s)\n", ea_session_id(s), *ea_session_name(s) ? "  " : "",
           ea_session_name(s), ea_session_dir(s));
    for (int turn = 1; turn < ea_audit_next_turn(a); turn++) {
        ea_audit_turn t;
        if (ea_audit_find_turn(a, turn, &t, NULL) != 0)
            continue;
        printf("\nturn %d  %s  %s%s", turn, t.has_result ? ea_audit_status_name(t.status) : "open",
               t.model ? t.model : "", t.api ? "" : "");
        if (t.parent_turn)
            printf("  from turn %d", t.parent_turn);
        if (t.has_result && !isnan(t.cost_usd))
            printf("  $%.4f", t.cost_usd);
        printf("\n");
        print_field("prompt", t.prompt);
        if (t.has_result) {
            print_field("revised prompt", t.revised_prompt);
            print_field("response", t.response_id);
            for (size_t k = 0; k < t.n_images; k++) {
                ea_audit_image img;
                if (ea_audit_turn_image(a, turn, k, &img, NULL) == 0)
                    printf("  %-15s %s (%dx%d %s, sha256 %.12s...)\n", k ? "" : "images", img.path,
                           img.width, img.height, img.format, img.sha256);
            }
        }
    }
}

static int verify(const ea_session *s)
{
    ea_audit_report report;
    ea_err err = {0};
    if (ea_audit_verify(ea_session_dir(s), &report, &err) != 0) {
        fprintf(stderr, "easel log: %s\n", err.msg);
        return EA_EXIT_INTERNAL;
    }
    for (int i = 0; i < report.n_problems && i < EA_AUDIT_MAX_PROBLEMS; i++) {
        char text[400];
        ea_sanitize_copy(text, sizeof text, report.problems[i].text);
        printf("%s%s%s\n", report.problems[i].file, *report.problems[i].file ? ": " : "", text);
    }
    printf("%s: %zu records, %zu images, %d problem%s\n", ea_session_id(s), report.records,
           report.images, report.n_problems, report.n_problems == 1 ? "" : "s");
    return report.n_problems ? EA_EXIT_INTERNAL : EA_EXIT_OK;
}

int ea_cmd_log(int argc, char **argv)
{
    bool json = false, check = false;
    const char *which = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--verify") == 0)
            check = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            log_usage(stdout);
            return EA_EXIT_OK;
        } else if (argv[i][0] != '-' && !which)
            which = argv[i];
        else {
            fprintf(stderr, "easel log: unknown argument '%s'\n", argv[i]);
            log_usage(stderr);
            return EA_EXIT_USAGE;
        }
    }
    ea_err err = {0};
    ea_session_list list = {0};
    if (!which) {
        if (ea_session_list_load(&list, &err) != 0 || list.count == 0) {
            fprintf(stderr, "easel log: %s\n", list.count ? err.msg : "no sessions yet");
            ea_session_list_free(&list);
            return EA_EXIT_USAGE;
        }
        which = list.items[0].id;
    }
    ea_session *s = NULL;
    int rc = EA_EXIT_OK;
    if (ea_session_open(which, EA_SESSION_READ, &s, &err) != 0) {
        fprintf(stderr, "easel log: %s\n", err.msg);
        rc = err.code ? err.code : EA_EXIT_USAGE;
    } else if (check) {
        rc = verify(s);
    } else if (json) {
        const ea_audit *a = ea_session_audit(s);
        for (size_t i = 0; i < ea_audit_record_count(a); i++) {
            size_t len;
            const char *line = ea_audit_record_line(a, i, &len);
            fwrite(line, 1, len, stdout);
            putchar('\n');
        }
    } else {
        print_turns(s);
    }
    if (s && ea_session_recovery(s)->torn)
        fprintf(stderr, "easel log: the log's last line was torn (%zu bytes) and is not shown\n",
                ea_session_recovery(s)->torn_bytes);
    ea_session_close(&s);
    ea_session_list_free(&list);
    return rc;
}
