/* SPDX-License-Identifier: MIT */
/* keymap: the workbench's one table of actions (id, name, scope, default keys, help), from
 * which its key bindings, its help overlay and the KEYS section of easel(1) are generated. Pure. */
#ifndef EASEL_KEYMAP_H
#define EASEL_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A key is a code point (Ctrl-A is 1, as the terminal sends it), or one of the special keys
 * below (all above U+10FFFF, so no character can be mistaken for one), with EA_KEY_ALT added
 * when Alt (Meta, an ESC prefix) was held. The terminal layer (src/ui) translates curses'
 * codes into these, so everything here is testable without a terminal.
 */
typedef uint32_t ea_key;

#define EA_KEY_ALT 0x40000000u
#define EA_CTRL(c) ((ea_key)((c) & 0x1f))

enum {
    EA_KEY_SPECIAL = 0x200000,
    EA_KEY_UP = EA_KEY_SPECIAL,
    EA_KEY_DOWN,
    EA_KEY_LEFT,
    EA_KEY_RIGHT,
    EA_KEY_HOME,
    EA_KEY_END,
    EA_KEY_PGUP,
    EA_KEY_PGDN,
    EA_KEY_DELETE,
    EA_KEY_BACKSPACE,
    EA_KEY_ENTER,
    EA_KEY_TAB,
    EA_KEY_BTAB,
    EA_KEY_ESC,
    EA_KEY_F1, /* EA_KEY_F1 + n - 1 is Fn, n up to 12 */
    EA_KEY_F12 = EA_KEY_F1 + 11,
    /* Bracketed paste: the terminal sends what is pasted between these two, so a pasted
     * newline is text, never Enter. */
    EA_KEY_PASTE_START,
    EA_KEY_PASTE_END,
    /* The terminal (or tmux's pane) has the focus again: not a key a person types. */
    EA_KEY_FOCUS_IN,
    EA_KEY_NONE,
};

/* True for a key that types a character (no Alt, not a control, not special). */
bool ea_key_is_text(ea_key k);
/* "C-a", "M-Enter", "S-Tab", "F1", "Space", "é"... into out; returns out. */
const char *ea_key_name(ea_key k, char *out, size_t size);
/* The UTF-8 a text key types into out (a space for Space); its length, 0 for other keys. */
size_t ea_key_utf8(ea_key k, char out[5]);
/* The inverse of ea_key_name for one key; 0, or -1 for a name it does not know. */
int ea_key_parse(const char *name, size_t len, ea_key *out);

/* Where an action applies. A panel's keys are looked up in its own scope, then in LIST for
 * the list panels, then in GLOBAL; in the editor a key that types a character is typed
 * before GLOBAL is consulted, which is why `?` opens the help everywhere but there. */
enum ea_scope {
    EA_SCOPE_GLOBAL,
    EA_SCOPE_EDITOR,
    EA_SCOPE_LIST, /* moving the selection in the sessions, parameters and history panels */
    EA_SCOPE_SESSIONS,
    EA_SCOPE_PARAMS,
    EA_SCOPE_HISTORY,
    EA_SCOPE_PREVIEW,
    EA_SCOPE_MASK, /* the preview while a mask is drawn (M) */
    EA_SCOPE_HELP, /* the help overlay, while it is open */
    EA_SCOPE_COUNT
};
const char *ea_scope_title(enum ea_scope s); /* "Everywhere", "Prompt editor"... */
/* True when a key bound in scope `bound` can fire while focus is in scope `focus`. */
bool ea_scope_applies(enum ea_scope bound, enum ea_scope focus);

