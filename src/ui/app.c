/* SPDX-License-Identifier: MIT */
/* app: the workbench's state outside the screen: the backend, the sessions (one request each
 * at most, all in the one ea_http), their turns for the history, and the preview's frames. */
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/api.h"
#include "easel/gfx.h"
#include "easel/history.h"
#include "easel/image.h"
#include "easel/paths.h"
#include "easel/sanitize.h"
#include "internal.h"

/* ---- Messages and redraws ------------------------------------------------------------------ */

void ui_message(ui_app *app, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->message, sizeof app->message, fmt, ap);
    va_end(ap);
    app->message_error = error;
    app->message_note = UI_NOTE_NONE;
    app->message_until = 0;
    ui_dirty(app, EA_PANEL_STATUS);
}

int ui_message_expire(ui_app *app)
{
    bool gone = (app->message_note == UI_NOTE_MARK && !ui_current(app)->marked_turn) ||
                (app->message_until > 0 && ui_now_ms() >= app->message_until);
    if (gone)
        ui_message(app, false, "%s", "");
    return app->message_until > 0 ? (int)(app->message_until - ui_now_ms()) + 1 : -1;
}

/* A retry's message goes once the request got through (or ended: on_done says how). */
static void retry_over(ui_slot *s)
{
    if (s->app->message_note == UI_NOTE_RETRY && s->app->message_slot == s)
        ui_message(s->app, false, "%s", "");
}

void ui_dirty(ui_app *app, enum ea_panel_id id)
{
    app->panels[id].dirty = true;
}

void ui_dirty_all(ui_app *app)
{
    for (int i = 0; i < EA_PANEL_COUNT; i++)
        app->panels[i].dirty = true;
}

ui_slot *ui_current(ui_app *app)
{
    return app->slots[app->cur];
}

static char *sanitized_text(const char *text, int keep_newlines)
{
    ea_buf b;
    ea_buf_init(&b, 1u << 20);
    if (text)
        ea_sanitize_append(&b, text, strlen(text), keep_newlines);
    size_t n;
    char *s = ea_buf_steal(&b, &n);
    return s ? s : strdup("");
}

static char *sanitized(const char *text)
{
    return sanitized_text(text, 0);
}

/* ---- Sessions ------------------------------------------------------------------------------- */

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", dir, name);
    return path;
}

/* info NULL: a session not on disk yet. */
static ui_slot *slot_new(ui_app *app, const ea_session_info *info)
{
    ui_slot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->app = app;
    ea_params_init(&s->params);
    if (info) {
        s->info = *info;
        if (!(s->dir = join(app->sessions_root, info->id))) {
            free(s);
            return NULL;
        }
    }
    return s;
}

static void frame_clear(ui_frame *f)
{
    ui_blob_unref(&f->bytes);
    free(f->path);
    for (int i = 0; i < f->n_cells; i++)
        free(f->cells[i]);
    free(f->cells);
    free(f->cell_turns);
    memset(f, 0, sizeof *f);
}

static void thinking_clear(ui_slot *s)
{
    free(s->thinking);
    s->thinking = NULL;
    s->searching[0] = '\0';
}

static void slot_free(ui_slot *s)
{
    if (s->app->draft_slot == s)
        s->app->draft_slot = NULL;
    free(s->draft_json);
    ea_turn_free(&s->turn);
    ea_session_close(&s->session);
    ea_params_free(&s->params);
    frame_clear(&s->frame);
    free(s->title);
    free(s->haystack);
    thinking_clear(s);
    free(s->dir);
    free(s);
}

