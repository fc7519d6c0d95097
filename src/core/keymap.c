/* SPDX-License-Identifier: MIT */
#include "easel/keymap.h"

#include <string.h>

#include "easel/utf8.h"

/* The one table. Its order is the help overlay's and the man page's order. */
static const ea_action_desc actions[] = {
    {EA_ACT_QUIT, "quit", EA_SCOPE_GLOBAL, "C-q", "quit (asks again while a request runs)"},
    {EA_ACT_HELP, "help", EA_SCOPE_GLOBAL, "F1, ?", "show every key (? outside the editor)"},
    {EA_ACT_FOCUS_NEXT, "focus-next", EA_SCOPE_GLOBAL, "Tab", "move the focus to the next panel"},
    {EA_ACT_FOCUS_PREV, "focus-prev", EA_SCOPE_GLOBAL, "S-Tab", "move the focus to the previous panel"},
    {EA_ACT_CANCEL, "cancel", EA_SCOPE_GLOBAL, "Esc",
     "cancel the current session's request (logged cancelled)"},
    {EA_ACT_NEW_SESSION, "new-session", EA_SCOPE_GLOBAL, "C-n", "start a new session"},
    {EA_ACT_NEXT_SESSION, "next-session", EA_SCOPE_GLOBAL, "M-n", "switch to the next session"},
    {EA_ACT_PREV_SESSION, "prev-session", EA_SCOPE_GLOBAL, "M-p", "switch to the previous session"},
    {EA_ACT_TOGGLE_SESSIONS, "toggle-sessions", EA_SCOPE_GLOBAL, "F2", "show or hide the session list"},
    {EA_ACT_TOGGLE_PARAMS, "toggle-params", EA_SCOPE_GLOBAL, "F3", "show or hide the parameters"},
    {EA_ACT_TOGGLE_HISTORY, "toggle-history", EA_SCOPE_GLOBAL, "F4", "show or hide the history"},
    {EA_ACT_REDRAW, "redraw", EA_SCOPE_GLOBAL, "C-l", "redraw the whole screen"},

    {EA_ACT_SEND, "send", EA_SCOPE_EDITOR, "Enter", "send the prompt"},
    {EA_ACT_NEWLINE, "newline", EA_SCOPE_EDITOR, "M-Enter, C-o",
     "insert a newline (M-Enter: ESC or 8-bit meta; C-o anywhere)"},
    {EA_ACT_BOL, "line-start", EA_SCOPE_EDITOR, "C-a, Home", "go to the start of the line"},
    {EA_ACT_EOL, "line-end", EA_SCOPE_EDITOR, "C-e, End", "go to the end of the line"},
    {EA_ACT_LEFT, "left", EA_SCOPE_EDITOR, "Left, C-b", "back one character"},
    {EA_ACT_RIGHT, "right", EA_SCOPE_EDITOR, "Right, C-f", "forward one character"},
    {EA_ACT_WORD_LEFT, "word-left", EA_SCOPE_EDITOR, "M-b", "back one word"},
    {EA_ACT_WORD_RIGHT, "word-right", EA_SCOPE_EDITOR, "M-f", "forward one word"},
    {EA_ACT_UP, "up", EA_SCOPE_EDITOR, "Up", "up a line; on the first line, the previous prompt"},
    {EA_ACT_DOWN, "down", EA_SCOPE_EDITOR, "Down", "down a line; on the last line, the next prompt"},
    {EA_ACT_DELETE_BACK, "delete-back", EA_SCOPE_EDITOR, "Backspace", "delete the character before the cursor"},
    {EA_ACT_DELETE_FORWARD, "delete-forward", EA_SCOPE_EDITOR, "Delete, C-d",
     "delete the character under the cursor"},
    {EA_ACT_KILL_EOL, "kill-line-end", EA_SCOPE_EDITOR, "C-k", "cut to the end of the line"},
    {EA_ACT_KILL_BOL, "kill-line-start", EA_SCOPE_EDITOR, "C-u", "cut to the start of the line"},
    {EA_ACT_KILL_WORD, "kill-word", EA_SCOPE_EDITOR, "C-w", "cut the word before the cursor"},
    {EA_ACT_YANK, "yank", EA_SCOPE_EDITOR, "C-y", "paste what was cut last"},
    {EA_ACT_EXTERNAL_EDITOR, "external-editor", EA_SCOPE_EDITOR, "C-x C-e",
     "edit the prompt in $VISUAL or $EDITOR"},
    {EA_ACT_SEARCH_PROMPTS, "search-prompts", EA_SCOPE_EDITOR, "C-r",
     "search the prompts sent before (C-r: older; Enter takes it)"},
    {EA_ACT_UNDO, "undo", EA_SCOPE_EDITOR, "C-_, C-x u",
     "bring back the prompt p, r or C-r replaced (again: the one before)"},
    {EA_ACT_CLEAR_PROMPT, "clear-prompt", EA_SCOPE_EDITOR, "C-x C-k",
     "clear the whole prompt (C-_ brings it back)"},

    {EA_ACT_LIST_UP, "list-up", EA_SCOPE_LIST, "Up, k", "select the previous line"},
    {EA_ACT_LIST_DOWN, "list-down", EA_SCOPE_LIST, "Down, j", "select the next line"},
    {EA_ACT_LIST_PGUP, "page-up", EA_SCOPE_LIST, "PgUp", "up a page"},
    {EA_ACT_LIST_PGDN, "page-down", EA_SCOPE_LIST, "PgDn", "down a page"},
    {EA_ACT_LIST_TOP, "list-top", EA_SCOPE_LIST, "Home, g", "select the first line"},
    {EA_ACT_LIST_BOTTOM, "list-bottom", EA_SCOPE_LIST, "End, G", "select the last line"},

    {EA_ACT_SESSION_OPEN, "session-open", EA_SCOPE_SESSIONS, "Enter", "switch to the selected session"},
    {EA_ACT_SESSION_RENAME, "session-rename", EA_SCOPE_SESSIONS, "r", "rename the selected session"},
    {EA_ACT_SESSION_TRASH, "session-trash", EA_SCOPE_SESSIONS, "d, Delete",
     "move the selected session to the trash folder (press twice)"},
    {EA_ACT_SESSION_FILTER, "session-filter", EA_SCOPE_SESSIONS, "/",
     "filter by name, title and prompts as you type (Esc: all again)"},
    {EA_ACT_SESSION_TRASH_VIEW, "session-trash-view", EA_SCOPE_SESSIONS, "t",
     "show the trash (t again: the sessions)"},
    {EA_ACT_SESSION_RESTORE, "session-restore", EA_SCOPE_SESSIONS, "u",
     "in the trash: restore the selected session (Enter too)"},

    {EA_ACT_PARAM_NEXT, "param-next", EA_SCOPE_PARAMS, "Right, l, Space", "the parameter's next value"},
    {EA_ACT_PARAM_PREV, "param-prev", EA_SCOPE_PARAMS, "Left, h", "the parameter's previous value"},
    {EA_ACT_PARAM_EDIT, "param-edit", EA_SCOPE_PARAMS, "Enter",
     "type a value (1536x864...); on image, attach one (Tab completes)"},
    {EA_ACT_PARAM_RESET, "param-reset", EA_SCOPE_PARAMS, "Delete, d",
     "back to the default; on image, remove the newest attached"},

    {EA_ACT_HISTORY_OPEN, "history-open", EA_SCOPE_HISTORY, "Enter", "show the turn's image in the preview"},
    {EA_ACT_HISTORY_REUSE, "history-reuse", EA_SCOPE_HISTORY, "p", "copy the turn's prompt into the editor"},
    {EA_ACT_HISTORY_REVISED, "history-revised", EA_SCOPE_HISTORY, "r",
     "copy the turn's revised prompt into the editor"},
    {EA_ACT_HISTORY_COPY, "history-copy", EA_SCOPE_HISTORY, "y",
     "copy the revised prompt to the clipboard (OSC 52, over SSH too)"},
    {EA_ACT_HISTORY_BRANCH, "history-branch", EA_SCOPE_HISTORY, "b",
     "branch: the next prompt goes on from this turn (b again: undo)"},
    {EA_ACT_HISTORY_MARK, "history-mark", EA_SCOPE_HISTORY, "m", "mark the turn to compare (m again: unmark)"},
    {EA_ACT_HISTORY_COMPARE, "history-compare", EA_SCOPE_HISTORY, "c",
     "compare: the marked turn and this one side by side in the preview"},
    {EA_ACT_HISTORY_AVATAR, "history-avatar", EA_SCOPE_HISTORY, "a",
     "the turn's image at 32, 64, 128 px, square and round, as many as fit"},
    {EA_ACT_HISTORY_DETAIL, "history-detail", EA_SCOPE_HISTORY, "v",
     "read the whole turn: prompts, diff, error, files (Esc closes)"},
    {EA_ACT_HISTORY_OPEN_EXTERNAL, "history-open-external", EA_SCOPE_HISTORY, "o",
     "open the turn's image in the system viewer ($EASEL_OPEN, xdg-open)"},
    {EA_ACT_HISTORY_EXPORT, "history-export", EA_SCOPE_HISTORY, "e",
     "export the turn's images into a folder, as easel export does"},
    {EA_ACT_HISTORY_COPY_PATH, "history-copy-path", EA_SCOPE_HISTORY, "Y",
     "copy the path of the turn's image to the clipboard (OSC 52)"},

    {EA_ACT_GRID_LEFT, "grid-left", EA_SCOPE_PREVIEW, "Left, h", "a turn's images: the one to the left"},
    {EA_ACT_GRID_RIGHT, "grid-right", EA_SCOPE_PREVIEW, "Right, l", "a turn's images: the one to the right"},
    {EA_ACT_GRID_UP, "grid-up", EA_SCOPE_PREVIEW, "Up, k", "a turn's images: the one above"},
    {EA_ACT_GRID_DOWN, "grid-down", EA_SCOPE_PREVIEW, "Down, j", "a turn's images: the one below"},
    {EA_ACT_GRID_PICK, "grid-pick", EA_SCOPE_PREVIEW, "Enter",
     "go on from the selected image: the next send edits it"},
    {EA_ACT_AVATAR_EXPORT, "avatar-export", EA_SCOPE_PREVIEW, "e",
     "avatar sizes (a): export the one picked (arrows) as a PNG"},
    {EA_ACT_GRID_PAGE_NEXT, "grid-page-next", EA_SCOPE_PREVIEW, "PgDn",
     "a batch session: its images as a contact sheet, the next page"},
    {EA_ACT_GRID_PAGE_PREV, "grid-page-prev", EA_SCOPE_PREVIEW, "PgUp",
     "a batch session's contact sheet: the previous page"},
    {EA_ACT_MASK_BEGIN, "mask-begin", EA_SCOPE_PREVIEW, "M",
     "draw a mask over the image shown: the next send repaints inside it"},

    {EA_ACT_MASK_RECT, "mask-rect", EA_SCOPE_MASK, "r", "add a rectangle, centred"},
    {EA_ACT_MASK_ELLIPSE, "mask-ellipse", EA_SCOPE_MASK, "e", "add an ellipse, centred"},
    {EA_ACT_MASK_LEFT, "mask-left", EA_SCOPE_MASK, "Left, h", "move the current region left"},
    {EA_ACT_MASK_RIGHT, "mask-right", EA_SCOPE_MASK, "Right, l", "move the current region right"},
    {EA_ACT_MASK_UP, "mask-up", EA_SCOPE_MASK, "Up, k", "move the current region up"},
    {EA_ACT_MASK_DOWN, "mask-down", EA_SCOPE_MASK, "Down, j", "move the current region down"},
    {EA_ACT_MASK_NARROWER, "mask-narrower", EA_SCOPE_MASK, "H", "make the current region narrower"},
    {EA_ACT_MASK_WIDER, "mask-wider", EA_SCOPE_MASK, "L", "make the current region wider"},
    {EA_ACT_MASK_TALLER, "mask-taller", EA_SCOPE_MASK, "J", "make the current region taller"},
    {EA_ACT_MASK_SHORTER, "mask-shorter", EA_SCOPE_MASK, "K", "make the current region shorter"},
    {EA_ACT_MASK_NEXT, "mask-next", EA_SCOPE_MASK, "Tab", "the next region becomes the current one"},
    {EA_ACT_MASK_DELETE, "mask-delete", EA_SCOPE_MASK, "x", "delete the current region"},
    {EA_ACT_MASK_INVERT, "mask-invert", EA_SCOPE_MASK, "i", "invert: repaint outside the regions"},
    {EA_ACT_MASK_ACCEPT, "mask-accept", EA_SCOPE_MASK, "Enter",
     "accept: the next send edits the image with this mask"},
    {EA_ACT_MASK_LEAVE, "mask-leave", EA_SCOPE_MASK, "Esc", "leave the mask mode, drawing nothing"},

    {EA_ACT_HELP_CLOSE, "help-close", EA_SCOPE_HELP, "Esc, q, F1, ?", "close this help"},
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

const ea_action_desc *ea_action_table(size_t *count)
{
    *count = N_ACTIONS;
    return actions;
}

const ea_action_desc *ea_action_get(enum ea_action id)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (actions[i].id == id)
            return &actions[i];
    return NULL;
}

