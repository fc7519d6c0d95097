/* SPDX-License-Identifier: MIT */
/* ui/internal: what the workbench's files share: the application state, the panel operations
 * table every panel fills in (one panel per file, its ops at the bottom), and the helpers. */
#ifndef EASEL_UI_INTERNAL_H
#define EASEL_UI_INTERNAL_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "easel/backend.h"
#include "easel/budget.h"
#include "easel/buf.h"
#include "easel/config.h"
#include "easel/draft.h"
#include "easel/editbuf.h"
#include "easel/history.h"
#include "easel/http.h"
#include "easel/keymap.h"
#include "easel/layout.h"
#include "easel/maskshape.h"
#include "easel/params.h"
#include "easel/prices.h"
#include "easel/session.h"
#include "easel/turn.h"
#include "easel/ui.h"

typedef struct ui_app ui_app;
typedef struct ui_panel ui_panel;
typedef struct ui_picture ui_picture;
typedef void (*ui_ask_done)(ui_app *app, const char *answer);

/* ---- Themes (theme.c) --------------------------------------------------------------------- */

enum ui_role {
    UI_NORMAL,
    UI_TITLE,
    UI_BANNER,       /* the offline backend's banner */
    UI_BORDER,
    UI_BORDER_FOCUS,
    UI_SELECTED,
    UI_STATUS,
    UI_ERROR,
    UI_OK,
    UI_DIM,
    UI_KEY,
    UI_ROLE_COUNT
};

typedef struct ui_theme {
    char name[64];
    attr_t attr[UI_ROLE_COUNT]; /* attributes and colour pair, ready for wattrset */
} ui_theme;

/* `name` NULL or "" picks dark, or mono under NO_COLOR; -1 with a message for an unknown one. */
int ui_theme_init(ui_theme *t, const char *name, char *why, size_t why_len);
const char *ui_theme_names(void); /* "dark, light, high-contrast, mono" for messages */

/* ---- The mouse ---------------------------------------------------------------------------- */

enum ui_mouse_kind { UI_MOUSE_CLICK, UI_MOUSE_WHEEL_UP, UI_MOUSE_WHEEL_DOWN };
#define UI_MOUSE_KIND_COUNT 3
/* "click", "wheel-up", "wheel-down": the scripted mode's words and the trace's (run.c). */
extern const char *const ui_mouse_kind_names[UI_MOUSE_KIND_COUNT];

/* A press of the first button or a turn of the wheel. Coordinates are the screen's cells,
 * 0-based; a panel's handler gets them relative to its window (its border is row 0). */
typedef struct ui_mouse {
    enum ui_mouse_kind kind;
    int y, x;
    int clicks; /* 2 for the second click on the same cell within UI_DOUBLE_CLICK_MS */
    bool took_focus; /* the click moved the focus to this panel (what it shows changed) */
} ui_mouse;

#define UI_DOUBLE_CLICK_MS 400

/* What the terminal sent: a key, or the mouse. */
typedef struct ui_input {
    bool is_mouse;
    ea_key key;
    ui_mouse mouse;
} ui_input;

/* ---- Panels ------------------------------------------------------------------------------- */

typedef struct ui_panel_ops {
    const char *title;
    enum ea_scope scope;
    bool focusable;
    /* Draws the whole panel into p->win (already erased), border included. */
    void (*draw)(ui_app *app, ui_panel *p);
    /* An action of the panel's scope (or a wider one); false when it does not apply. */
    bool (*action)(ui_app *app, ui_panel *p, enum ea_action a);
    /* Typed text (the editor): UTF-8 of one key. NULL for panels that take none. */
    bool (*text)(ui_app *app, ui_panel *p, const char *utf8, size_t n);
    /* The mouse on the panel, which already has the focus when it was a click; NULL for
     * panels it does nothing in. */
    void (*mouse)(ui_app *app, ui_panel *p, const ui_mouse *m);
} ui_panel_ops;

