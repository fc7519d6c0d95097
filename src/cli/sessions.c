/* sessions: the sessions on disk, newest first, as a table or one JSON object a line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/sanitize.h"
#include "easel/session.h"

static void sessions_usage(FILE *out)
{
    fprintf(out, "usage: easel sessions [--json]\n\n"
                 "The sessions on disk, newest first: name, id, turns, images, spend, created.\n"
                 "  --json   one JSON object per line\n");
}

int ea_cmd_sessions(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            sessions_usage(stdout);
            return EA_EXIT_OK;
        } else {
            fprintf(stderr, "easel sessions: unknown argument '%s'\n", argv[i]);
            sessions_usage(stderr);
            return EA_EXIT_USAGE;
        }
    }
    ea_session_list list;
    ea_err err = {0};
    if (ea_session_list_load(&list, &err) != 0) {
        fprintf(stderr, "easel sessions: %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_INTERNAL;
    }
    if (!json && list.count)
        printf("%-24s %-20s %5s %6s %9s  %s\n", "NAME", "ID", "TURNS", "IMAGES", "SPEND", "CREATED");
    for (size_t i = 0; i < list.count; i++) {
        const ea_session_info *s = &list.items[i];
        if (json) {
            json_t *line = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f}", "id", s->id, "name", s->name,
                                     "created", s->created, "turns", s->turns, "images", s->images,
                                     "spend_usd", s->spend_usd);
            char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
            if (text)
                puts(text);
            free(text);
            json_decref(line);
            continue;
        }
        char name[64];
        ea_sanitize_copy(name, sizeof name, *s->name ? s->name : "-");
        printf("%-24s %-20s %5d %6d %9.4f  %s\n", name, s->id, s->turns, s->images, s->spend_usd,
               s->created);
    }
    if (!json && list.count == 0)
        printf("no sessions yet: easel generate \"a prompt\" makes one\n");
    ea_session_list_free(&list);
    return EA_EXIT_OK;
}