const char *ea_scope_title(enum ea_scope s)
{
    static const char *const titles[EA_SCOPE_COUNT] = {
        "Everywhere", "Prompt editor", "Lists", "Sessions", "Parameters", "History", "Preview",
        "Mask (M in the preview)", "Help",
    };
    return (unsigned)s < EA_SCOPE_COUNT ? titles[s] : "?";
}

bool ea_scope_applies(enum ea_scope bound, enum ea_scope focus)
{
    if (bound == focus)
        return true;
    /* The help overlay is modal: only its own keys and scrolling work while it is open. */
    if (focus == EA_SCOPE_HELP)
        return bound == EA_SCOPE_LIST;
    if (bound == EA_SCOPE_GLOBAL)
        return true;
    return bound == EA_SCOPE_LIST &&
           (focus == EA_SCOPE_SESSIONS || focus == EA_SCOPE_PARAMS || focus == EA_SCOPE_HISTORY);
}

/* ---- Key names --------------------------------------------------------------------------- */

static const struct {
    ea_key key;
    const char *name;
} special_names[] = {
    {EA_KEY_UP, "Up"},         {EA_KEY_DOWN, "Down"},     {EA_KEY_LEFT, "Left"},
    {EA_KEY_RIGHT, "Right"},   {EA_KEY_HOME, "Home"},     {EA_KEY_END, "End"},
    {EA_KEY_PGUP, "PgUp"},     {EA_KEY_PGDN, "PgDn"},     {EA_KEY_DELETE, "Delete"},
    {EA_KEY_BACKSPACE, "Backspace"}, {EA_KEY_ENTER, "Enter"}, {EA_KEY_TAB, "Tab"},
    {EA_KEY_BTAB, "S-Tab"},    {EA_KEY_ESC, "Esc"},       {' ', "Space"},
    {EA_KEY_PASTE_START, "PasteStart"}, {EA_KEY_PASTE_END, "PasteEnd"},
};
#define N_SPECIAL (sizeof special_names / sizeof special_names[0])

