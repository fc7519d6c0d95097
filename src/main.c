/* main: argument parsing and dispatch to a command (src/cli/). */
#include <stdio.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/err.h"

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

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return EA_EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        puts("easel " EASEL_VERSION);
        return EA_EXIT_OK;
    }
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "easel: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return EA_EXIT_USAGE;
    }
    /* The workbench (issue 5) is not built yet: say so instead of pretending. */
    fprintf(stderr, "easel: the workbench is not built yet; these commands work today:\n\n");
    usage(stderr);
    return EA_EXIT_USAGE;
}