struct ui_panel {
    enum ea_panel_id id;
    const ui_panel_ops *ops;
    WINDOW *win;
    ea_rect rect;
    bool dirty;
    int sel, top; /* list panels: the selected line and the first one shown */
};

extern const ui_panel_ops ui_title_ops, ui_sessions_ops, ui_preview_ops, ui_history_ops,
    ui_editor_ops, ui_params_ops, ui_status_ops;

/* ---- Sessions, requests and the preview (app.c) ------------------------------------------ */

/* Bytes shared by the loop and the picture worker (a frame's file), freed by the last one
 * to let go (picture.c). */
typedef struct ui_blob ui_blob;
ui_blob *ui_blob_new(const void *bytes, size_t n);
ui_blob *ui_blob_ref(ui_blob *b);
void ui_blob_unref(ui_blob **b);
size_t ui_blob_size(const ui_blob *b);

/* The picture the preview shows for a session: the newest partial frame (its bytes; a newer
 * one replaces one not yet drawn) or a saved image (a path). */
typedef struct ui_frame {
    unsigned long serial; /* new for every frame (0: none), so the picture knows it changed */
    ui_blob *bytes;
    char *path;        /* a saved image (owned), or NULL */
    int index, total;  /* partial frame k of N; index 0 is a final image */
    int turn;
    int image;         /* of a turn whose model makes as many images as it chooses: the
                          image (k of images/TURN-k.EXT) the frame is of; 0: not said */
    int w, h;
    char format[8];
    bool fresh;        /* not drawn yet */
    /* A turn's several images (n > 1) show as a grid, one cell each: their paths (owned;
     * path is the first), and the cell selected, which Enter picks to go on from. */
    char **cells;
    int n_cells, pick;
    int compare;       /* two turns side by side: the left one's number (turn is the right) */
    /* A batch's contact sheet: page `sheet_page` of `sheet_pages` (0: not a sheet), each
     * cell's turn (owned), so that a pick goes on from that batch line. */
    int sheet_page, sheet_pages;
    int *cell_turns;
    bool avatar;       /* path at avatar sizes, square and circle, at true pixel size */
    const ea_mask_shape *mask; /* borrowed: drawn over path (the mask mode), or NULL */
} ui_frame;

/* One turn of the current session, for the history panel. Strings are sanitized copies. */
typedef struct ui_turn_row {
    int turn;
    char time[16];     /* "15:30:12" (UTC, as the log keeps it) */
    char date[16];
    char status[16];   /* completed, failed, cancelled, interrupted, running */
    char *prompt;
    char *revised;     /* "" when none */
    double cost_usd;   /* NAN: unknown */
    bool offline;      /* the offline backend's: not spend */
    long ms_first_partial, ms_total; /* -1: unknown */
    char params[160];  /* the request as sent: "images · gpt-image-2 · 1024x1024 · high" */
    int parent;        /* the turn it went on from (0: none) */
    bool branched;     /* ...named by a branch (--from) */
    bool batch;        /* a line of an `easel batch` (status "pending" until fetched) */
    size_t n_images;
    char image[64];    /* the first image, relative to the session dir, or "" */
    char *error;       /* a failed turn's error whole ("type code: message"), or NULL */
    char *thinking;    /* a thinking turn's reasoning summary, its newlines kept, or NULL */
} ui_turn_row;

/* A session as the workbench holds it. Ten thousand of them are held at start, so a slot
 * keeps no path buffers of its own: the folder and the preview's file are allocated. */