bool ea_key_is_text(ea_key k)
{
    return k >= 0x20 && k < EA_KEY_SPECIAL && k != 0x7f && !(k >= 0x80 && k < 0xa0);
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t ea_key_utf8(ea_key k, char out[5])
{
    size_t n = ea_key_is_text(k) ? utf8_encode(k, out) : 0;
    out[n] = '\0';
    return n;
}

const char *ea_key_name(ea_key k, char *out, size_t size)
{
    const char *alt = k & EA_KEY_ALT ? "M-" : "";
    ea_key base = k & ~EA_KEY_ALT;
    for (size_t i = 0; i < N_SPECIAL; i++)
        if (special_names[i].key == base) {
            snprintf(out, size, "%s%s", alt, special_names[i].name);
            return out;
        }
    if (base >= EA_KEY_F1 && base <= EA_KEY_F12)
        snprintf(out, size, "%sF%u", alt, (unsigned)(base - EA_KEY_F1 + 1));
    else if (base == EA_CTRL('_'))
        snprintf(out, size, "%sC-_", alt); /* 0x1f: what C-_ and C-/ send */
    else if (base >= 1 && base < 0x20)
        snprintf(out, size, "%sC-%c", alt, (char)(base + 'a' - 1));
    else if (ea_key_is_text(base)) {
        char u[5] = {0};
        u[utf8_encode(base, u)] = '\0';
        snprintf(out, size, "%s%s", alt, u);
    } else
        snprintf(out, size, "%s<%#x>", alt, (unsigned)base);
    return out;
}

int ea_key_parse(const char *name, size_t len, ea_key *out)
{
    ea_key alt = 0;
    if (len > 2 && name[0] == 'M' && name[1] == '-') {
        alt = EA_KEY_ALT;
        name += 2;
        len -= 2;
    }
    for (size_t i = 0; i < N_SPECIAL; i++)
        if (strlen(special_names[i].name) == len && memcmp(special_names[i].name, name, len) == 0) {
            *out = special_names[i].key | alt;
            return 0;
        }
    if (len == 3 && name[0] == 'C' && name[1] == '-' &&
        ((name[2] >= 'a' && name[2] <= 'z') || name[2] == '_')) {
        *out = EA_CTRL(name[2]) | alt;
        return 0;
    }
    if (len >= 2 && len <= 3 && name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
        int n = name[1] - '0';
        if (len == 3) {
            if (name[2] < '0' || name[2] > '9')
                return -1;
            n = n * 10 + (name[2] - '0');
        }
        if (n > 12)
            return -1;
        *out = (ea_key)(EA_KEY_F1 + n - 1) | alt;
        return 0;
    }
    uint32_t cp;
    if (len >= 1 && ea_utf8_decode((const unsigned char *)name, len, &cp) == len &&
        ea_key_is_text(cp)) {
        *out = cp | alt;
        return 0;
    }
    return -1;
}

/* ---- Bindings ---------------------------------------------------------------------------- */

int ea_action_bindings(const ea_action_desc *a, ea_binding *out, int max)
{
    int count = 0;
    const char *p = a->keys;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        ea_binding b = {.len = 0};
        /* One binding is keys separated by single spaces: "C-x C-e". */
        const char *k = p;
        while (k < end) {
            while (k < end && *k == ' ')
                k++;
            const char *ke = k;
            while (ke < end && *ke != ' ')
                ke++;
            if (ke == k)
                break;
            if (b.len == EA_KEYSEQ_MAX || ea_key_parse(k, (size_t)(ke - k), &b.seq[b.len]) != 0)
                return -1;
            b.len++;
            k = ke;
        }
        if (b.len == 0)
            return -1;
        if (count < max)
            out[count] = b;
        count++;
        p = *end ? end + 1 : end;
    }
    return count < max ? count : max;
}