char *ui_session_prompts(const char *dir, bool first_only)
{
    ea_buf b;
    ea_buf_init(&b, 1u << 20);
    ea_history_reader *r = NULL;
    ea_history_turn t = {0};
    int first = 0;
    if (dir && ea_history_open(dir, &r, NULL) == 0) {
        /* Turns come as they end, not by number: the first is the lowest numbered. */
        while (ea_history_next(r, &t, NULL) == 1) {
            if (!t.prompt || !*t.prompt || (first_only && first && t.turn > first))
                continue;
            if (first_only)
                b.len = 0, first = t.turn;
            if (b.len)
                ea_buf_putc(&b, ' ');
            ea_sanitize_append(&b, t.prompt, strlen(t.prompt), 0);
        }
        ea_history_turn_clear(&t);
        ea_history_close(&r);
    }
    char *out = ea_buf_steal(&b, NULL);
    for (char *c = out; c && *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    return out ? out : strdup("");
}

const char *ui_slot_title(ui_slot *s)
{
    if (!s->title)
        s->title = ui_session_prompts(s->dir, true);
    return s->title ? s->title : "";
}

const char *ui_slot_haystack(ui_slot *s)
{
    if (!s->haystack) {
        char *prompts = ui_session_prompts(s->dir, false);
        size_t n = strlen(s->info.name) + strlen(s->info.id) + (prompts ? strlen(prompts) : 0) + 3;
        if ((s->haystack = malloc(n)) != NULL) {
            snprintf(s->haystack, n, "%s\n%s\n%s", s->info.name, s->info.id, prompts ? prompts : "");
            for (char *c = s->haystack; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a');
        }
        free(prompts);
    }
    return s->haystack ? s->haystack : "";
}

static int slots_insert(ui_app *app, size_t at, ui_slot *s)
{
    ui_slot **grown = realloc(app->slots, (app->n_slots + 1) * sizeof *grown);
    if (!grown)
        return -1;
    app->slots = grown;
    memmove(app->slots + at + 1, app->slots + at, (app->n_slots - at) * sizeof *grown);
    app->slots[at] = s;
    app->n_slots++;
    return 0;
}

int ui_sessions_insert(ui_app *app, size_t at, const ea_session_info *info)
{
    ui_slot *s = slot_new(app, info);
    if (!s || slots_insert(app, at, s) != 0) {
        if (s)
            slot_free(s);
        return -1;
    }
    return 0;
}

/* Sessions read before the first frame: more than any screen shows; the rest follow in
 * chunks small enough that a key typed meanwhile waits a few milliseconds at most. */
#define SESSIONS_FIRST 100
#define SESSIONS_CHUNK 200

/* Appends up to `max` sessions from the lister; closes it at the end. -1 out of memory. */
static int read_sessions(ui_app *app, size_t max)
{
    ea_session_info info;
    for (size_t i = 0; i < max; i++) {
        if (ea_session_lister_next(app->lister, &info) != 1) {
            ea_session_lister_close(&app->lister);
            ui_trace("sessions-loaded count=%zu", app->n_slots);
            break;
        }
        ui_slot *s = slot_new(app, &info);
        if (!s || slots_insert(app, app->n_slots, s) != 0) {
            if (s)
                slot_free(s);
            return -1;
        }
    }
    ui_dirty(app, EA_PANEL_SESSIONS);
    if (ea_config_get(&app->cfg, EA_CFG_BUDGET_USD))
        ui_dirty(app, EA_PANEL_PARAMS); /* the spend of all sessions grew */
    return 0;
}

static int load_sessions(ui_app *app, ea_err *err)
{
    if (ea_sessions_root(app->sessions_root, sizeof app->sessions_root, err) != 0 ||
        ea_session_lister_open(&app->lister, err) != 0)
        return -1;
    if (read_sessions(app, SESSIONS_FIRST) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    return 0;
}

/* A session that exists only on screen until its first request creates it on disk, so that
 * opening and closing the workbench leaves no empty sessions behind. */
static bool is_unsaved(const ui_slot *s)
{
    return s->info.id[0] == '\0';
}

/* The session opened to write for a change to its folder: the slot's own handle when it has
 * one (current or generating), else a new one the caller closes (*opened set). */
static ea_session *writable(ui_slot *s, bool *opened, ea_err *err)
{
    *opened = false;
    if (s->session)
        return s->session;
    ea_session *w = NULL;
    if (ea_session_open(s->info.id, EA_SESSION_WRITE, &w, err) != 0)
        return NULL;
    *opened = true;
    return w;
}

static void rename_done(ui_app *app, const char *name)
{
    if (app->ask_slot >= app->n_slots)
        return;
    ui_slot *s = app->slots[app->ask_slot];
    ea_err err = {0};
    bool opened;
    ea_session *w = writable(s, &opened, &err);
    if (w && ea_session_set_name(w, name, &err) == 0) {
        snprintf(s->info.name, sizeof s->info.name, "%s", name);
        ui_message(app, false, "renamed to %s", name);
    } else {
        ui_message(app, true, "%s", err.msg);
    }
    if (opened)
        ea_session_close(&w);
    ui_dirty_all(app);
}

void ui_session_rename(ui_app *app, size_t index)
{
    if (index >= app->n_slots)
        return;
    ui_slot *s = app->slots[index];
    if (is_unsaved(s)) {
        ui_message(app, false, "a new session is saved with its first request: rename it then");
        return;
    }
    app->ask_slot = index;
    ui_ask(app, "new name (Enter renames, Esc leaves it):", s->info.name, rename_done);
}

static void slots_remove(ui_app *app, size_t at)
{
    slot_free(app->slots[at]);
    memmove(app->slots + at, app->slots + at + 1, (app->n_slots - at - 1) * sizeof *app->slots);
    app->n_slots--;
}

static void draft_file_remove(ui_app *app);

void ui_session_trash(ui_app *app, size_t index)
{
    if (index >= app->n_slots)
        return;
    ui_slot *s = app->slots[index];
    const char *shown = *s->info.name ? s->info.name : *s->info.id ? s->info.id : "(new session)";
    if (s->turn) {
        ui_message(app, true, "%s is generating: Esc cancels it first", shown);
        return;
    }
    /* Twice, since it leaves the list (the folder itself stays in the trash). */
    if (!app->trash_armed || app->ask_slot != index) {
        app->trash_armed = true;
        app->ask_slot = index;
        ui_message(app, false, "d again moves %s to the trash", shown);
        return;
    }
    app->trash_armed = false;
    char moved[4200] = "";
    if (is_unsaved(s))
        draft_file_remove(app); /* its draft goes with it */
    if (!is_unsaved(s)) {
        ea_err err = {0};
        bool opened;
        ea_session *w = writable(s, &opened, &err);
        if (!w || ea_session_trash(&w, moved, sizeof moved, &err) != 0) {
            if (opened)
                ea_session_close(&w);
            ui_message(app, true, "%s", err.msg);
            return;
        }
        s->session = NULL; /* closed by ea_session_trash when it was the slot's */
    }
    bool was_current = index == app->cur;
    slots_remove(app, index);
    ui_slot *blank = app->n_slots ? NULL : slot_new(app, NULL);
    if (blank && slots_insert(app, 0, blank) != 0)
        slot_free(blank);
    if (app->n_slots == 0) {
        ui_message(app, true, "out of memory");
        return;
    }
    if (index < app->cur)
        app->cur--;
    size_t next = index < app->n_slots ? index : app->n_slots - 1;
    if (was_current) {
        app->cur = next; /* the removed one's neighbour; switching sets it properly */
        ui_switch_session(app, next);
    }
    app->panels[EA_PANEL_SESSIONS].sel = (int)next;
    if (*moved)
        ui_message(app, false, "moved to %s", moved);
    else
        ui_message(app, false, "the unsaved session is gone");
    ui_dirty_all(app);
}

bool ui_sessions_load_more(ui_app *app)
{
    if (!app->lister)
        return false;
    if (read_sessions(app, SESSIONS_CHUNK) != 0) {
        /* The list stays as it is; the sessions read so far work. */
        ea_session_lister_close(&app->lister);
        ui_message(app, true, "out of memory: the session list is incomplete");
    }
    return app->lister != NULL;
}

/* ---- Drafts ----------------------------------------------------------------------------------
 * The editor and the parameter panel are one for the whole workbench; what they hold belongs
 * to the session shown (app->draft_slot). It is saved to that session's session.json
 * (`draft`), or for a session not created yet to $XDG_DATA_HOME/easel/draft.json, when it
 * changed (within UI_DRAFT_DEBOUNCE_MS, so a crash loses at most that), when another session
 * is shown, and on every way out; and it is put back when the session is shown again. */

#define DRAFT_RETRY_MS 5000

/* What was typed: while Up/Down shows a prompt sent before, unchanged, or a search shows its
 * hits, that is the text typed before them, not the text shown. */
static const char *typed_text(const ui_app *app)
{
    if (app->searching && app->search_saved)
        return app->search_saved;
    if (app->prompt_pos < app->n_prompts && app->draft &&
        strcmp(app->edit.text, app->prompts[app->prompt_pos]) == 0)
        return app->draft;
    return app->edit.text;
}

/* The draft as it stands, and its JSON; -1 out of memory. d and json are the caller's to free
 * either way. */
static int draft_capture(const ui_app *app, ea_draft *d, ea_buf *json)
{
    ea_buf_init(json, EA_BUF_UNCAPPED);
    if (ea_draft_init(d) != 0 || ea_draft_set_prompt(d, typed_text(app)) != 0 ||
        ui_params_to_draft(app, d) != 0 || ea_draft_to_json(d, json) != 0)
        return -1;
    return 0;
}

static int draft_write(ui_slot *s, const ea_draft *d, ea_err *err)
{
    if (is_unsaved(s))
        return ea_draft_file_save(d, err);
    /* Kept open while the session is shown, as after a send: opening reads the whole log,
     * which a save every half second of typing must not do again. */
    if (!s->session && ea_session_open(s->info.id, EA_SESSION_WRITE, &s->session, err) != 0)
        return -1;
    return ea_session_save_draft(s->session, d, err);
}

/* The new session's file goes once the session exists, or goes to the trash. */
static void draft_file_remove(ui_app *app)
{
    ea_draft none;
    ea_err err = {0};
    if (ea_draft_init(&none) == 0 && ea_draft_file_save(&none, &err) != 0)
        ui_message(app, true, "%s", err.msg);
    ea_draft_free(&none);
}

/* Saves the shown session's draft when it changed since it was last saved or read; false with
 * err when that failed (the slot still holds it, and says it is not saved). */
static bool draft_save(ui_app *app, ea_err *failed)
{
    ui_slot *s = app->draft_slot;
    if (!s)
        return true;
    ea_draft d;
    ea_buf json;
    ea_err err = {0};
    bool ok = true;
    if (draft_capture(app, &d, &json) != 0) {
        ok = false;
        ea_err_set(&err, EA_EXIT_INTERNAL, "out of memory");
    } else if (!s->draft_json || s->draft_unsaved || strcmp(s->draft_json, json.data) != 0) {
        free(s->draft_json);
        s->draft_json = ea_buf_steal(&json, NULL);
        ok = draft_write(s, &d, &err) == 0;
        s->draft_unsaved = !ok;
        ui_trace("draft-save ok=%d", ok);
    }
    ea_draft_free(&d);
    ea_buf_free(&json);
    if (!ok && !app->draft_failed)
        ui_message(app, true, "the draft is not saved (tried again later): %s", err.msg);
    app->draft_failed = !ok;
    if (!ok && failed)
        *failed = err;
    return ok;
}

/* Shows session s's draft: the one in memory, else the one on disk; a session without one
 * shows an empty prompt and keeps the panel as it is. */
static void draft_enter(ui_app *app, ui_slot *s)
{
    app->draft_slot = s;
    app->draft_due_ms = 0;
    ea_draft d;
    ea_err err = {0};
    int found = -1;
    if (ea_draft_init(&d) != 0)
        ea_err_set(&err, EA_EXIT_INTERNAL, "out of memory");
    else if (s->draft_json)
        found = ea_draft_from_json(s->draft_json, strlen(s->draft_json), &d, &err) == 0 ? 1 : -1;
    else if (is_unsaved(s))
        found = ea_draft_file_load(&d, &err);
    else
        found = ea_session_read_draft(s->dir, &d, &err);
    if (found < 0)
        ui_message(app, true, "the session's draft could not be read: %s", err.msg);
    ui_editor_set_text(app, found == 1 ? d.prompt : "");
    if (found == 1)
        ui_params_from_draft(app, &d);
    ea_draft_free(&d);
    free(app->draft);
    app->draft = NULL;
    app->prompt_pos = app->n_prompts;
    /* What it shows now is what it has: nothing to save until something changes. */
    ea_buf json;
    ea_buf_init(&json, 0);
    if (!s->draft_json && draft_capture(app, &d, &json) == 0)
        s->draft_json = ea_buf_steal(&json, NULL);
    ea_draft_free(&d);
    ea_buf_free(&json);
}

void ui_draft_changed(ui_app *app)
{
    /* From the first change: typing on does not put the save off. */
    if (app->draft_due_ms == 0)
        app->draft_due_ms = ui_now_ms() + UI_DRAFT_DEBOUNCE_MS;
}

int ui_draft_timeout(const ui_app *app)
{
    if (app->draft_due_ms == 0)
        return -1;
    double left = app->draft_due_ms - ui_now_ms();
    return left <= 0 ? 0 : (int)left + 1;
}

void ui_draft_save_due(ui_app *app, bool now)
{
    if (app->draft_due_ms == 0 || (!now && ui_now_ms() < app->draft_due_ms))
        return;
    app->draft_due_ms = 0;
    if (!draft_save(app, NULL))
        app->draft_due_ms = ui_now_ms() + DRAFT_RETRY_MS;
}

bool ui_draft_flush(ui_app *app)
{
    bool all = true;
    for (size_t i = 0; i < app->n_slots; i++) {
        ui_slot *s = app->slots[i];
        ea_draft d = {0};
        ea_err err = {0};
        bool ok = s == app->draft_slot ? draft_save(app, &err)
                  : !s->draft_unsaved || !s->draft_json ||
                        (ea_draft_init(&d) == 0 &&
                         ea_draft_from_json(s->draft_json, strlen(s->draft_json), &d, &err) == 0 &&
                         draft_write(s, &d, &err) == 0);
        ea_draft_free(&d);
        if (!ok) {
            fprintf(stderr, "easel: the draft of session %s is lost: %s\n",
                    *s->info.id ? s->info.id : "(new)", err.msg);
            all = false;
        }
    }
    return all;
}

void ui_new_session(ui_app *app)
{
    for (size_t i = 0; i < app->n_slots; i++)
        if (is_unsaved(app->slots[i])) {
            ui_switch_session(app, i);
            return;
        }
    ui_slot *s = slot_new(app, NULL);
    if (!s || slots_insert(app, 0, s) != 0) {
        free(s);
        ui_message(app, true, "out of memory");
        return;
    }
    app->cur++; /* the list shifted under the current session */
    app->panels[EA_PANEL_SESSIONS].sel++;
    ui_switch_session(app, 0);
    ui_message(app, false, "new session: it is saved with its first request");
}

static void resume_pending(ui_app *app, ui_slot *s);

void ui_switch_session(ui_app *app, size_t index)
{
    if (index >= app->n_slots)
        return;
    ui_slot *old = ui_current(app), *target = app->slots[index];
    bool other_draft = app->draft_slot != target;
    if (other_draft)
        draft_save(app, NULL); /* when it fails, the slot holds it for another try */
    if (index != app->cur && app->masking)
        ui_mask_leave(app); /* the mask was drawn over the other session's image */
    /* A session keeps its lock only while current or generating: another easel may use it. */
    if (index != app->cur && old->session && !old->turn)
        ea_session_close(&old->session);
    app->cur = index;
    app->panels[EA_PANEL_SESSIONS].sel = (int)index;
    app->panels[EA_PANEL_HISTORY].sel = 0;
    app->panels[EA_PANEL_HISTORY].top = 0;
    ui_load_history(app);
    app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
    if (other_draft)
        draft_enter(app, target);
    resume_pending(app, ui_current(app));
    ui_dirty_all(app);
}

static void rows_free(ui_app *app)
{
    for (size_t i = 0; i < app->n_rows; i++) {
        free(app->rows[i].prompt);
        free(app->rows[i].revised);
        free(app->rows[i].error);
        free(app->rows[i].thinking);
    }
    free(app->rows);
    app->rows = NULL;
    app->n_rows = 0;
    app->batch = (ea_history_batch){0};
}

static void split_ts(const char *ts, ui_turn_row *r)
{
    /* "2026-11-25T15:30:12.345Z" */
    if (ts && strlen(ts) >= 19) {
        snprintf(r->date, sizeof r->date, "%.10s", ts);
        snprintf(r->time, sizeof r->time, "%.8s", ts + 11);
    }
}

/* "images · gpt-image-2 · 1024x1024 · high · png · n=2": the request as it was sent, the
 * values not sent (the API's defaults) left out. Sanitized: the log is a file anyone can edit. */
static void describe_params(const ea_history_turn *t, char *out, size_t size)
{
    const char *parts[] = {t->api, t->model, t->size, t->quality, t->format};
    ea_buf b;
    ea_buf_init(&b, size - 1);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        if (b.len)
            ea_buf_puts(&b, " · ");
        ea_sanitize_append(&b, parts[i], strlen(parts[i]), 0);
    }
    if (t->count > 1)
        ea_buf_printf(&b, " · n=%d", t->count);
    snprintf(out, size, "%s", b.data ? b.data : "");
    ea_buf_free(&b);
}

/* "invalid_request_error moderation_blocked: the message (param size)", sanitized. */
static char *describe_error(const ea_history_turn *t)
{
    if (!t->error_message && !t->error_type && !t->error_code)
        return NULL;
    ea_buf b;
    ea_buf_init(&b, 1u << 20);
    const char *parts[] = {t->error_type, t->error_code};
    for (size_t i = 0; i < 2; i++)
        if (parts[i] && *parts[i]) {
            ea_sanitize_append(&b, parts[i], strlen(parts[i]), 0);
            ea_buf_putc(&b, ' ');
        }
    if (b.len)
        b.data[b.len - 1] = ':', ea_buf_putc(&b, ' ');
    if (t->error_message)
        ea_sanitize_append(&b, t->error_message, strlen(t->error_message), 0);
    if (t->error_param && *t->error_param) {
        ea_buf_puts(&b, " (param ");
        ea_sanitize_append(&b, t->error_param, strlen(t->error_param), 0);
        ea_buf_putc(&b, ')');
    }
    return ea_buf_steal(&b, NULL);
}

void ui_load_history(ui_app *app)
{
    ui_slot *s = ui_current(app);
    rows_free(app);
    ui_dirty(app, EA_PANEL_HISTORY);
    /* A turn may have been added: the list's title and the filter's text are read again. */
    free(s->haystack);
    s->haystack = NULL;
    if (s->title && !*s->title) {
        free(s->title);
        s->title = NULL;
    }
    if (is_unsaved(s) || !s->dir)
        return;
    ea_history h = {0};
    ea_err err = {0};
    if (ea_history_load(s->dir, &h, &err) != 0) {
        ui_message(app, true, "history: %s", err.msg);
        return;
    }
    app->rows = calloc(h.count ? h.count : 1, sizeof *app->rows);
    for (size_t i = 0; app->rows && i < h.count; i++) {
        const ea_history_turn *t = &h.turns[i];
        ui_turn_row *r = &app->rows[app->n_rows++];
        r->turn = t->turn;
        split_ts(t->ts, r);
        r->batch = t->custom_id != NULL;
        ea_history_batch_add(&app->batch, t);
        /* A batch line is never open: its result comes from `easel batch fetch`. */
        const char *status = t->has_result ? ea_audit_status_name(t->status)
                             : r->batch                              ? "pending"
                             : s->turn && t->turn == s->sending_turn ? "running"
                                                                     : "open";
        snprintf(r->status, sizeof r->status, "%s", status);
        r->prompt = sanitized(t->prompt);
        r->revised = sanitized(t->has_result ? t->revised_prompt : NULL);
        r->cost_usd = t->has_result ? t->cost_usd : NAN;
        r->offline = t->offline;
        r->ms_first_partial = t->has_result ? t->ms_first_partial : -1;
        r->ms_total = t->has_result ? t->ms_total : -1;
        r->parent = t->parent;
        r->branched = t->branched;
        describe_params(t, r->params, sizeof r->params);
        r->n_images = t->has_result ? t->n_images : 0;
        if (r->n_images)
            snprintf(r->image, sizeof r->image, "%s", t->images[0].path);
        r->error = t->has_result ? describe_error(t) : NULL;
        /* The summary's parts are paragraphs: the detail view shows them so. */
        if (t->has_result && t->reasoning_summary && *t->reasoning_summary)
            r->thinking = sanitized_text(t->reasoning_summary, 1);
    }
    ea_history_free(&h);
    /* A batch session opened afresh shows its contact sheet; another its newest picture. */
    if (!s->frame.path && !s->frame.bytes && !s->turn && app->batch.images)
        ui_show_batch_sheet(app, 0);
    for (size_t i = app->n_rows; i-- > 0 && !s->frame.path && !s->frame.bytes && !s->turn;)
        if (app->rows[i].image[0]) {
            ui_show_turn_image(app, &app->rows[i]);
            break;
        }
}

/* ---- The preview's frames ------------------------------------------------------------------- */

static void frame_probe(ui_frame *f, const unsigned char *bytes, size_t n)
{
    const char *format = NULL;
    int w = 0, h = 0;
    if (ea_image_probe(bytes, n, &format, &w, &h, NULL) == 0) {
        f->w = w;
        f->h = h;
        snprintf(f->format, sizeof f->format, "%s", format ? format : "?");
    }
}

static void frame_set_file(ui_app *app, ui_frame *f, const char *dir, const char *rel, int turn)
{
    frame_clear(f);
    f->serial = ++app->frame_serial;
    f->path = join(dir, rel);
    f->turn = turn;
    f->fresh = true;
    /* The header is enough for the description; the pixels are the graphics layer's job. A
     * session's file: a link or a FIFO in its place is not followed or waited on. */
    int fd = f->path ? ea_open_file(f->path, O_RDONLY | O_NOFOLLOW, 0, NULL) : -1;
    FILE *in = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (fd >= 0 && !in)
        close(fd);
    if (in) {
        unsigned char head[65536];
        size_t n = fread(head, 1, sizeof head, in);
        fclose(in);
        frame_probe(f, head, n);
    }
}

/* Image k (from 1) of a turn whose first is `first`: the log names them images/T-K.EXT
 * (audit.h), so "images/3-1.png" gives "images/3-2.png". */
static char *nth_image(const char *dir, const char *first, int k)
{
    const char *dash = strrchr(first, '-'), *dot = strrchr(first, '.');
    if (!dash || !dot || dot < dash)
        return NULL;
    char rel[96];
    snprintf(rel, sizeof rel, "%.*s-%d%s", (int)(dash - first), first, k, dot);
    return join(dir, rel);
}

char *ui_turn_image_path(ui_app *app, const ui_turn_row *row, int k)
{
    const ui_slot *s = ui_current(app);
    if (!s->dir || !row->image[0] || k < 1 || (size_t)k > row->n_images)
        return NULL;
    return k == 1 ? join(s->dir, row->image) : nth_image(s->dir, row->image, k);
}

/* The frame of a turn with several images: the first as its path (the caption describes
 * it), all of them as the grid's cells. */
static void frame_set_grid(ui_app *app, ui_frame *f, const char *dir, const ui_turn_row *row)
{
    frame_set_file(app, f, dir, row->image, row->turn);
    int n = (int)row->n_images;
    if (!(f->cells = calloc((size_t)n, sizeof *f->cells)))
        return;
    for (int k = 0; k < n; k++)
        if ((f->cells[f->n_cells] = nth_image(dir, row->image, k + 1)) != NULL)
            f->n_cells++;
}

/* The contact sheet's page size: a grid of 4 by 3, cells still large enough to judge. */
#define SHEET_CELLS 12

/* Rows by turn: the log holds a batch's results in the order its output file had them. */
static int by_turn(const void *a, const void *b)
{
    const ui_turn_row *x = *(const ui_turn_row *const *)a, *y = *(const ui_turn_row *const *)b;
    return (x->turn > y->turn) - (x->turn < y->turn);
}

bool ui_show_batch_sheet(ui_app *app, int page)
{
    ui_slot *s = ui_current(app);
    size_t n = 0, n_rows = 0;
    const ui_turn_row **rows = calloc(app->n_rows ? app->n_rows : 1, sizeof *rows);
    for (size_t i = 0; rows && i < app->n_rows; i++)
        if (app->rows[i].batch && app->rows[i].n_images) {
            rows[n_rows++] = &app->rows[i];
            n += app->rows[i].n_images;
        }
    if (!n) {
        free(rows);
        return false;
    }
    qsort(rows, n_rows, sizeof *rows, by_turn);
    int pages = (int)((n + SHEET_CELLS - 1) / SHEET_CELLS);
    page = page < 0 ? 0 : page >= pages ? pages - 1 : page;
    ui_frame *f = &s->frame;
    size_t first = (size_t)page * SHEET_CELLS, k = 0;
    int cells = (int)(n - first < SHEET_CELLS ? n - first : SHEET_CELLS);
    bool started = false;
    for (size_t i = 0; i < n_rows; i++) {
        const ui_turn_row *r = rows[i];
        for (size_t j = 0; j < r->n_images; j++, k++) {
            if (k < first || k >= first + (size_t)cells)
                continue;
            if (!started) { /* the page's first image: a new frame */
                started = true;
                frame_set_file(app, f, s->dir, r->image, r->turn);
                f->cells = calloc((size_t)cells, sizeof *f->cells);
                f->cell_turns = calloc((size_t)cells, sizeof *f->cell_turns);
                f->sheet_page = page;
                f->sheet_pages = pages;
            }
            char *cell = f->cells && f->cell_turns ? nth_image(s->dir, r->image, (int)j + 1) : NULL;
            if (cell) {
                f->cells[f->n_cells] = cell;
                f->cell_turns[f->n_cells++] = r->turn;
            }
        }
    }
    free(rows);
    ui_dirty(app, EA_PANEL_PREVIEW);
    return true;
}

void ui_compare_turns(ui_app *app, const ui_turn_row *left, const ui_turn_row *right)
{
    ui_slot *s = ui_current(app);
    const ui_turn_row *without = !left->image[0] ? left : !right->image[0] ? right : NULL;
    if (without) {
        ui_message(app, false, "turn %d has no image to compare", without->turn);
        return;
    }
    ui_frame *f = &s->frame;
    frame_set_file(app, f, s->dir, right->image, right->turn);
    if ((f->cells = calloc(2, sizeof *f->cells)) != NULL) {
        f->cells[0] = join(s->dir, left->image);
        f->cells[1] = join(s->dir, right->image);
        f->n_cells = f->cells[0] && f->cells[1] ? 2 : 0;
        f->compare = left->turn;
    }
    ui_dirty(app, EA_PANEL_PREVIEW);
}

void ui_show_avatar_sizes(ui_app *app, const ui_turn_row *row)
{
    ui_slot *s = ui_current(app);
    if (!row->image[0]) {
        ui_message(app, false, "turn %d has no image", row->turn);
        return;
    }
    frame_set_file(app, &s->frame, s->dir, row->image, row->turn);
    s->frame.avatar = true;
    ui_dirty(app, EA_PANEL_PREVIEW);
}

void ui_show_turn_image(ui_app *app, const ui_turn_row *row)
{
    ui_slot *s = ui_current(app);
    if (!row->image[0]) {
        ui_message(app, false, "turn %d has no image", row->turn);
        return;
    }
    if (row->n_images > 1)
        frame_set_grid(app, &s->frame, s->dir, row);
    else
        frame_set_file(app, &s->frame, s->dir, row->image, row->turn);
    ui_dirty(app, EA_PANEL_PREVIEW);
}

/* ---- The clipboard -------------------------------------------------------------------------- */

/* Terminals cap what OSC 52 may carry (xterm's default is about 100,000 bytes of base64);
 * a whole 32,000-character prompt of four-byte characters fits in this. */
#define CLIPBOARD_MAX_BYTES (256u * 1024)

void ui_clipboard_copy(ui_app *app, const char *text)
{
    ea_buf *b = &app->clipboard;
    b->len = 0;
    /* ESC ] 52 ; c ; base64 BEL: "c" is the clipboard selection. Plain, never wrapped for
     * tmux: tmux takes it itself (set-clipboard on) and hands it to the outer terminal. */
    if (ea_buf_puts(b, "\033]52;c;") != 0 || ea_gfx_base64_append(b, text, strlen(text)) != 0 ||
        ea_buf_putc(b, '\a') != 0) {
        b->len = 0;
        ui_message(app, true, "too long for the clipboard");
        return;
    }
    ui_trace("clipboard bytes=%zu", strlen(text));
    ui_message(app, false, "copied %zu characters to the clipboard (OSC 52; in tmux: set -g set-clipboard on)",
               ea_text_chars(text, strlen(text)));
    app->message_until = ui_now_ms() + UI_NOTE_MS;
}

void ui_clipboard_flush(ui_app *app)
{
    if (!app->clipboard.len)
        return;
    if (!app->headless && ea_gfx_write_all(ui_term_out_fd(), app->clipboard.data, app->clipboard.len) != 0)
        ui_message(app, true, "the terminal did not take the clipboard's text");
    app->clipboard.len = 0;
}

/* ---- Requests ------------------------------------------------------------------------------- */

static bool is_current(const ui_slot *s)
{
    return ui_current(s->app) == s;
}

static void on_progress(void *ctx, const ea_turn_progress *p)
{
    ui_slot *s = ctx;
    s->progress = *p;
    if (p->phase == EA_PHASE_GENERATING)
        retry_over(s);
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_STATUS);
}

/* The newest partial frame replaces the one before, drawn or not: the preview shows the
 * latest state, never a queue. */
static void on_partial(void *ctx, int index, const unsigned char *bytes, size_t n)
{
    ui_slot *s = ctx;
    /* Shared, not copied again: the picture worker decodes from the same bytes. */
    retry_over(s);
    ui_blob *copy = ui_blob_new(bytes, n);
    if (!copy)
        return;
    int turn = s->sending_turn;
    frame_clear(&s->frame);
    s->frame.serial = ++s->app->frame_serial;
    s->frame.bytes = copy;
    s->frame.index = index + 1;
    s->frame.total = s->progress.partials_expected;
    s->frame.image = s->progress.images_expected ? 0 : s->progress.image;
    s->frame.turn = turn;
    s->frame.fresh = true;
    frame_probe(&s->frame, bytes, n);
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_PREVIEW);
}