typedef struct ui_slot {
    ui_app *app;
    ea_session_info info;   /* id "" until the session exists on disk (created on first send) */
    char *dir;              /* owned; NULL until the session exists on disk */
    ea_session *session;    /* open to write while current or generating, else NULL */
    ea_turn *turn;          /* the running request, or NULL */
    bool turn_done;         /* on_done ran: the loop frees the turn */
    ea_params params;       /* the running request's parameters (the turn borrows them) */
    ea_turn_progress progress;
    int sending_turn;
    int from_turn;          /* the next send branches from this turn (0: from the newest) */
    bool new_conversation;  /* the next send starts a new Responses conversation (the API
                               no longer had the one it continued) */
    int marked_turn;        /* the history's mark, compared with another turn (0: none) */
    ui_frame frame;
    /* A thinking turn as it runs (protocol.md 15): the reasoning summary so far, sanitized
     * (owned; NULL: none), and the newest web search, shown in the preview until the first
     * frame comes. */
    char *thinking;
    char searching[256];
    /* The session's draft (app.c, "Drafts") as last saved or read, as JSON (owned; NULL:
     * not known yet), and whether saving it failed (it is tried again, and at the exit). */
    char *draft_json;
    bool draft_unsaved;
    /* The list's title (the first prompt on one line) and what / searches (name, id and
     * every prompt, ASCII folded to lower case): read when first needed (owned; NULL: not
     * read yet). */
    char *title;
    char *haystack;
} ui_slot;

/* ---- The application ---------------------------------------------------------------------- */

#define UI_MAX_PARAMS 32
#define UI_THINKING_MAX (16u * 1024) /* of a reasoning summary, the end the preview keeps */

struct ui_app {
    ea_ui_options opt;
    ea_config cfg;
    ea_backend backend;
    ea_prices *prices;
    ea_http *http;
    ui_theme theme;

    ui_panel panels[EA_PANEL_COUNT];
    enum ea_panel_id focus;
    ea_layout layout;
    ea_layout_want want;
    bool relayout;

    ui_slot **slots;        /* newest first */
    size_t n_slots, cur;
    /* The sessions not read yet: the first screenful is read before the first frame, the
     * rest between keys (ui_sessions_load_more), so start-up does not grow with them. */
    ea_session_lister *lister;
    char sessions_root[4096];

    /* The parameter panel: one value a parameter (NULL: the default), resolved live. */
    char *values[UI_MAX_PARAMS];
    /* The image models the backend lists (GET /models, fetched in the background at start),
     * which the panel offers; none until they come, or when the fetch fails: then the rule
     * table's. Owned. */
    char **listed_models;
    int n_listed_models;
    bool models_pending;    /* the fetch runs (a script's <wait-idle> waits for it) */
    bool models_asked;      /* asked once, when the parameter panel first had the focus */
    bool params_stale;
    bool params_ok;
    char params_msg[1024];
    ea_warnings warnings;
    ea_estimate estimate;
    char resolved_size[32];
    bool param_editing;     /* Enter on a parameter: a one-line input in the panel */
    ea_editbuf param_input;
    /* The images attached (references, or the image to edit): paths, owned. They stay
     * attached, as the other values do, until removed from the panel. */
    char *images[EA_MAX_IMAGES];
    int n_images;
    /* The first image attached (and a mask) is for the next send only: a grid's pick, an
     * accepted mask, a new conversation's start; the turns after go on from the newest image.
     * The images attached by hand after it stay. */
    bool images_once;

    /* The prompt editor and the prompts sent before (Up and Down recall them). */
    ea_editbuf edit;
    char **prompts;
    size_t n_prompts, prompt_pos;
    char *draft;            /* the text being typed when recall began */
    /* The session whose draft the editor and the panel hold (NULL: none yet, or it went to
     * the trash), and when a change to it is due to be saved (0: nothing pending). */
    ui_slot *draft_slot;
    double draft_due_ms;
    bool draft_failed;      /* the last save failed: said once, until one succeeds */
    int edit_width;         /* the editor's text columns, for Up and Down */
    bool searching;         /* C-r: the keys go to the search until Enter or Esc */
    ea_editbuf search;      /* what is searched for */
    size_t search_hit;      /* the prompt shown (an index into prompts); n_prompts: none */
    char *search_saved;     /* the text before the search, back on Esc */
    bool pasting;           /* between the terminal's paste start and end */

