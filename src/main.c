/* SPDX-License-Identifier: MIT */
/* main: argument parsing and dispatch to a command (src/cli/). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/cli.h"
#include "easel/config.h"
#include "easel/err.h"
#include "easel/image.h"
#include "easel/keymap.h"
#include "easel/options.h"
#include "easel/sanitize.h"
#include "easel/term.h"
#include "easel/ui.h"

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

/* Config mistakes said where they bite (issue 16): every command warns on stderr, once, before
 * it runs; doctor reports them itself and the workbench on its status line. A file that does
 * not parse is left to the commands that read it, which refuse it with its line. */
static void warn_config(void)
{
    ea_config cfg;
    ea_config_init(&cfg);
    ea_config_load(&cfg, NULL);
    ea_config_print_warnings(&cfg, stderr, "easel");
    ea_config_free(&cfg);
}

int main(int argc, char **argv)
{
    /* A reader that went away (`easel log | head`) is a write error, EPIPE, seen by
     * output_checked; never a silent death halfway through a record. */
    signal(SIGPIPE, SIG_IGN);
    /* Whether TERM has cursor addressing is terminfo's to say, and only ui/ speaks curses. */
    ea_term_use_terminfo(ea_ui_terminfo_addressing);
    atexit(output_checked_at_exit);
    /* Requests (net/) learn about picture files through gfx/, which decodes them. */
    ea_pictures_use(&ea_image_pictures);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        ea_opt_print_usage(stdout);
        return output_checked(EA_EXIT_OK);
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        puts("easel " EASEL_VERSION);
        return output_checked(EA_EXIT_OK);
    }
    if (argc >= 2 && argv[1][0] != '-') {
        const ea_command *cmd = ea_command_find(argv[1]);
        if (!cmd) {
            char shown[64];
            ea_sanitize_copy(shown, sizeof shown, argv[1]);
            fprintf(stderr, "easel: unknown command '%s'\n\n", shown);
            ea_opt_print_usage(stderr);
            return EA_EXIT_USAGE;
        }
        if (cmd->run != ea_cmd_doctor && !cmd->hidden)
            warn_config();
        return output_checked(cmd->run(argc - 1, argv + 1));
    }
    /* No command: the workbench. --keys-man (hidden) prints the KEYS section of easel(1),
     * generated from the workbench's action table. */
    if (argc >= 2 && strcmp(argv[1], "--keys-man") == 0) {
        ea_keymap_print_man(stdout);
        return output_checked(EA_EXIT_OK);
    }
    ea_ui_options ui = {0};
    ea_opt_parser p;
    ea_opt_begin(&p, ea_workbench_command());
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        if (id == EA_OPT_HELP)
            return output_checked(EA_EXIT_OK);
        if (id == EA_OPT_BAD)
            return EA_EXIT_USAGE;
        if (id == EA_WB_OFFLINE)
            ui.offline = true;
        else if (id == EA_WB_THEME)
            ui.theme = value;
    }
    if (p.next < argc) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, argv[p.next]);
        fprintf(stderr, "easel: unexpected argument '%s'\n\n", shown);
        ea_opt_print_usage(stderr);
        return EA_EXIT_USAGE;
    }
    return ea_ui_run(&ui);
}