/* The summary is kept whole (the preview shows its end when it does not fit), sanitized
 * once here rather than at every redraw. */
static void on_reasoning(void *ctx, const char *summary, const char *delta)
{
    ui_slot *s = ctx;
    (void)delta;
    ea_buf safe;
    ea_buf_init(&safe, UI_THINKING_MAX);
    size_t n = strlen(summary);
    const char *from = n > UI_THINKING_MAX / 2 ? summary + n - UI_THINKING_MAX / 2 : summary;
    ea_sanitize_append(&safe, from, strlen(from), 1);
    if (!safe.data)
        return;
    free(s->thinking);
    s->thinking = ea_buf_steal(&safe, NULL);
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_PREVIEW);
}

static void on_search(void *ctx, const ea_turn_search *search)
{
    ui_slot *s = ctx;
    char query[200], status[32];
    ea_sanitize_copy(query, sizeof query, search->query);
    ea_sanitize_copy(status, sizeof status, search->status);
    snprintf(s->searching, sizeof s->searching, "web search %s%s%s", status, *query ? ": " : "",
             query);
    if (is_current(s)) {
        ui_dirty(s->app, EA_PANEL_PREVIEW);
        ui_message(s->app, false, "%s", s->searching);
    }
}

static void on_image(void *ctx, const ea_audit_image *img, const char *session_dir)
{
    ui_slot *s = ctx;
    retry_over(s);
    frame_set_file(s->app, &s->frame, session_dir, img->path, s->sending_turn);
    /* images/TURN-K.EXT: which of a thinking turn's images this is. */
    const char *dash = strrchr(img->path, '-');
    if (!s->progress.images_expected && dash)
        s->frame.image = atoi(dash + 1);
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_PREVIEW);
}