    /* A question on the status bar (a session's new name): keys go to its line until Enter
     * (done runs with the answer) or Esc. */
    ui_ask_done ask_done;
    char ask_label[128];
    ea_editbuf ask_input;
    bool ask_path;          /* the answer is a path: Tab completes it */
    char ask_hint[512];     /* after the answer: the names a Tab found, when several */
    size_t ask_slot;        /* the session asked about */
    bool trash_armed;       /* d was pressed once on ask_slot: d again moves it to the trash */

    /* The session list: / filters it as typed (name, title, prompts), t shows the trash. */
    bool filtering;         /* keys go to the filter's line until Enter or Esc */
    ea_editbuf filter;
    size_t *shown, n_shown; /* with a filter: the slots that match, in order */
    bool trash_view;
    char trash_dir[4096];
    char **trash, **trash_titles; /* owned: the trash's folders, and their titles */
    size_t n_trash;

    /* The current session's turns, for the history panel. */
    ui_turn_row *rows;
    size_t n_rows;
    ea_history_batch batch; /* the current session's batch lines, from the same load */

    /* M in the preview: regions drawn over the image shown (mask_image), which Enter turns
     * into the next send's mask. Keys go to the MASK scope while the preview has the focus. */
    bool masking;
    ea_mask_shape mask;
    char *mask_image;       /* owned */

    /* v in the history: one turn read whole over the history and preview (detail.c), or 0. */
    int detail_turn, detail_top;

    bool help_open;
    int help_top;
    WINDOW *help_win;

    ea_buf clipboard;       /* an OSC 52 sequence to write after the next doupdate() */

    char message[600];      /* the status bar's message */
    bool message_error;
    /* A message true only for a while goes when that ends (ui_message_expire): a mark not
     * used yet, a retry still waited for (message_slot's), a copy just made (until then). */
    enum ui_note { UI_NOTE_NONE, UI_NOTE_MARK, UI_NOTE_RETRY } message_note;
    const ui_slot *message_slot;
    double message_until;
    bool help_dirty;

    bool mouse;             /* the terminal reports the mouse (config key `mouse`) */
    double click_at;        /* the last click, to tell a double click */
    int click_y, click_x;

    ea_key pending[EA_KEYSEQ_MAX]; /* a key sequence begun (C-x) */
    int n_pending;

    bool quit_armed, quitting, hung_up, done;
    bool script;
    bool headless;          /* scripted without a terminal: curses draws into memory */
    ui_picture *picture;    /* the preview's picture (picture.c) */
    unsigned long frame_serial; /* the last ui_frame serial handed out */
    bool drawn_once;        /* the first doupdate() happened (the trace's start-up time) */
    double key_due_ms;      /* the oldest key not yet on the screen (0: none), for the trace */
    int child_pid;          /* the external editor, or 0 */
    char child_file[4200];
    bool ask_one_key;       /* the question is y/N: its first key answers it, no Enter */
};

/* app.c */
int ui_app_open(ui_app *app, const ea_ui_options *opt, char *why, size_t why_len);
void ui_app_close(ui_app *app);
ui_slot *ui_current(ui_app *app);
void ui_switch_session(ui_app *app, size_t index);
void ui_new_session(ui_app *app);
/* Renaming (a question on the status bar) and moving to $XDG_DATA_HOME/easel/trash. */
void ui_session_rename(ui_app *app, size_t index);
void ui_session_trash(ui_app *app, size_t index);
/* Drafts (design.md 7): the prompt, the images and the panel's values belong to the session.
 * changed: something in them may have changed (the loop saves it within
 * UI_DRAFT_DEBOUNCE_MS); timeout: ms until that is due, or -1; save_due: saves when due, or
 * at once when `now` (an exit); flush: every draft not saved yet, at the exit (false when one
 * could not be, with why on stderr). */