enum ea_action {
    EA_ACT_NONE = 0,
    /* everywhere */
    EA_ACT_QUIT,
    EA_ACT_HELP,
    EA_ACT_FOCUS_NEXT,
    EA_ACT_FOCUS_PREV,
    EA_ACT_CANCEL,
    EA_ACT_NEW_SESSION,
    EA_ACT_NEXT_SESSION,
    EA_ACT_PREV_SESSION,
    EA_ACT_TOGGLE_SESSIONS,
    EA_ACT_TOGGLE_PARAMS,
    EA_ACT_TOGGLE_HISTORY,
    EA_ACT_REDRAW,
    /* the prompt editor */
    EA_ACT_SEND,
    EA_ACT_NEWLINE,
    EA_ACT_BOL,
    EA_ACT_EOL,
    EA_ACT_LEFT,
    EA_ACT_RIGHT,
    EA_ACT_WORD_LEFT,
    EA_ACT_WORD_RIGHT,
    EA_ACT_UP,
    EA_ACT_DOWN,
    EA_ACT_DELETE_BACK,
    EA_ACT_DELETE_FORWARD,
    EA_ACT_KILL_EOL,
    EA_ACT_KILL_BOL,
    EA_ACT_KILL_WORD,
    EA_ACT_YANK,
    EA_ACT_EXTERNAL_EDITOR,
    EA_ACT_SEARCH_PROMPTS,
    EA_ACT_UNDO,
    EA_ACT_CLEAR_PROMPT,
    /* lists */
    EA_ACT_LIST_UP,
    EA_ACT_LIST_DOWN,
    EA_ACT_LIST_PGUP,
    EA_ACT_LIST_PGDN,
    EA_ACT_LIST_TOP,
    EA_ACT_LIST_BOTTOM,
    /* sessions */
    EA_ACT_SESSION_OPEN,
    EA_ACT_SESSION_RENAME,
    EA_ACT_SESSION_TRASH,
    EA_ACT_SESSION_FILTER,
    EA_ACT_SESSION_TRASH_VIEW,
    EA_ACT_SESSION_RESTORE,
    /* parameters */
    EA_ACT_PARAM_NEXT,
    EA_ACT_PARAM_PREV,
    EA_ACT_PARAM_EDIT,
    EA_ACT_PARAM_RESET,
    /* history */
    EA_ACT_HISTORY_OPEN,
    EA_ACT_HISTORY_REUSE,
    EA_ACT_HISTORY_REVISED,
    EA_ACT_HISTORY_COPY,
    EA_ACT_HISTORY_BRANCH,
    /* help overlay */
    EA_ACT_HELP_CLOSE,
    EA_ACT_HISTORY_MARK,
    EA_ACT_HISTORY_COMPARE,
    EA_ACT_HISTORY_AVATAR,
    EA_ACT_HISTORY_DETAIL,
    EA_ACT_HISTORY_OPEN_EXTERNAL,
    EA_ACT_HISTORY_EXPORT,
    EA_ACT_HISTORY_COPY_PATH,
    /* the preview: a turn's several images, as a grid */
    EA_ACT_GRID_LEFT,
    EA_ACT_GRID_RIGHT,
    EA_ACT_GRID_UP,
    EA_ACT_GRID_DOWN,
    EA_ACT_GRID_PICK,
    EA_ACT_AVATAR_EXPORT,
    EA_ACT_GRID_PAGE_NEXT,
    EA_ACT_GRID_PAGE_PREV,
    /* the preview: drawing a mask over the image shown */
    EA_ACT_MASK_BEGIN,
    EA_ACT_MASK_RECT,
    EA_ACT_MASK_ELLIPSE,
    EA_ACT_MASK_LEFT,
    EA_ACT_MASK_RIGHT,
    EA_ACT_MASK_UP,
    EA_ACT_MASK_DOWN,
    EA_ACT_MASK_NARROWER,
    EA_ACT_MASK_WIDER,
    EA_ACT_MASK_TALLER,
    EA_ACT_MASK_SHORTER,
    EA_ACT_MASK_NEXT,
    EA_ACT_MASK_DELETE,
    EA_ACT_MASK_INVERT,
    EA_ACT_MASK_ACCEPT,
    EA_ACT_MASK_LEAVE,
    EA_ACT_COUNT,
    /* ea_keymap_lookup only: the keys so far begin a longer binding (C-x of C-x C-e). */
    EA_ACT_PREFIX = -1,
};

#define EA_KEYSEQ_MAX 2

typedef struct ea_action_desc {
    enum ea_action id;
    const char *name;      /* "send", for scripts and messages */
    enum ea_scope scope;
    const char *keys;      /* default bindings: "F1, ?" or "C-x C-e" (a sequence) */
    const char *help;      /* one line for the help overlay and the man page */
} ea_action_desc;

/* The table, in the order the help overlay shows it (grouped by scope). */
const ea_action_desc *ea_action_table(size_t *count);
const ea_action_desc *ea_action_get(enum ea_action id);

/* One binding: a sequence of one or two keys. */
typedef struct ea_binding {
    ea_key seq[EA_KEYSEQ_MAX];
    int len;
} ea_binding;

/* Splits an action's keys ("F1, ?") into bindings; returns how many (at most max), or -1
 * when a key name is unknown. */
int ea_action_bindings(const ea_action_desc *a, ea_binding *out, int max);

/* The action the keys typed so far (seq[0..n)) select in scope `focus`: an action,
 * EA_ACT_PREFIX when they begin a longer binding, or EA_ACT_NONE. */
int ea_keymap_lookup(const ea_key *seq, int n, enum ea_scope focus);

/* What the mouse does (it is not bound like keys: a click acts on what is under it), for the
 * help overlay and the man page: a gesture and its effect, in the order shown. */
typedef struct ea_mouse_help {
    const char *gesture; /* "Click", "Double click", "Wheel" */
    const char *help;
} ea_mouse_help;
const ea_mouse_help *ea_mouse_help_table(size_t *count);

/* The KEYS section of easel(1), as man(7) source: one .TP entry per action, by scope, then
 * the mouse. */
void ea_keymap_print_man(FILE *out);

#endif
