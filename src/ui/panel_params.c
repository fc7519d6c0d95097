/* SPDX-License-Identifier: MIT */
/* panel_params: every parameter of `easel generate` (from the one descriptor table), changed
 * with Left/Right through its allowed values or typed after Enter, validated live by
 * ea_params_resolve, with the cost estimate of the next call and the spend against the
 * budgets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/catalog.h"
#include "easel/sanitize.h"
#include "internal.h"

#define NAME_COLS 16 /* "input-fidelity" and a space */
/* Rows under the list: a blank, the estimate, the spend, and two of what the rules say. */
#define BELOW_LIST_ROWS 5

/* The values Left and Right step through; "" ends a list. The sizes start with the aspect
 * presets (avatars, posts, stories, banners) that resolve to the model's nearest size. */
static const char *const sizes[] = {"auto", "1:1", "4:5", "9:16", "16:9", "3:1",
                                    "1024x1024", "1536x1024", "1024x1536", NULL};
static const char *const counts[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", NULL};
static const char *const formats[] = {"png", "jpeg", "webp", NULL};
static const char *const compressions[] = {"100", "90", "75", "50", "25", "0", NULL};
static const char *const backgrounds[] = {"auto", "opaque", "transparent", NULL};
static const char *const moderations[] = {"auto", "low", NULL};
static const char *const partials[] = {"0", "1", "2", "3", NULL};
static const char *const apis[] = {"responses", "images", NULL};
static const char *const text_models[] = {"gpt-5.4", "gpt-5.4-mini", "gpt-5.5", NULL};
static const char *const actions[] = {"auto", "generate", "edit", NULL};
static const char *const fidelities[] = {"high", "low", NULL};
static const char *const switches[] = {"off", "on", NULL};

static size_t index_of(const char *long_opt)
{
    size_t n;
    const ea_param_desc *d = ea_param_table(&n);
    for (size_t i = 0; i < n && i < UI_MAX_PARAMS; i++)
        if (strcmp(d[i].long_opt, long_opt) == 0)
            return i;
    return 0;
}

static void on_models_listed(void *ctx, int rc, ea_catalog *cat, const ea_err *err)
{
    (void)err; /* the rule table's models stay offered: nothing to say */
    ui_app *app = ctx;
    app->models_pending = false;
    if (rc != 0)
        return;
    char **ids = calloc((size_t)cat->n + 1, sizeof *ids);
    int n = 0;
    for (int i = 0; ids && i < cat->n; i++) {
        const ea_catalog_entry *e = &cat->models[i];
        /* Image models easel would send (the retired it refuses); ids as control-free text. */
        if (e->mark != EA_MARK_KNOWN && e->mark != EA_MARK_UNKNOWN)
            continue;
        char id[128];
        ea_sanitize_copy(id, sizeof id, e->id);
        if (*id && (ids[n] = strdup(id)) != NULL)
            n++;
    }
    ea_catalog_free(cat);
    if (n == 0) {
        free(ids);
        return;
    }
    ui_params_models_free(app);
    app->listed_models = ids;
    app->n_listed_models = n;
    ui_dirty(app, EA_PANEL_PARAMS);
}

void ui_params_models_fetch(ui_app *app)
{
    ea_err err = {0};
    app->models_pending = ea_catalog_fetch(app->http, &app->backend, on_models_listed, app,
                                           &err) == 0;
}

void ui_params_models_free(ui_app *app)
{
    for (int i = 0; i < app->n_listed_models; i++)
        free(app->listed_models[i]);
    free(app->listed_models);
    app->listed_models = NULL;
    app->n_listed_models = 0;
}

static bool listed(const ui_app *app, const char *id)
{
    for (int i = 0; i < app->n_listed_models; i++)
        if (strcmp(app->listed_models[i], id) == 0)
            return true;
    return false;
}

static const char *const *choices(const ui_app *app, const ea_param_desc *d)
{
    static const char *models[32];
    if (strcmp(d->long_opt, "model") == 0) {
        /* The table's order (the default first: the first step sets it explicitly), each
         * known model only when listed, then the listed models easel does not know. */
        int n, k = 0;
        const ea_model_info *m = ea_model_table(&n);
        for (int i = 0; i < n && k < 31; i++)
            if (!m[i].retired && (app->n_listed_models == 0 || listed(app, m[i].id)))
                models[k++] = m[i].id;
        for (int i = 0; i < app->n_listed_models && k < 31; i++)
            if (!ea_model_find(app->listed_models[i]))
                models[k++] = app->listed_models[i];
        models[k] = NULL;
        return models;
    }
    if (strcmp(d->long_opt, "quality") == 0) {
        const char *model = app->values[index_of("model")];
        const ea_model_info *m = ea_model_find(model ? model : "gpt-image-2");
        return (m ? m : ea_model_generic())->qualities;
    }
    if (strcmp(d->long_opt, "reasoning") == 0) {
        const char *model = app->values[index_of("text-model")];
        const ea_text_model_info *t = ea_text_model_find(model ? model : "gpt-5.4");
        return (t ? t : ea_text_model_generic())->efforts;
    }
    static const struct { const char *opt; const char *const *list; } table[] = {
        {"size", sizes},         {"count", counts},         {"format", formats},
        {"compression", compressions}, {"background", backgrounds}, {"moderation", moderations},
        {"partials", partials},  {"api", apis},             {"text-model", text_models},
        {"action", actions},     {"input-fidelity", fidelities}, {"web-search", switches},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(d->long_opt, table[i].opt) == 0)
            return table[i].list;
    return NULL; /* image, mask, document: paths, typed after Enter */
}

static size_t n_params(void)
{
    size_t n;
    ea_param_table(&n);
    return n < UI_MAX_PARAMS ? n : UI_MAX_PARAMS;
}

static void set_value(ui_app *app, size_t i, const char *v)
{
    free(app->values[i]);
    app->values[i] = v && *v ? strdup(v) : NULL;
    app->params_stale = true;
    ui_dirty(app, EA_PANEL_PARAMS);
    ui_dirty(app, EA_PANEL_TITLE);
}

void ui_params_from_config(ui_app *app)
{
    static const struct { enum ea_config_key key; const char *opt; } map[] = {
        {EA_CFG_MODEL, "model"},     {EA_CFG_TEXT_MODEL, "text-model"}, {EA_CFG_SIZE, "size"},
        {EA_CFG_QUALITY, "quality"}, {EA_CFG_FORMAT, "format"},          {EA_CFG_PARTIALS, "partials"},
        {EA_CFG_API, "api"},         {EA_CFG_REASONING, "reasoning"}, {EA_CFG_WEB_SEARCH, "web-search"},
    };
    size_t n;
    const ea_param_desc *d = ea_param_table(&n);
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        for (size_t i = 0; i < n_params(); i++)
            if (strcmp(d[i].long_opt, map[k].opt) == 0)
                set_value(app, i, ea_config_get(&app->cfg, map[k].key));
    /* Partial frames are what the preview is for: ask for two unless told otherwise. */
    for (size_t i = 0; i < n_params(); i++)
        if (strcmp(d[i].long_opt, "partials") == 0 && !app->values[i])
            set_value(app, i, "2");
}

int ui_params_build(ui_app *app, const char *prompt, ea_params *out, ea_err *err)
{
    size_t n;
    const ea_param_desc *d = ea_param_table(&n);
    ea_params_init(out);
    for (size_t i = 0; i < n_params(); i++)
        if (app->values[i] && ea_params_set(out, &d[i], app->values[i], err) != 0)
            return -1;
    for (int k = 0; k < app->n_images; k++)
        if (ea_params_add_image(out, app->images[k], err) != 0)
            return -1;
    if (ea_params_set_prompt(out, prompt, err) != 0)
        return -1;
    if (ea_config_switch(&app->cfg, EA_CFG_BACKGROUND, true, &out->background_mode) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "config: background must be on or off");
    app->warnings.count = 0;
    return ea_params_resolve(out, &app->warnings, err);
}

/* The rules speak the command line's words ("use --api images"); here the panel's keys do. */
static void workbench_words(char *msg, size_t size)
{
    static const struct { const char *flag, *keys; } words[] = {
        {"use --api images", "set api to images (◀▶ on api)"},
        {"(--image)", "(Enter on image attaches one)"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char *at = strstr(msg, words[i].flag);
        if (!at)
            continue;
        char rest[1024];
        snprintf(rest, sizeof rest, "%s", at + strlen(words[i].flag));
        snprintf(at, size - (size_t)(at - msg), "%s%s", words[i].keys, rest);
    }
}

void ui_params_refresh(ui_app *app)
{
    ea_params p;
    ea_err err = {0};
    /* With no prompt yet the rest can still be checked and priced. */
    bool empty = app->edit.len == 0;
    app->params_ok = ui_params_build(app, empty ? "-" : app->edit.text, &p, &err) == 0;
    snprintf(app->params_msg, sizeof app->params_msg, "%s", app->params_ok ? "" : err.msg);
    workbench_words(app->params_msg, sizeof app->params_msg);
    if (app->params_ok) {
        ea_prices_estimate(app->prices, &p, &app->estimate);
        ea_size_format(p.size, app->resolved_size, sizeof app->resolved_size);
    }
    ea_params_free(&p);
    app->params_stale = false;
    ui_dirty(app, EA_PANEL_PARAMS);
}

static const char *default_text(const ea_param_desc *d)
{
    static const struct { const char *opt, *text; } defaults[] = {
        {"model", "gpt-image-2"}, {"size", "auto"},      {"quality", "auto"}, {"count", "1"},
        {"format", "png"},        {"api", "responses"},  {"text-model", "gpt-5.4"},
        {"image", "none"},        {"mask", "none"},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (strcmp(d->long_opt, defaults[i].opt) == 0)
            return defaults[i].text;
    return "not sent";
}

/* ---- Attached images ----------------------------------------------------------------------
 * --image repeats, so the panel keeps a list of paths (app->images) rather than one value:
 * Enter asks for one more path (Tab completes it), d removes the newest. */

static bool is_image(const ea_param_desc *d)
{
    return strcmp(d->long_opt, "image") == 0;
}

static void images_changed(ui_app *app)
{
    app->params_stale = true;
    ui_dirty(app, EA_PANEL_PARAMS);
    ui_dirty(app, EA_PANEL_TITLE);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* "a.png, b.png": the names only, as the panel is narrow; the status bar gave the paths. */
static void images_text(const ui_app *app, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < app->n_images && used + 1 < size; k++) {
        int n = snprintf(out + used, size - used, "%s%s", k ? ", " : "", base_name(app->images[k]));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void attach_done(ui_app *app, const char *answer)
{
    char path[4096];
    if (!*answer) {
        ui_message(app, false, "nothing attached");
        return;
    }
    if (ui_path_expand(answer, path, sizeof path) != 0 || access(path, R_OK) != 0) {
        ui_message(app, true, "cannot read %s", answer);
        return;
    }
    if (app->n_images == EA_MAX_IMAGES) {
        ui_message(app, true, "at most %d images per call: d removes one", EA_MAX_IMAGES);
        return;
    }
    char *copy = strdup(path);
    if (!copy) {
        ui_message(app, true, "out of memory");
        return;
    }
    app->images[app->n_images++] = copy; /* after any image for one send: it stays */
    images_changed(app);
    ui_message(app, false, "attached %s (%d in all): the next send carries it; d removes it",
               path, app->n_images);
}

static void remove_last_image(ui_app *app)
{
    if (app->n_images == 0) {
        ui_message(app, false, "no image attached");
        return;
    }
    char *gone = app->images[--app->n_images];
    app->images[app->n_images] = NULL;
    if (app->n_images == 0)
        app->images_once = false;
    ui_message(app, false, "removed %s (%d left)", base_name(gone), app->n_images);
    free(gone);
    images_changed(app);
}

bool ui_params_edit_image(ui_app *app, const char *path)
{
    ui_params_free(app);
    images_changed(app);
    attach_done(app, path);
    app->images_once = app->n_images == 1;
    return app->images_once;
}

bool ui_params_go_on_from(ui_app *app, const char *path)
{
    char *copy = app->n_images < EA_MAX_IMAGES ? strdup(path) : NULL;
    if (!copy)
        return false;
    if (app->images_once) { /* an image already meant for the next send gives way */
        free(app->images[0]);
        app->images[0] = copy;
    } else {
        memmove(app->images + 1, app->images, (size_t)app->n_images * sizeof *app->images);
        app->images[0] = copy;
        app->n_images++;
    }
    app->images_once = true;
    images_changed(app);
    return true;
}

void ui_params_sent(ui_app *app)
{
    if (!app->images_once)
        return;
    app->images_once = false;
    free(app->images[0]);
    memmove(app->images, app->images + 1, (size_t)(app->n_images - 1) * sizeof *app->images);
    app->images[--app->n_images] = NULL;
    images_changed(app);
    set_value(app, index_of("mask"), NULL);
}

int ui_params_to_draft(const ui_app *app, ea_draft *d)
{
    size_t n;
    const ea_param_desc *desc = ea_param_table(&n);
    int rc = 0;
    for (size_t i = 0; i < n_params(); i++)
        rc |= ea_draft_set_param(d, desc[i].long_opt, app->values[i]);
    for (int k = 0; k < app->n_images; k++)
        rc |= ea_draft_add_image(d, app->images[k]);
    d->images_once = app->images_once;
    return rc ? -1 : 0;
}

void ui_params_from_draft(ui_app *app, const ea_draft *d)
{
    size_t n;
    const ea_param_desc *desc = ea_param_table(&n);
    for (size_t i = 0; i < n_params(); i++)
        set_value(app, i, ea_draft_param(d, desc[i].long_opt));
    ui_params_free(app);
    for (int k = 0; k < d->n_images; k++)
        if ((app->images[app->n_images] = strdup(d->images[k])) != NULL)
            app->n_images++;
    app->images_once = d->images_once && app->n_images > 0;
    images_changed(app);
}

static void mask_done(ui_app *app, const char *answer)
{
    char path[4096];
    set_value(app, index_of("mask"), ui_path_expand(answer, path, sizeof path) == 0 ? path : answer);
}

void ui_params_set_mask(ui_app *app, const char *path)
{
    set_value(app, index_of("mask"), path);
}

void ui_params_free(ui_app *app)
{
    for (int k = 0; k < app->n_images; k++)
        free(app->images[k]);
    app->n_images = 0;
}

/* Wraps text over rows y.. of the panel; returns the rows used. */
static int put_wrapped(ui_panel *p, int y, int max_y, const char *text, attr_t a)
{
    int inner = ui_inner_w(p), used = 0;
    size_t len = strlen(text), start = 0, next;
    while (start < len && y + used <= max_y) {
        size_t end = ui_wrap_end(text, len, start, inner - 1, &next);
        ui_put(p->win, y + used, 2, inner - 1, text + start, end - start, a);
        used++;
        if (next == start)
            break;
        start = next;
    }
    return used;
}

/* The rows of the list; the estimate and the rules' messages take the rest. */
static int rows_for_list(const ui_panel *p, size_t n)
{
    int h = ui_inner_h(p), rows = (int)n < h - BELOW_LIST_ROWS ? (int)n : h - BELOW_LIST_ROWS;
    return rows < 1 ? 1 : rows;
}

/* Where a parameter's ◀▶ marks are drawn (on the selected one, when it has choices). */
#define STEP_MARKS_FROM_RIGHT 2

/* A batch session's lines cost batch prices: their spend on a row of its own, beside what
 * the interactive turns cost (both are in the session's spend, which the budgets count). */
static int draw_batch_money(ui_app *app, ui_panel *p, int y, int max_y)
{
    const ea_history_batch *b = &app->batch;
    if (!b->total || y > max_y)
        return y;
    char line[96];
    if (b->offline_usd > 0 && b->spend_usd <= 0)
        snprintf(line, sizeof line, "batch $%.2f offline", b->offline_usd);
    else
        snprintf(line, sizeof line, "batch $%.2f · interactive $%.2f", b->spend_usd,
                 fmax(0, ui_current(app)->info.spend_usd - b->spend_usd));
    ui_puts(p->win, y, 2, ui_inner_w(p) - 1, line, app->theme.attr[UI_DIM]);
    return y + 1;
}

/* What the session's offline turns would have cost, on a row of its own under the spend
 * (beside it, never in it: design.md 7), when there is any. Returns the next free row. */
static int draw_offline_money(ui_app *app, ui_panel *p, int y, int max_y)
{
    double offline = ui_current(app)->info.offline_usd;
    y = draw_batch_money(app, p, y, max_y);
    if (offline <= 0 || y > max_y)
        return y;
    char line[64];
    snprintf(line, sizeof line, "offline $%.2f, not billed", offline);
    ui_puts(p->win, y, 2, ui_inner_w(p) - 1, line, app->theme.attr[UI_DIM]);
    return y + 1;
}

/* The spend against the budgets from row y: on one line when it fits, else the session's
 * and all sessions' on two; in the error role when the next call would pass a limit.
 * Returns the next free row; *verdict says whether it would. */
static int draw_budget(ui_app *app, ui_panel *p, int y, int max_y, ea_budget_verdict *verdict)
{
    int room = ui_inner_w(p) - 1;
    /* A thinking turn is coloured at the most images it may make. */
    const ea_estimate *est = app->params_ok ? &app->estimate : NULL;
    double estimate = est ? ea_estimate_bound(est) : NAN;
    ui_budget b;
    ea_err err = {0};
    memset(verdict, 0, sizeof *verdict);
    if (ui_budget_get(app, est, false, &b, &err) != 0)
        return y + put_wrapped(p, y, max_y, err.msg, app->theme.attr[UI_ERROR]);
    *verdict = b.verdict;
    /* Each limit in the error role only when the next call would pass it, so the colour
     * says which one does. */
    ea_budget_limits only = b.limits;
    ea_budget_verdict past_session, past_all;
    only.all_set = false;
    ea_budget_assess(&only, b.session_usd, b.all_usd, estimate, &past_session);
    only = b.limits;
    only.session_set = false;
    ea_budget_assess(&only, b.session_usd, b.all_usd, estimate, &past_all);
    attr_t a = app->theme.attr[past_session.past ? UI_ERROR : UI_NORMAL];
    attr_t a_all = app->theme.attr[past_all.past ? UI_ERROR : UI_NORMAL];
    char session[64], all[64], line[160];
    ea_budget_spend_text("session", b.session_usd, b.limits.session_set, b.limits.session_usd,
                         false, session, sizeof session);
    if (!b.limits.all_set) {
        ui_puts(p->win, y, 2, room, session, a);
        return draw_offline_money(app, p, y + 1, max_y);
    }
    ea_budget_spend_text("all", b.all_usd, true, b.limits.all_usd, b.all_partial, all, sizeof all);
    snprintf(line, sizeof line, "%s · %s", session, all);
    if (ea_text_width(line, strlen(line)) <= room) {
        int x = 2 + ui_puts(p->win, y, 2, room, session, a);
        x += ui_puts(p->win, y, x, room - (x - 2), " · ", app->theme.attr[UI_NORMAL]);
        ui_puts(p->win, y, x, room - (x - 2), all, a_all);
        return draw_offline_money(app, p, y + 1, max_y);
    }
    ui_puts(p->win, y++, 2, room, session, a);
    if (y <= max_y)
        ui_puts(p->win, y++, 2, room, all, a_all);
    return draw_offline_money(app, p, y, max_y);
}

static void params_draw(ui_app *app, ui_panel *p)
{
    ui_box(app, p, "Parameters");
    size_t n;
    const ea_param_desc *d = ea_param_table(&n);
    n = n_params();
    int inner = ui_inner_w(p), h = ui_inner_h(p);
    bool focus = app->focus == EA_PANEL_PARAMS;
    ui_list_clamp(p, (int)n, h > BELOW_LIST_ROWS + 2 ? h - BELOW_LIST_ROWS : 1);
    int list_rows = rows_for_list(p, n);
    p->top = p->sel < list_rows ? 0 : p->sel - list_rows + 1;
    for (int r = 0; r < list_rows && p->top + r < (int)n; r++) {
        size_t i = (size_t)(p->top + r);
        bool sel = (int)i == p->sel && focus;
        attr_t a = sel ? app->theme.attr[UI_SELECTED] : app->theme.attr[UI_NORMAL];
        ui_fill(p->win, 1 + r, 1, inner, a);
        char name[32];
        snprintf(name, sizeof name, " %-*s", NAME_COLS - 1, d[i].long_opt);
        ui_puts(p->win, 1 + r, 1, NAME_COLS, name, a | (sel ? A_BOLD : 0));
        int x = 1 + NAME_COLS, room = inner - NAME_COLS;
        if (sel && app->param_editing) {
            ui_put(p->win, 1 + r, x, room, app->param_input.text, app->param_input.len, a | A_UNDERLINE);
            continue;
        }
        char value[160];
        bool has_value = app->values[i] || (is_image(&d[i]) && app->n_images);
        const char *dflt = default_text(&d[i]);
        if (is_image(&d[i]) && app->n_images)
            images_text(app, value, sizeof value);
        else if (app->values[i] && strcmp(d[i].long_opt, "size") == 0 && app->params_ok &&
            strcmp(app->values[i], app->resolved_size) != 0)
            snprintf(value, sizeof value, "%s → %s", app->values[i], app->resolved_size);
        else if (app->values[i] && strcmp(d[i].long_opt, "mask") == 0)
            snprintf(value, sizeof value, "%s", base_name(app->values[i])); /* as image shows */
        else if (app->values[i])
            snprintf(value, sizeof value, "%s", app->values[i]);
        else if (choices(app, &d[i]) && strcmp(dflt, "not sent") != 0)
            /* Left alone: not the same step as the default's value chosen (design: a cycle
             * shows each value once, and the first press changes what is shown). */
            snprintf(value, sizeof value, "(%s)", dflt);
        else
            snprintf(value, sizeof value, "%s", dflt);
        /* The value never runs under the ◀▶ marks: cut before them, between words. */
        bool marks = sel && choices(app, &d[i]);
        int value_room = marks ? inner - STEP_MARKS_FROM_RIGHT - x : room;
        if (value_room > 0)
            ui_puts_cut(p->win, 1 + r, x, value_room, value, has_value || sel ? a : app->theme.attr[UI_DIM]);
        if (marks)
            ui_puts(p->win, 1 + r, inner - STEP_MARKS_FROM_RIGHT, 3, "◀▶", a);
    }
    /* Below the list: the estimate, the spend, then what the rules say about these values. */
    int y = 1 + list_rows + 1;
    if (y > h)
        return;
    char line[300];
    if (app->params_ok && app->estimate.known) {
        /* A range (a thinking turn's images are as many as its model makes) in cents, to
         * fit the panel. */
        char amount[96];
        ea_estimate_text(&app->estimate, app->estimate.images_max > app->estimate.images ? 2 : 4,
                         amount, sizeof amount);
        snprintf(line, sizeof line, "next call ≈ %s%s", amount, app->backend.offline ? " offline" : "");
    } else
        snprintf(line, sizeof line, "next call: %s", app->params_ok ? "price unknown" : "not valid");
    y += put_wrapped(p, y, h, line, app->theme.attr[UI_KEY]);
    if (y > h)
        return;
    ea_budget_verdict verdict;
    if ((y = draw_budget(app, p, y, h, &verdict)) > h)
        return;
    if (!app->params_ok) {
        put_wrapped(p, y, h, app->params_msg, app->theme.attr[UI_ERROR]);
    } else if (verdict.past) {
        char brief[160];
        ea_budget_verdict_brief(&verdict, brief, sizeof brief);
        /* The limit's name first, whole even in a narrow panel, which wraps by cells. */
        snprintf(line, sizeof line, "%s\nEnter asks before sending", brief);
        put_wrapped(p, y, h, line, app->theme.attr[UI_ERROR]);
    } else if (app->warnings.count) {
        put_wrapped(p, y, h, app->warnings.text[0], app->theme.attr[UI_DIM]);
    } else if (focus && p->sel < (int)n) {
        /* What it is, then the keys that change it here (not the command line's flag). */
        snprintf(line, sizeof line, "%s · %s", d[p->sel].help,
                 choices(app, &d[p->sel]) ? "Left/Right steps, Enter types, d: default"
                 : is_image(&d[p->sel]) ? "Enter attaches, d removes" : "Enter sets, d clears");
        put_wrapped(p, y, h, line, app->theme.attr[UI_DIM]);
    }
}

static void step(ui_app *app, size_t i, int delta)
{
    size_t n;
    const ea_param_desc *d = ea_param_table(&n);
    const char *const *list = choices(app, &d[i]);
    if (!list) {
        ui_message(app, false, "%s takes a path: Enter asks for it (Tab completes)", d[i].long_opt);
        return;
    }
    int count = 0, at = -1; /* position -1 is the default (not sent) */
    for (; list[count]; count++)
        if (app->values[i] && strcmp(list[count], app->values[i]) == 0)
            at = count;
    int next = at + delta;
    if (next < -1)
        next = count - 1;
    if (next >= count)
        next = -1;
    set_value(app, i, next < 0 ? NULL : list[next]);
}

static bool params_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    size_t n = n_params();
    if (ui_list_action(p, a, (int)n, 5))
        return true;
    if (p->sel < 0 || (size_t)p->sel >= n)
        return false;
    size_t i = (size_t)p->sel;
    const ea_param_desc *d = &ea_param_table(&n)[i];
    switch (a) {
    case EA_ACT_PARAM_NEXT: step(app, i, +1); return true;
    case EA_ACT_PARAM_PREV: step(app, i, -1); return true;
    case EA_ACT_PARAM_RESET:
        if (is_image(d))
            remove_last_image(app);
        else
            set_value(app, i, NULL);
        return true;
    case EA_ACT_PARAM_EDIT:
        /* The paths are asked for on the status bar, which has the room a path needs. */
        if (is_image(d)) {
            ui_ask_path(app, "attach an image (Tab completes):", "", attach_done);
            return true;
        }
        if (strcmp(d->long_opt, "mask") == 0) {
            ui_ask_path(app, "mask (Tab completes):", app->values[i] ? app->values[i] : "", mask_done);
            return true;
        }
        app->param_editing = true;
        ea_editbuf_set(&app->param_input, app->values[i] ? app->values[i] : "",
                       app->values[i] ? strlen(app->values[i]) : 0);
        ui_message(app, false, "type a value for %s: Enter sets it, Esc leaves it", d->long_opt);
        p->dirty = true;
        return true;
    default: return false;
    }
}

/* Keys while a value is typed: a small line editor, then Enter or Esc. */
bool ui_params_edit_key(ui_app *app, ea_key k)
{
    ui_panel *p = &app->panels[EA_PANEL_PARAMS];
    ea_editbuf *e = &app->param_input;
    if (k == EA_KEY_ENTER) {
        /* Blanks around a value are never meant; in a size none are ("1024 x 1536"). */
        size_t n;
        bool size = strcmp(ea_param_table(&n)[p->sel].long_opt, "size") == 0;
        char *v = strdup(e->text ? e->text : ""), *w = v;
        for (const char *c = v; v && *c; c++)
            if (!size || (*c != ' ' && *c != '\t'))
                *w++ = *c;
        if (v) {
            *w = '\0';
            while (w > v && (w[-1] == ' ' || w[-1] == '\t'))
                *--w = '\0';
        }
        const char *start = v ? v + strspn(v, " \t") : "";
        set_value(app, (size_t)p->sel, start);
        free(v);
        app->param_editing = false;
        ui_message(app, false, "%s", "");
    } else if (k == EA_KEY_ESC) {
        app->param_editing = false;
        ui_message(app, false, "left unchanged");
    } else {
        ui_line_edit_key(e, k);
    }
    p->dirty = true;
    return true;
}

/* A click selects a parameter; on the ◀ or ▶ shown by the selected one it steps the value; a
 * double click edits it, as Enter does. The wheel moves the selection. */
static void params_mouse(ui_app *app, ui_panel *p, const ui_mouse *m)
{
    size_t n = n_params();
    if (m->kind != UI_MOUSE_CLICK) {
        params_action(app, p, m->kind == UI_MOUSE_WHEEL_UP ? EA_ACT_LIST_UP : EA_ACT_LIST_DOWN);
        return;
    }
    int row = m->y - 1;
    if (row < 0 || row >= rows_for_list(p, n) || p->top + row >= (int)n)
        return;
    int i = p->top + row, marks = ui_inner_w(p) - STEP_MARKS_FROM_RIGHT;
    p->dirty = true;
    if (i == p->sel && !m->took_focus && m->x >= marks && m->x <= marks + 1 && choices(app, &ea_param_table(&n)[i])) {
        params_action(app, p, m->x == marks ? EA_ACT_PARAM_PREV : EA_ACT_PARAM_NEXT);
        return;
    }
    p->sel = i;
    if (m->clicks == 2)
        params_action(app, p, EA_ACT_PARAM_EDIT);
}

const ui_panel_ops ui_params_ops = {
    .title = "Parameters",
    .scope = EA_SCOPE_PARAMS,
    .focusable = true,
    .draw = params_draw,
    .action = params_action,
    .mouse = params_mouse,
};
