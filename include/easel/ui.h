/* SPDX-License-Identifier: MIT */
/* ui: the workbench, `easel` with no command: an ncurses TUI on one single-threaded loop that
 * drives the sessions' requests (ea_turn) and the terminal together. Only src/ui uses curses. */
#ifndef EASEL_UI_H
#define EASEL_UI_H

#include <stdbool.h>

typedef struct ea_ui_options {
    bool offline;       /* --offline: the offline backend even with a key */
    const char *theme;  /* --theme NAME, or NULL for the config's `theme` (else the default) */
} ea_ui_options;

/*
 * Runs the workbench until the user quits; returns an exit code (enum ea_exit). A hangup
 * (SIGHUP) while requests stream lets them finish and be saved before it returns.
 *
 * EASEL_UI_SCRIPT=FILE runs it without a terminal for tests: keys come from FILE and the
 * screen is printed as text on stdout at the end (see src/ui/script.c for the syntax);
 * EASEL_UI_SIZE=COLSxROWS sets the screen's size there (80x24 by default).
 */
int ea_ui_run(const ea_ui_options *opt);

/* Terminfo's word on a terminal type, for ea_term_use_terminfo (term.h): -1 unknown type, 0 no
 * cursor addressing (hard-copy, generic), 1 addressable. Looked up once per type. */
int ea_ui_terminfo_addressing(const char *term);

#endif
