/* SPDX-License-Identifier: MIT */
/* commands: every command's descriptor (defined in its own file, with its option table), in
 * the order the usage lists them, and the workbench's options. To add a command: define its
 * ea_command in its file, declare it in cli.h, list it here. */
#include <string.h>

#include "easel/cli.h"
#include "easel/options.h"

static const ea_command *const all[] = {
    &ea_command_generate, &ea_command_sessions, &ea_command_log,    &ea_command_export,
    &ea_command_show,     &ea_command_doctor,   &ea_command_mock,   &ea_command_resume,   &ea_command_batch,   &ea_command_models,
    &ea_command_help,     &ea_command_completions, &ea_command_complete,
};

const ea_command *const *ea_commands(size_t *count)
{
    *count = sizeof all / sizeof all[0];
    return all;
}

const ea_command *ea_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

/* `easel` alone. main.c parses these (the workbench is not a command with a run function). */
static const ea_opt workbench_opts[] = {
    {"offline", 0, NULL, "the offline backend even with a key", EA_WB_OFFLINE, EA_VAL_NONE, NULL,
     NULL},
    {"theme", 0, "NAME", "dark, light, high-contrast, mono, or a theme file's name or path",
     EA_WB_THEME, EA_VAL_WORDS, "dark light high-contrast mono", NULL},
};
EA_OPTIONS_FN(workbench_options, workbench_opts)

static const ea_command workbench = {
    "", NULL, "the workbench",
    "The workbench: sessions, prompt, parameters, preview and history in one terminal screen.",
    NULL, NULL, workbench_options, EA_VAL_NONE, true,
};

const ea_command *ea_workbench_command(void)
{
    return &workbench;
}

/* ---- easel help [COMMAND] ---- */

static int cmd_help(int argc, char **argv)
{
    int first, rc = ea_opt_operands(&ea_command_help, argc, argv, &first);
    if (rc != 0)
        return rc < 0 ? EA_EXIT_OK : rc;
    if (first >= argc) {
        ea_opt_print_usage(stdout);
        return EA_EXIT_OK;
    }
    const ea_command *cmd = ea_command_find(argv[first]);
    if (!cmd) {
        fprintf(stderr, "easel help: no command '%.40s'\n\n", argv[first]);
        ea_opt_print_usage(stderr);
        return EA_EXIT_USAGE;
    }
    ea_opt_print_help(stdout, cmd);
    return EA_EXIT_OK;
}

const ea_command ea_command_help = {
    "help", "[COMMAND]", "this list, or a command's options (as easel COMMAND --help)",
    NULL, NULL, cmd_help, NULL, EA_VAL_COMMAND, false,
};