static void on_retry(void *ctx, const ea_http_retry *r)
{
    ui_slot *s = ctx;
    char reason[256];
    ea_sanitize_copy(reason, sizeof reason, r->reason);
    if (is_current(s)) {
        ui_message(s->app, false, "%s; retry %d in %.1f s", reason, r->retry, r->delay_ms / 1000.0);
        s->app->message_note = UI_NOTE_RETRY;
        s->app->message_slot = s;
    }
}

static void refresh_totals(ui_slot *s)
{
    if (!s->session)
        return;
    ea_audit_totals t;
    ea_audit_get_totals(ea_session_audit(s->session), &t);
    s->info.turns = t.turns;
    s->info.images = t.images;
    s->info.spend_usd = t.spend_usd;
    s->info.offline_usd = t.offline_usd;
    s->info.batch_usd = t.batch_usd;
    ea_audit_timestamp(s->info.last_activity);
}

/* The API no longer has the conversation the session continued (OpenAI keeps a response 30
 * days): rather than fail every next turn the same way, the way on is set up for Enter (the
 * prompt is back in the editor already): the newest image attached to edit, and a new
 * conversation for the next send. The message says so. False when there is no image to go
 * on from. */
static bool offer_new_conversation(ui_app *app, ui_slot *s, char *message, size_t size)
{
    char newest[4400];
    int turn = ea_session_newest_image(s->session, newest, sizeof newest);
    if (!turn || !ui_params_go_on_from(app, newest))
        return false;
    s->new_conversation = true;
    snprintf(message, size, "conversation gone from the API (kept 30 days): Enter starts a new "
                            "one from turn %d's image", turn);
    return true;
}

