/* main: argument parsing and dispatch to a command (src/cli/). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/cli.h"
#include "easel/err.h"
#include "easel/keymap.h"
#include "easel/ui.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *summary;
} command;

static const command commands[] = {
    {"generate", ea_cmd_generate, "generate [OPTIONS] PROMPT|-", "one generation or edit"},
    {"sessions", ea_cmd_sessions, "sessions [--json] [--name TEXT] [--since DATE]",
     "sessions, newest first"},
    {"log", ea_cmd_log, "log [SESSION] [--json|--verify|--grep TEXT] [--since DATE]",
     "a session's audit log"},
    {"export", ea_cmd_export, "export SESSION[:TURN] DEST",
     "copy images byte for byte, with a sidecar .json"},
    {"show", ea_cmd_show, "show [--protocol P] [--cols N] [--rows N] [--cell WxH] FILE...", "draw images inline"},
    {"doctor", ea_cmd_doctor, "doctor [--json]", "what easel detects and would use, and why"},
    {"mock", ea_cmd_mock, "mock [--port N] [--delay MS] [--fault F]...", "the offline backend"},
    {"resume", ea_cmd_resume, "resume [SESSION]",
     "finish every background turn still running server-side"},
    {"models", ea_cmd_models, "models [--json] [--offline]",
     "the models the key can use, marked against easel's rule table"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: easel [--offline] [--theme NAME]   the workbench\n"
            "       easel COMMAND [OPTIONS]\n\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  easel %s\n        %s\n", commands[i].usage, commands[i].summary);
    fprintf(out,
            "\n"
            "  easel --help, easel COMMAND --help, easel --version\n\n"
            "With no OPENAI_API_KEY and no OPENAI_BASE_URL, easel uses its offline backend.\n"
            "See easel(1).\n");
}

/* A command's output that did not all arrive (a full disk, a closed pipe) is an error, said on
 * stderr: exit 1 unless the command failed already. Runs after the command, so whatever it
 * records in a session is written first. */
static bool output_done;

static int output_checked(int rc)
{
    output_done = true;
    errno = 0;
    bool failed = ferror(stdout) != 0;
    failed |= fflush(stdout) != 0;
    int saved = errno;
    failed |= fclose(stdout) != 0;
    if (!saved)
        saved = errno;
    if (!failed)
        return rc;
    fprintf(stderr, "easel: the output could not be written%s%s\n", saved ? ": " : "",
            saved ? strerror(saved) : "");
    return rc ? rc : EA_EXIT_INTERNAL;
}

/* The same check for a command that ends with exit() (generate --help). */
static void output_checked_at_exit(void)
{
    if (!output_done && output_checked(EA_EXIT_OK) != EA_EXIT_OK)
        _exit(EA_EXIT_INTERNAL);
}

int main(int argc, char **argv)
{
    /* A reader that went away (`easel log | head`) is a write error, EPIPE, seen by
     * output_checked; never a silent death halfway through a record. */
    signal(SIGPIPE, SIG_IGN);
    atexit(output_checked_at_exit);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return output_checked(EA_EXIT_OK);
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        puts("easel " EASEL_VERSION);
        return output_checked(EA_EXIT_OK);
    }
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return output_checked(commands[i].run(argc - 1, argv + 1));
        fprintf(stderr, "easel: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return EA_EXIT_USAGE;
    }
    /* No command: the workbench. --keys-man (hidden) prints the KEYS section of easel(1),
     * generated from the workbench's action table. */
    ea_ui_options ui = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--offline") == 0) {
            ui.offline = true;
        } else if (strcmp(argv[i], "--theme") == 0 && i + 1 < argc) {
            ui.theme = argv[++i];
        } else if (strncmp(argv[i], "--theme=", 8) == 0) {
            ui.theme = argv[i] + 8;
        } else if (strcmp(argv[i], "--keys-man") == 0) {
            ea_keymap_print_man(stdout);
            return output_checked(EA_EXIT_OK);
        } else {
            fprintf(stderr, "easel: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return EA_EXIT_USAGE;
        }
    }
    return ea_ui_run(&ui);
}
