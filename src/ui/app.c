/* app: the workbench's state outside the screen: the backend, the sessions (one request each
 * at most, all in the one ea_http), their turns for the history, and the preview's frames. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/history.h"
#include "easel/image.h"
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
    ui_dirty(app, EA_PANEL_STATUS);
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

static char *sanitized(const char *text)
{
    ea_buf b;
    ea_buf_init(&b, 1u << 20);
    if (text)
        ea_sanitize_append(&b, text, strlen(text), 0);
    size_t n;
    char *s = ea_buf_steal(&b, &n);
    return s ? s : strdup("");
}

/* ---- Sessions ------------------------------------------------------------------------------- */

/* root: the sessions folder, asked once by the caller (10,000 sessions at start-up). */
static ui_slot *slot_new(ui_app *app, const ea_session_info *info, const char *root)
{
    ui_slot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->app = app;
    ea_params_init(&s->params);
    if (info) {
        s->info = *info;
        snprintf(s->dir, sizeof s->dir, "%s/%s", root, info->id);
    } else {
        ea_session_info blank = {0};
        s->info = blank;
    }
    return s;
}

static void frame_clear(ui_frame *f)
{
    ui_blob_unref(&f->bytes);
    memset(f, 0, sizeof *f);
}

static void slot_free(ui_slot *s)
{
    ea_turn_free(&s->turn);
    ea_session_close(&s->session);
    ea_params_free(&s->params);
    frame_clear(&s->frame);
    free(s);
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

static int load_sessions(ui_app *app, ea_err *err)
{
    ea_session_list list = {0};
    if (ea_session_list_load(&list, err) != 0)
        return -1;
    char root[4096] = "";
    if (list.count && ea_sessions_root(root, sizeof root, err) != 0) {
        ea_session_list_free(&list);
        return -1;
    }
    for (size_t i = 0; i < list.count; i++) {
        ui_slot *s = slot_new(app, &list.items[i], root);
        if (!s || slots_insert(app, app->n_slots, s) != 0) {
            ea_session_list_free(&list);
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        }
    }
    ea_session_list_free(&list);
    return 0;
}

/* A session that exists only on screen until its first request creates it on disk, so that
 * opening and closing the workbench leaves no empty sessions behind. */
static bool is_unsaved(const ui_slot *s)
{
    return s->info.id[0] == '\0';
}

void ui_new_session(ui_app *app)
{
    for (size_t i = 0; i < app->n_slots; i++)
        if (is_unsaved(app->slots[i])) {
            ui_switch_session(app, i);
            return;
        }
    ui_slot *s = slot_new(app, NULL, NULL);
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

void ui_switch_session(ui_app *app, size_t index)
{
    if (index >= app->n_slots)
        return;
    ui_slot *old = ui_current(app);
    /* A session keeps its lock only while current or generating: another easel may use it. */
    if (index != app->cur && old->session && !old->turn)
        ea_session_close(&old->session);
    app->cur = index;
    app->panels[EA_PANEL_SESSIONS].sel = (int)index;
    app->panels[EA_PANEL_HISTORY].sel = 0;
    app->panels[EA_PANEL_HISTORY].top = 0;
    ui_load_history(app);
    app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
    ui_dirty_all(app);
}

static void rows_free(ui_app *app)
{
    for (size_t i = 0; i < app->n_rows; i++) {
        free(app->rows[i].prompt);
        free(app->rows[i].revised);
    }
    free(app->rows);
    app->rows = NULL;
    app->n_rows = 0;
}

static void split_ts(const char *ts, ui_turn_row *r)
{
    /* "2026-11-25T15:30:12.345Z" */
    if (ts && strlen(ts) >= 19) {
        snprintf(r->date, sizeof r->date, "%.10s", ts);
        snprintf(r->time, sizeof r->time, "%.8s", ts + 11);
    }
}

void ui_load_history(ui_app *app)
{
    ui_slot *s = ui_current(app);
    rows_free(app);
    ui_dirty(app, EA_PANEL_HISTORY);
    if (is_unsaved(s))
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
        const char *status = t->has_result ? ea_audit_status_name(t->status)
                             : s->turn && t->turn == s->sending_turn ? "running"
                                                                     : "open";
        snprintf(r->status, sizeof r->status, "%s", status);
        r->prompt = sanitized(t->prompt);
        r->revised = sanitized(t->has_result ? t->revised_prompt : NULL);
        r->cost_usd = t->has_result ? t->cost_usd : NAN;
        r->n_images = t->has_result ? t->n_images : 0;
        if (r->n_images)
            snprintf(r->image, sizeof r->image, "%s", t->images[0].path);
    }
    ea_history_free(&h);
    /* A session opened afresh shows its newest picture. */
    for (size_t i = app->n_rows; i-- > 0 && !s->frame.path[0] && !s->frame.bytes && !s->turn;)
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
    snprintf(f->path, sizeof f->path, "%s/%s", dir, rel);
    f->turn = turn;
    f->fresh = true;
    /* The header is enough for the description; the pixels are the graphics layer's job. */
    FILE *in = fopen(f->path, "rb");
    if (in) {
        unsigned char head[65536];
        size_t n = fread(head, 1, sizeof head, in);
        fclose(in);
        frame_probe(f, head, n);
    }
}

void ui_show_turn_image(ui_app *app, const ui_turn_row *row)
{
    ui_slot *s = ui_current(app);
    if (!row->image[0]) {
        ui_message(app, false, "turn %d has no image", row->turn);
        return;
    }
    frame_set_file(app, &s->frame, s->dir, row->image, row->turn);
    ui_dirty(app, EA_PANEL_PREVIEW);
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
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_STATUS);
}