static void on_done(void *ctx, const ea_turn_outcome *o)
{
    ui_slot *s = ctx;
    ui_app *app = s->app;
    char msg[400];
    ea_sanitize_copy(msg, sizeof msg, o->message);
    s->turn_done = true;
    s->progress.phase = EA_PHASE_DONE;
    bool failed = o->exit_code != 0 && o->status != EA_AUDIT_CANCELLED;
    char cost[32] = "", result[600];
    if (!isnan(o->cost_usd))
        snprintf(cost, sizeof cost, ", $%.4f%s", o->cost_usd, app->backend.offline ? " offline" : "");
    const char *status = ea_audit_status_name(o->status);
    if (strcmp(msg, status) == 0)
        msg[0] = '\0'; /* "turn 3 cancelled", not "turn 3 cancelled: cancelled" */
    snprintf(result, sizeof result, "turn %d %s%s%s%s", o->turn, status, cost, *msg ? ": " : "", msg);
    if (o->n_images == 0 && *o->partial_path)
        frame_set_file(app, &s->frame, o->session_dir, o->partial_path, o->turn);
    refresh_totals(s);
    /* A turn that did not complete gives its prompt back, to change and send again. */
    if (o->status != EA_AUDIT_COMPLETED && is_current(s) && app->edit.len == 0 && s->params.prompt)
        ui_editor_set_text(app, s->params.prompt);
    if (strcmp(o->error_code, EA_ERROR_CHAIN_GONE) == 0 && is_current(s) &&
        offer_new_conversation(app, s, result, sizeof result))
        failed = false; /* what to do next, rather than an error to read */
    if (is_current(s)) {
        ui_load_history(app);
        app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
        /* Several images: all of them, as a grid to pick from, rather than the last saved. */
        if (o->n_images > 1 && app->n_rows && app->rows[app->n_rows - 1].turn == o->turn)
            ui_show_turn_image(app, &app->rows[app->n_rows - 1]);
        ui_message(app, failed, "%s", result);
    } else {
        ui_message(app, failed, "session %.64s: %s",
                   *s->info.name ? s->info.name : s->info.id, result);
    }
    ui_dirty_all(app);
}