#define UI_DRAFT_DEBOUNCE_MS 500
void ui_draft_changed(ui_app *app);
int ui_draft_timeout(const ui_app *app);
void ui_draft_save_due(ui_app *app, bool now);
bool ui_draft_flush(ui_app *app);
/* The list's title of a session, and its text for the filter (see ui_slot); never NULL. */
const char *ui_slot_title(ui_slot *s);
const char *ui_slot_haystack(ui_slot *s);
/* A session folder's first prompt (first_only) or all its prompts, sanitized, on one line;
 * owned, never NULL. */
char *ui_session_prompts(const char *dir, bool first_only);
/* A session on disk into the list at `at` (a restored one). 0, or -1 out of memory. */
int ui_sessions_insert(ui_app *app, size_t at, const ea_session_info *info);
/* The trash (panel_sessions.c): t in the list shows it, Enter there restores a session. */
void ui_trash_free(ui_app *app);
/* The filter's line (panel_sessions.c): every key while app->filtering. */
void ui_sessions_filter_key(ui_app *app, ea_key k);
/* Reads a few more sessions into the list; false when they are all in. */
bool ui_sessions_load_more(ui_app *app);
void ui_load_history(ui_app *app);
void ui_send(ui_app *app);
void ui_cancel(ui_app *app);
/* Polls the turns (their images are saved off the loop), then frees those whose on_done ran;
 * called from the loop after ea_http_process. */
void ui_reap_turns(ui_app *app);
int ui_running(const ui_app *app); /* requests still going, all sessions */
/* The budget for the current session's next call (est: its estimate, checked at its bound;
 * NULL: none): the limits, the spends (that of all sessions summed only when budget_usd is
 * set; partial while the list is still being read, unless every_session reads the rest
 * first) and the verdict. -1 with err for a limit that is not an amount. */
typedef struct ui_budget {
    ea_budget_limits limits;
    double session_usd, all_usd;
    bool all_partial;
    ea_budget_verdict verdict;
} ui_budget;
int ui_budget_get(ui_app *app, const ea_estimate *est, bool every_session, ui_budget *out,
                  ea_err *err);
/* A turn's image, or its images as a grid when it made several. */
void ui_show_turn_image(ui_app *app, const ui_turn_row *row);
/* The first images of two turns side by side (a grid of two cells), left and right. */
void ui_compare_turns(ui_app *app, const ui_turn_row *left, const ui_turn_row *right);
/* A turn's image at the avatar sizes (32, 64 and 128 px, square and circle crop). */
void ui_show_avatar_sizes(ui_app *app, const ui_turn_row *row);
/* Image k (from 1) of a turn of the current session, as a path (owned; NULL: none). */
char *ui_turn_image_path(ui_app *app, const ui_turn_row *row, int k);
/* Clears the status bar's message when it stopped being true (see message_note); returns
 * the milliseconds until one is due to go, or -1. */
int ui_message_expire(ui_app *app);
#define UI_NOTE_MS 4000
/* A batch session's images as a contact sheet, page `page` (from 0, clamped); false when
 * the session has no fetched batch images. */
bool ui_show_batch_sheet(ui_app *app, int page);
/* Enter on the grid: the selected image becomes the one the next send edits. */
void ui_pick_grid_image(ui_app *app);
/* Leaves the mask mode (panel_preview.c), on Esc or when the workbench closes. */
void ui_mask_leave(ui_app *app);
/* The system clipboard, through the terminal (OSC 52), so a copy works over SSH: the
 * sequence goes out raw after the next doupdate(), as pictures do. */