/* The newest partial frame replaces the one before, drawn or not: the preview shows the
 * latest state, never a queue. */
static void on_partial(void *ctx, int index, const unsigned char *bytes, size_t n)
{
    ui_slot *s = ctx;
    /* Shared, not copied again: the picture worker decodes from the same bytes. */
    ui_blob *copy = ui_blob_new(bytes, n);
    if (!copy)
        return;
    int turn = s->sending_turn;
    frame_clear(&s->frame);
    s->frame.serial = ++s->app->frame_serial;
    s->frame.bytes = copy;
    s->frame.index = index + 1;
    s->frame.total = s->progress.partials_expected;
    s->frame.turn = turn;
    s->frame.fresh = true;
    frame_probe(&s->frame, bytes, n);
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_PREVIEW);
}

static void on_image(void *ctx, const ea_audit_image *img, const char *session_dir)
{
    ui_slot *s = ctx;
    frame_set_file(s->app, &s->frame, session_dir, img->path, s->sending_turn);
    if (is_current(s))
        ui_dirty(s->app, EA_PANEL_PREVIEW);
}

static void on_retry(void *ctx, const ea_http_retry *r)
{
    ui_slot *s = ctx;
    char reason[256];
    ea_sanitize_copy(reason, sizeof reason, r->reason);
    if (is_current(s))
        ui_message(s->app, false, "%s; retry %d in %.1f s", reason, r->retry, r->delay_ms / 1000.0);
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
    ea_audit_timestamp(s->info.last_activity);
}

static void on_done(void *ctx, const ea_turn_outcome *o)
{
    ui_slot *s = ctx;
    ui_app *app = s->app;
    char msg[400];
    ea_sanitize_copy(msg, sizeof msg, o->message);
    s->turn_done = true;
    s->progress.phase = EA_PHASE_DONE;
    s->result_error = o->exit_code != 0 && o->status != EA_AUDIT_CANCELLED;
    char cost[32] = "";
    if (!isnan(o->cost_usd))
        snprintf(cost, sizeof cost, ", $%.4f", o->cost_usd);
    snprintf(s->result, sizeof s->result, "turn %d %s%s%s%s", o->turn,
             ea_audit_status_name(o->status), cost, *msg ? ": " : "", msg);
    if (o->n_images == 0 && *o->partial_path)
        frame_set_file(app, &s->frame, o->session_dir, o->partial_path, o->turn);
    refresh_totals(s);
    if (is_current(s)) {
        ui_load_history(app);
        app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
        ui_message(app, s->result_error, "%s", s->result);
    } else {
        ui_message(app, s->result_error, "session %.64s: %s",
                   *s->info.name ? s->info.name : s->info.id, s->result);
    }
    ui_dirty_all(app);
}

void ui_send(ui_app *app)
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
        ui_message(app, true, "%s (nothing was sent)", err.msg);
        return;
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
        if (is_unsaved(s)) {
            snprintf(s->info.id, sizeof s->info.id, "%s", ea_session_id(s->session));
            snprintf(s->info.created, sizeof s->info.created, "%s", ea_session_created(s->session));
            snprintf(s->dir, sizeof s->dir, "%s", ea_session_dir(s->session));
        }
    }
    ea_turn_spec spec = {&s->params, &app->backend, s->session, app->prices, 0};
    static const ea_turn_callbacks cb = {on_progress, on_partial, on_image, on_retry, on_done};
    s->turn = ea_turn_start(app->http, &spec, &cb, s, &err);
    if (!s->turn) {
        ui_message(app, true, "%s", err.msg);
        return;
    }
    s->turn_done = false;
    s->sending_turn = ea_audit_next_turn(ea_session_audit(s->session)) - 1;
    memset(&s->progress, 0, sizeof s->progress);
    s->progress.partials_expected = ea_params_partials(&s->params);
    s->result[0] = '\0';
    frame_clear(&s->frame);
    refresh_totals(s);
    ui_editor_remember(app, app->edit.text);
    ui_editor_set_text(app, "");
    ui_load_history(app);
    app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
    ui_message(app, false, "turn %d sent%s", s->sending_turn,
               app->backend.offline ? " to the offline backend" : "");
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
        if (!s->turn || !s->turn_done)
            continue;
        ea_turn_free(&s->turn);
        s->turn_done = false;
        ea_params_free(&s->params);
        ea_params_init(&s->params);
        if (i != app->cur)
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
    if (app->n_slots == 0) {
        ui_slot *s = slot_new(app, NULL, NULL);
        if (!s || slots_insert(app, 0, s) != 0) {
            snprintf(why, why_len, "out of memory");
            return -1;
        }
    }
    ui_params_from_config(app);
    ui_load_history(app);
    app->panels[EA_PANEL_HISTORY].sel = app->n_rows ? (int)app->n_rows - 1 : 0;
    for (size_t i = 0; i < app->n_rows; i++)
        ui_editor_remember(app, app->rows[i].prompt);
    if (app->backend.offline)
        ui_message(app, false, "offline backend: %s; nothing is sent to OpenAI or billed",
                   opt->offline ? "--offline" : "no OPENAI_API_KEY");
    else
        ui_message(app, false, "F1 or ? shows every key; Enter sends the prompt");
    return 0;
}

void ui_app_close(ui_app *app)
{
    /* ea_http_free cancels what still runs; each on_done writes its result record. */
    ea_http_free(&app->http);
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
    ea_prices_free(&app->prices);
    ea_backend_close(&app->backend);
    ea_config_free(&app->cfg);
}