int ui_budget_get(ui_app *app, const ea_estimate *est, bool every_session, ui_budget *out,
                  ea_err *err)
{
    memset(out, 0, sizeof *out);
    if (ea_budget_limits_read(&app->cfg, &out->limits, err) != 0)
        return -1;
    /* The slots hold every session's totals (session.json as listed; the log's, which is
     * newer, for a session this workbench sends in), so the spend of all sessions is a sum
     * in memory, never a second read of every session.json. */
    out->session_usd = ui_current(app)->info.spend_usd;
    out->all_usd = out->session_usd;
    if (out->limits.all_set) {
        if (every_session)
            while (ui_sessions_load_more(app)) {
            }
        out->all_usd = 0;
        for (size_t i = 0; i < app->n_slots; i++) {
            const ui_slot *slot = app->slots[i];
            out->all_usd += slot->info.spend_usd;
            /* A request still running will most likely be billed: it counts at its
             * estimate, so two sessions sent at once cannot pass the limit together. */
            if (slot->turn && !slot->turn_done && !app->backend.offline) {
                ea_estimate running;
                ea_prices_estimate(app->prices, &slot->params, &running);
                if (running.known)
                    out->all_usd += ea_estimate_bound(&running);
            }
        }
        out->all_partial = app->lister != NULL;
    }
    /* The offline backend bills nothing: none of its calls can pass a limit. */
    /* A thinking turn is checked at the most images it may make. */
    if (!app->backend.offline) {
        ea_budget_assess(&out->limits, out->session_usd, out->all_usd,
                         est ? ea_estimate_bound(est) : NAN, &out->verdict);
        if (est && est->known && est->images_max > est->images)
            out->verdict.images_max = est->images_max;
    }
    return 0;
}