#define MAX_BINDINGS_PER_ACTION 4

int ea_keymap_lookup(const ea_key *seq, int n, enum ea_scope focus)
{
    /* Two passes: the focused scope's own bindings shadow the wider ones (Enter sends in the
     * editor and switches sessions in the session list). */
    for (int pass = 0; pass < 2; pass++) {
        int result = EA_ACT_NONE;
        for (size_t i = 0; i < N_ACTIONS; i++) {
            const ea_action_desc *a = &actions[i];
            if ((pass == 0) != (a->scope == focus) || !ea_scope_applies(a->scope, focus))
                continue;
            ea_binding b[MAX_BINDINGS_PER_ACTION];
            int nb = ea_action_bindings(a, b, MAX_BINDINGS_PER_ACTION);
            for (int j = 0; j < nb; j++) {
                if (b[j].len < n || memcmp(b[j].seq, seq, (size_t)n * sizeof *seq) != 0)
                    continue;
                if (b[j].len == n)
                    return a->id;
                result = EA_ACT_PREFIX;
            }
        }
        if (result != EA_ACT_NONE)
            return result;
    }
    return EA_ACT_NONE;
}

/* man(7) wants a backslash before each '-' that is a hyphen-minus to be typed. */
static void man_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static const ea_mouse_help mouse_help[] = {
    {"Click", "focuses the panel under it and acts on what it points at: opens a session, "
              "selects a turn, a parameter or a grid's image, puts the prompt's cursor there, "
              "steps a parameter's value on its arrows, places the mask's region; closes the help"},
    {"Double click", "opens what a click selected, as Enter does: a turn's image, a parameter's "
                     "value to type, the grid's image to go on from"},
    {"Wheel", "scrolls the list, the prompt or the help under the pointer without taking the "
              "focus; over a mask, grows or shrinks its region"},
    {"Shift + drag", "selects text for the terminal's own copy (config key mouse = off leaves "
                     "the mouse to the terminal altogether)"},
};