void ui_clipboard_copy(ui_app *app, const char *text);
void ui_clipboard_flush(ui_app *app);
void ui_message(ui_app *app, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ui_dirty(ui_app *app, enum ea_panel_id id);
void ui_dirty_all(ui_app *app);

/* panel_status.c: the question line. */
void ui_ask(ui_app *app, const char *label, const char *initial, ui_ask_done done);
/* The same for a path, with Tab completing its last component (ui_path_complete). */
void ui_ask_path(ui_app *app, const char *label, const char *initial, ui_ask_done done);
void ui_ask_key(ui_app *app, ea_key k);
/* A y/N question: y (or Y) answers "y", any other key (Enter, Esc) "" and nothing happens. */
void ui_ask_yes_no(ui_app *app, const char *question, ui_ask_done done);

/* complete.c: `typed` with its last component completed from the directory's entries, as
 * far as they all agree (a lone directory gains a '/'), into out; with several matches their
 * names, two spaces apart, into list. Returns how many entries matched. */
size_t ui_path_complete(const char *typed, char *out, size_t out_len, char *list, size_t list_len);
/* A leading "~/" as $HOME; -1 when it does not fit. */
int ui_path_expand(const char *typed, char *out, size_t out_len);

/* panel_params.c */
void ui_params_refresh(ui_app *app);
/* Builds the request's parameters from the panel's values and the prompt; -1 with err. */
int ui_params_build(ui_app *app, const char *prompt, ea_params *out, ea_err *err);
void ui_params_from_config(ui_app *app);
/* Keys while a parameter's value is being typed (after Enter on it). */
bool ui_params_edit_key(ui_app *app, ea_key k);
/* The image the next send edits: it replaces whatever was attached, for that send only
 * (images_once). False (with a message) when it cannot be read. */
bool ui_params_edit_image(ui_app *app, const char *path);
/* The way on when the API lost the conversation: path goes first, for the next send only,
 * before the images the user attached, which stay. False when there is no room. */
bool ui_params_go_on_from(ui_app *app, const char *path);
/* The panel's values and images into a draft, and back (a NULL value is the default). */
int ui_params_to_draft(const ui_app *app, ea_draft *d);
void ui_params_from_draft(ui_app *app, const ea_draft *d);
/* A send started: an image and mask attached for it alone (images_once) are let go. */
void ui_params_sent(ui_app *app);
/* The mask parameter's value (a path; NULL: none). */
void ui_params_set_mask(ui_app *app, const char *path);
/* Lets go of the attached images (the workbench closes). */
void ui_params_free(ui_app *app);
/* Starts the background fetch of the backend's models (ui_app.listed_models); a failure
 * leaves the rule table's models offered. ui_params_models_free after ea_http_free. */
void ui_params_models_fetch(ui_app *app);
void ui_params_models_free(ui_app *app);

/* panel_editor.c */
void ui_editor_set_text(ui_app *app, const char *text);
/* The same for a text from elsewhere (a turn's prompt, a search's find): the text it replaces
 * is kept for Undo (C-_), and the status bar says so. */
void ui_editor_replace_text(ui_app *app, const char *text);
void ui_editor_remember(ui_app *app, const char *prompt);
/* C-x C-e: suspends the screen and starts $VISUAL on a temp file; the loop calls _done
 * with the exit status once the child is gone. */
void ui_editor_external(ui_app *app);
void ui_editor_external_done(ui_app *app, int status);
/* C-r: begins the reverse search; then every key goes to ui_editor_search_key. */
void ui_editor_search_begin(ui_app *app);
void ui_editor_search_key(ui_app *app, ea_key k);
/* A key between paste start and end: text, with Enter a newline. */
void ui_editor_paste_key(ui_app *app, ea_key k);

/* detail.c: v in the history. While open, the history panel draws and acts through it, and
 * the layout gives it the preview's rows (ui_detail_layout, after ea_layout_compute). */
void ui_detail_open(ui_app *app, const ui_turn_row *r);
void ui_detail_close(ui_app *app);
void ui_detail_draw(ui_app *app, ui_panel *p);
bool ui_detail_action(ui_app *app, ui_panel *p, enum ea_action a);
void ui_detail_layout(const ui_app *app, ea_layout *l);

/* help.c */
void ui_help_draw(ui_app *app);
bool ui_help_action(ui_app *app, enum ea_action a);

/* draw.c: UTF-8 text into curses cells. The text must be sanitized already. */
int ui_put(WINDOW *w, int y, int x, int max_cols, const char *utf8, size_t n, attr_t attr);
int ui_puts(WINDOW *w, int y, int x, int max_cols, const char *utf8, attr_t attr);
/* Wrapping between words: where the row that starts at `start` ends (ea_text_row_end, moved
 * back to the last blank when a word would be cut), *next where the next row starts. */
size_t ui_wrap_end(const char *s, size_t len, size_t start, int width, size_t *next);
/* The same, a text too long cut between words where one ends past half the room (else
 * between characters) and marked with an ellipsis. */
int ui_puts_cut(WINDOW *w, int y, int x, int max_cols, const char *utf8, attr_t attr);
void ui_fill(WINDOW *w, int y, int x, int cols, attr_t attr);
/* The keys of a one-line input (a parameter's value, a question on the status bar): motion,
 * deletion and text. False for any other key. */
bool ui_line_edit_key(ea_editbuf *e, ea_key k);
void ui_box(ui_app *app, ui_panel *p, const char *title);
/* Rows of the panel inside its border. */
int ui_inner_h(const ui_panel *p);
int ui_inner_w(const ui_panel *p);
/* List panels: keeps sel within [0, count) and visible in a window of `rows` lines. */
void ui_list_clamp(ui_panel *p, int count, int rows);
bool ui_list_action(ui_panel *p, enum ea_action a, int count, int page);
/* A text view's first line moved by the list keys (clamped when drawn); false for others. */
bool ui_scroll_action(int *top, enum ea_action a, int page);
/* The mouse on a list of `count` items `per` rows tall below the border: the wheel scrolls the
 * view (the selection follows when it would leave it); a click selects. Returns the item
 * clicked, or -1 (a wheel, or a click below the last item). */
int ui_list_mouse(ui_panel *p, const ui_mouse *m, int count, int per);

/* picture.c: the preview's picture (see the top of the file for how and why).
 * open asks the terminal how it draws pictures, so it runs before curses starts; headless
 * (no terminal) draws half blocks, or $EASEL_GRAPHICS, into curses' output. The rest run on
 * the loop's thread. */
int ui_picture_open(ui_app *app, bool headless, int wake_fd, char *why, size_t why_len);
void ui_picture_set_output(ui_app *app, int fd);
void ui_picture_close(ui_app *app);
/* The preview panel: f goes into the rectangle (screen cells, 0-based), which curses must then
 * leave blank. False when it cannot (the panel describes the frame in text instead). */
bool ui_picture_show(ui_app *app, const ui_frame *f, int row, int col, int rows, int cols);
/* The pixels a picture composed for that rectangle has (ea_gfx_canvas); false when no picture
 * can be drawn. */
bool ui_picture_canvas(const ui_app *app, int rows, int cols, int *w, int *h);
/* One avatar rendition of the image at path: its centred square at px x px, round (the corners
 * transparent) when circle, as the avatar view shows it. */
struct ea_image;
int ui_avatar_render(const char *path, int px, bool circle, struct ea_image *out, ea_err *err);
/* The columns of a grid of n cells: as square as it gets, wider than tall. */
int ui_grid_cols(int n);
/* The mouse over the picture: where the screen cell (y, x) falls on it, as fractions across
 * and down (0..1) of the image drawn, or of a grid's cell, whose index goes to *cell (-1 for a
 * single image). False when the cell is not on the picture (a gap of a grid included). */
bool ui_picture_point(const ui_app *app, int y, int x, double *u, double *v, int *cell);
/* No picture: the panel collapsed, or shows text. */
void ui_picture_hide(ui_app *app);
/* The screen was repainted whole: the picture goes out again at the next flush. */
void ui_picture_invalidate(ui_app *app);
/* After a wake-up: a frame the worker finished goes into the slot, unless it is stale. */
void ui_picture_collect(ui_app *app);
/* After doupdate(): writes what is due without blocking for long. */
void ui_picture_flush(ui_app *app);
/* A frame is partly written: wait for the output to be writable and draw no text meanwhile. */
bool ui_picture_busy(const ui_app *app);
int ui_picture_out_fd(const ui_app *app);
/* Milliseconds until a deferred flush should be tried again, or -1. */
int ui_picture_timeout(const ui_app *app);
/* Nothing is decoding or waiting to be drawn (the scripted mode's idle includes it). */
bool ui_picture_settled(ui_app *app);
/* SIGWINCH: the cell size may have changed with the font; ask the terminal again. */
void ui_picture_resized(ui_app *app);
/* Why the wanted frame shows as text ("" when it does not), and the protocol's name. */
const char *ui_picture_error(const ui_app *app);
const char *ui_picture_protocol(const ui_app *app);

/* term.c */
/* mouse: ask the terminal to report clicks and the wheel (the terminal's own selection then
 * takes Shift held, as in every program that uses the mouse). */
int ui_term_start(bool script, bool mouse, int cols, int rows, char *why, size_t why_len);
void ui_term_stop(void);
void ui_term_resize(ui_app *app, int cols, int rows);
/* Every cell of the screen as text, one line a row (trailing blanks dropped). */
int ui_term_dump(const char *path);
/* The next key or mouse event from the terminal, translated; false when none is waiting. */
bool ui_term_read(ui_input *out);
void ui_term_suspend(void);
void ui_term_resume(void);

/* script.c: the scripted mode's keys and commands. */
typedef enum ui_script_op { UI_SCRIPT_KEY, UI_SCRIPT_WAIT_IDLE, UI_SCRIPT_RESIZE, UI_SCRIPT_DUMP,
                            UI_SCRIPT_SLEEP, UI_SCRIPT_WAIT_FILE, UI_SCRIPT_MOUSE,
                            UI_SCRIPT_END } ui_script_op;
typedef struct ui_script_item {
    ui_script_op op;
    ea_key key;
    ui_mouse mouse;
    int a, b;            /* RESIZE: cols, rows; SLEEP: milliseconds */
    char path[1024];     /* DUMP, WAIT_FILE */
} ui_script_item;
typedef struct ui_script ui_script;
ui_script *ui_script_open(const char *path, char *why, size_t why_len);
/* The next item; END at the end; -1 with why on a syntax error. */
int ui_script_next(ui_script *s, ui_script_item *out, char *why, size_t why_len);
void ui_script_close(ui_script **s);

int ui_term_out_fd(void);

/* tmux_watch.c: inside tmux, twice a second, whether the pane's window is shown again (a
 * switch back, a re-attach): then everything is drawn again. Returns ms until it wants to run
 * again, or -1 outside tmux. _stop ends a question still running. */
int ui_tmux_watch(ui_app *app);
void ui_tmux_watch_stop(void);

/* run.c */
/* Everything drawn again, the picture too (the terminal lost it: focus back, tmux). */
void ui_repaint(ui_app *app);
void ui_dispatch_key(ui_app *app, ea_key k);
/* Focuses the panel clicked, then hands the event to it (or to the help overlay). */
void ui_dispatch_mouse(ui_app *app, ui_mouse m);
void ui_render(ui_app *app);
/* EASEL_UI_TRACE=FILE: one line per event for tests and benchmarks, with the monotonic time
 * in ms first (pictures drawn, key latencies). Does nothing without it. */
void ui_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether a trace is written: what is worked out only for it is skipped otherwise. The trace
 * is opened before any thread starts, so the picture worker may ask too. */
bool ui_tracing(void);
double ui_now_ms(void);

#endif