static void send_prompt(ui_app *app, bool past_budget_confirmed);

static void send_past_budget_done(ui_app *app, const char *answer)
{
    /* A yes passes the budget for this session's next send, the prompt being the one in
     * the editor (the question takes every key but a paste); in another session it would
     * spend what was not asked about. */
    if (strcmp(answer, "y") != 0 || app->ask_slot != app->cur) {
        ui_message(app, false, "not sent: the prompt is still in the editor");
        return;
    }
    send_prompt(app, true);
}

/* Said first: a long reason is cut at the screen's edge, and this is what matters. */
static void refused_before_sending(ui_app *app, const ea_err *err)
{
    ui_message(app, true, "nothing was sent: %s", err->msg);
}

/* True when the call may go; else it asks whether to send anyway, or says why it cannot. */
static bool within_budget(ui_app *app, const ea_params *params)
{
    ea_estimate est;
    ea_prices_estimate(app->prices, params, &est);
    ui_budget b;
    ea_err err = {0};
    if (ui_budget_get(app, &est, true, &b, &err) != 0) {
        /* No way past a limit that cannot be read: it was meant to stop spending. */
        refused_before_sending(app, &err);
        return false;
    }
    if (!b.verdict.past)
        return true;
    char question[sizeof app->ask_label], brief[96];
    ea_budget_verdict_brief(&b.verdict, brief, sizeof brief);
    snprintf(question, sizeof question, "%s: send anyway? y/N", brief);
    app->ask_slot = app->cur;
    ui_ask_yes_no(app, question, send_past_budget_done);
    return false;
}

void ui_send(ui_app *app)
{
    send_prompt(app, false);
}

/* The budget is checked before the session is created or opened, so a refused call leaves
 * nothing behind: no folder, no request record, nothing sent. */
static void send_prompt(ui_app *app, bool past_budget_confirmed)
{
    ui_slot *s = ui_current(app);
    if (s->turn) {
        ui_message(app, true, "this session is generating already: Esc cancels it, C-n starts another");
        return;
    }
    if (app->edit.len == 0) {
        ui_message(app, true, "type a prompt first");
        return;
    }
    ea_err err = {0};
    ea_params_free(&s->params);
    if (ui_params_build(app, app->edit.text, &s->params, &err) != 0) {
        refused_before_sending(app, &err);
        return;
    }
    if (!past_budget_confirmed && !within_budget(app, &s->params))
        return;
    /* A file that cannot be read refuses the call before a new session is made for it. */
    if (is_unsaved(s)) {
        ea_request check;
        if (ea_request_build(&s->params, NULL, &check, &err) != 0) {
            refused_before_sending(app, &err);
            return;
        }
        ea_request_free(&check);
    }
    if (!s->session) {
        int rc;
        if (is_unsaved(s))
            rc = ea_session_create(NULL, NULL, &s->session, &err);
        else
            rc = ea_session_open(s->info.id, EA_SESSION_WRITE, &s->session, &err);
        if (rc != 0) {
            ui_message(app, true, "%s", err.msg);
            return;
        }
        if (ea_session_cache_rebuilt(s->session))
            ui_message(app, false, "session.json was missing or unreadable: rebuilt from the log");
        if (is_unsaved(s)) {
            snprintf(s->info.id, sizeof s->info.id, "%s", ea_session_id(s->session));
            snprintf(s->info.created, sizeof s->info.created, "%s", ea_session_created(s->session));
            s->dir = strdup(ea_session_dir(s->session));
            /* The draft moves from the new session's file into the session. */
            draft_file_remove(app);
            free(s->draft_json);
            s->draft_json = NULL;
            s->draft_unsaved = false;
        }
    }
    ea_turn_spec spec = {&s->params, &app->backend, s->session, app->prices, s->from_turn,
                         s->new_conversation};
    static const ea_turn_callbacks cb = {on_progress, on_partial, on_image, on_retry,
                                         on_done,     on_reasoning, on_search};
    s->turn = ea_turn_start(app->http, &spec, &cb, s, &err);
    if (!s->turn) {
        ui_message(app, true, "%s", err.msg);
        return;
    }
    s->turn_done = false;
    int from = s->from_turn;
    s->from_turn = 0; /* a branch is one send; the next goes on from the new turn */
    s->new_conversation = false; /* and so is a new conversation */
    /* A picked or masked image was for this send: the next turns go on from the newest
     * image, and sending the old one again would edit it over. */
    ui_params_sent(app);
    s->sending_turn = ea_audit_next_turn(ea_session_audit(s->session)) - 1;
    memset(&s->progress, 0, sizeof s->progress);
    s->progress.partials_expected = ea_params_partials(&s->params);
    frame_clear(&s->frame);
    thinking_clear(s);
    refresh_totals(s);
    ui_editor_remember(app, app->edit.text);
    ui_editor_set_text(app, "");
    ui_load_history(app);
    app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
    char branch[32] = "";
    if (from)
        snprintf(branch, sizeof branch, " from turn %d", from);
    ui_message(app, false, "turn %d sent%s%s%s", s->sending_turn, branch,
               app->backend.offline ? " to the offline backend" : "",
               past_budget_confirmed ? ", past the budget as confirmed" : "");
    ui_dirty_all(app);
}

/* A background turn an earlier easel left running in this session (accepted, no result) is
 * read to its end here, as a turn of the slot: "resuming turn N" and the picture as it
 * arrives. One at a time; ui_reap_turns starts the next. */