const ea_mouse_help *ea_mouse_help_table(size_t *count)
{
    *count = sizeof mouse_help / sizeof mouse_help[0];
    return mouse_help;
}

void ea_keymap_print_man(FILE *out)
{
    fputs(".SH KEYS\n"
          "The workbench's keys, generated from its one table of actions\n"
          "(the help overlay, F1, shows the same list).\n", out);
    for (int s = 0; s < EA_SCOPE_COUNT; s++) {
        bool header = false;
        for (size_t i = 0; i < N_ACTIONS; i++) {
            if ((int)actions[i].scope != s)
                continue;
            if (!header) {
                fprintf(out, ".SS %s\n", ea_scope_title((enum ea_scope)s));
                header = true;
            }
            fputs(".TP\n.B ", out);
            man_escaped(out, actions[i].keys);
            fputc('\n', out);
            man_escaped(out, actions[i].help);
            fputc('\n', out);
        }
    }
    fputs(".SS Mouse\n", out);
    for (size_t i = 0; i < sizeof mouse_help / sizeof mouse_help[0]; i++) {
        fputs(".TP\n.B ", out);
        man_escaped(out, mouse_help[i].gesture);
        fputc('\n', out);
        man_escaped(out, mouse_help[i].help);
        fputc('\n', out);
    }
}