static void resume_pending(ui_app *app, ui_slot *s)
{
    if (s->turn || is_unsaved(s))
        return;
    ea_err err = {0};
    ea_session *check = NULL;
    ea_audit_accepted acc;
    /* Read first: most sessions have none, and opening to write takes the lock. */
    if (!s->session) {
        if (ea_session_open(s->info.id, EA_SESSION_READ, &check, &err) != 0)
            return;
        bool pending = ea_audit_resumable_turn(ea_session_audit(check), 0, &acc) != 0;
        ea_session_close(&check);
        if (!pending || ea_session_open(s->info.id, EA_SESSION_WRITE, &s->session, &err) != 0)
            return; /* none, or another easel holds it (and finishes it) */
    }
    if (!ea_audit_resumable_turn(ea_session_audit(s->session), 0, &acc))
        return;
    ea_turn_spec spec = {NULL, &app->backend, s->session, app->prices, 0, false};
    static const ea_turn_callbacks cb = {on_progress, on_partial, on_image, on_retry,
                                         on_done,     on_reasoning, on_search};
    s->turn = ea_turn_resume(app->http, &spec, &acc, &cb, s, &err);
    if (!s->turn) {
        ui_message(app, true, "turn %d could not be resumed: %s", acc.turn, err.msg);
        return;
    }
    s->turn_done = false;
    s->sending_turn = acc.turn;
    memset(&s->progress, 0, sizeof s->progress);
    frame_clear(&s->frame);
    thinking_clear(s);
    if (is_current(s))
        ui_message(app, false, "resuming turn %d: an earlier easel left it running server-side",
                    acc.turn);
    ui_dirty_all(app);
}

void ui_cancel(ui_app *app)
{
    ui_slot *s = ui_current(app);
    if (s->turn && !s->turn_done) {
        ea_turn_cancel(s->turn);
        ui_message(app, false, "cancelling turn %d...", s->sending_turn);
    } else {
        ui_message(app, false, "nothing to cancel in this session");
    }
}

int ui_running(const ui_app *app)
{
    int n = 0;
    for (size_t i = 0; i < app->n_slots; i++)
        n += app->slots[i]->turn != NULL;
    return n;
}

void ui_reap_turns(ui_app *app)
{
    for (size_t i = 0; i < app->n_slots; i++) {
        ui_slot *s = app->slots[i];
        if (s->turn && !s->turn_done)
            ea_turn_poll(s->turn); /* images saved off the loop; after the last, on_done */
        if (!s->turn || !s->turn_done)
            continue;
        ea_turn_free(&s->turn);
        s->turn_done = false;
        ea_params_free(&s->params);
        ea_params_init(&s->params);
        if (i == app->cur)
            resume_pending(app, s); /* the next one an earlier easel left, if any */
        if (i != app->cur && !s->turn)
            ea_session_close(&s->session);
        ui_dirty_all(app);
    }
}

/* ---- Opening and closing -------------------------------------------------------------------- */

int ui_app_open(ui_app *app, const ea_ui_options *opt, char *why, size_t why_len)
{
    ea_err err = {0};
    app->opt = *opt;
    ea_config_init(&app->cfg);
    ea_editbuf_init(&app->edit);
    ea_editbuf_init(&app->param_input);
    ea_buf_init(&app->clipboard, CLIPBOARD_MAX_BYTES);
    ea_editbuf_init(&app->search);
    ea_editbuf_init(&app->ask_input);
    ea_editbuf_init(&app->filter);
    app->focus = EA_PANEL_EDITOR;
    app->relayout = true;
    app->params_stale = true;
    app->edit_width = 40;
    if (ea_config_load(&app->cfg, &err) != 0 || !(app->prices = ea_prices_load(&err)) ||
        ea_backend_open(&app->backend, &app->cfg, opt->offline, true, &err) != 0 ||
        load_sessions(app, &err) != 0) {
        snprintf(why, why_len, "%s", err.msg);
        return -1;
    }
    if (!(app->http = ea_http_new())) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    /* A draft typed in a new session before its first send: that session comes back, shown. */
    ea_draft typed;
    bool typed_new = ea_draft_init(&typed) == 0 && ea_draft_file_load(&typed, &err) == 1 &&
                     !ea_draft_is_empty(&typed);
    ea_draft_free(&typed);
    if (app->n_slots == 0 || typed_new) {
        ui_slot *s = slot_new(app, NULL);
        if (!s || slots_insert(app, 0, s) != 0) {
            snprintf(why, why_len, "out of memory");
            return -1;
        }
    }
    ui_params_from_config(app);
    draft_enter(app, ui_current(app));
    ui_load_history(app);
    app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
    for (size_t i = 0; i < app->n_rows; i++)
        ui_editor_remember(app, app->rows[i].prompt);
    if (app->backend.offline)
        ui_message(app, false, "offline backend: %s; nothing is sent to OpenAI or billed",
                   opt->offline ? "--offline" : "no OPENAI_API_KEY");
    else
        ui_message(app, false, "F1: every key · Enter sends · C-o or M-Enter: a new line");
    /* Config mistakes are said once, at start, where the user looks (issue 16). */
    if (ea_config_warning_count(&app->cfg) > 0) {
        char first[1024];
        int more = ea_config_warning_count(&app->cfg) - 1;
        ea_config_warning(&app->cfg, 0, first, sizeof first);
        if (more)
            ui_message(app, true, "config: %s (and %d more: easel doctor)", first, more);
        else
            ui_message(app, true, "config: %s", first);
    }
    resume_pending(app, ui_current(app));
    return 0;
}

void ui_app_close(ui_app *app)
{
    /* A turn still saving wakes app->http from its saving thread: settled first. Then
     * ea_http_free cancels what still runs; each on_done writes its result record. */
    for (size_t i = 0; i < app->n_slots; i++)
        if (app->slots[i]->turn)
            ea_turn_settle(app->slots[i]->turn);
    ea_http_free(&app->http);
    ui_params_models_free(app);
    ea_session_lister_close(&app->lister);
    for (size_t i = 0; i < app->n_slots; i++)
        slot_free(app->slots[i]);
    free(app->slots);
    app->slots = NULL;
    app->n_slots = 0;
    rows_free(app);
    for (int i = 0; i < UI_MAX_PARAMS; i++)
        free(app->values[i]);
    for (size_t i = 0; i < app->n_prompts; i++)
        free(app->prompts[i]);
    free(app->prompts);
    free(app->draft);
    ea_editbuf_free(&app->edit);
    ea_editbuf_free(&app->param_input);
    ui_params_free(app);
    ui_mask_leave(app);
    ea_buf_free(&app->clipboard);
    ea_editbuf_free(&app->search);
    ea_editbuf_free(&app->ask_input);
    ea_editbuf_free(&app->filter);
    free(app->shown);
    ui_trash_free(app);
    free(app->search_saved);
    ea_prices_free(&app->prices);
    ea_backend_close(&app->backend);
    ea_config_free(&app->cfg);
}
