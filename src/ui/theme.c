/* SPDX-License-Identifier: MIT */
/* theme: colour roles. Four themes are compiled in (dark, the default; light; high-contrast;
 * mono, used under NO_COLOR); a file $XDG_CONFIG_HOME/easel/themes/NAME.theme, or a path
 * given to --theme, defines or overrides one with lines `role = fg bg [bold] [reverse]...`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "easel/paths.h"
#include "internal.h"

enum { DEF = -1 }; /* the terminal's own colour */

typedef struct role_spec {
    short fg, bg;
    attr_t attrs;
} role_spec;

typedef struct theme_spec {
    const char *name;
    role_spec roles[UI_ROLE_COUNT];
} theme_spec;

static const char *const role_names[UI_ROLE_COUNT] = {
    "normal", "title", "banner", "border", "border_focus", "selected",
    "status", "error", "ok", "dim", "key",
};

/* Role order: normal, title, banner, border, border_focus, selected, status, error, ok, dim, key. */
static const theme_spec builtin[] = {
    {"dark",
     {{DEF, DEF, 0}, {COLOR_WHITE, COLOR_BLUE, A_BOLD}, {COLOR_BLACK, COLOR_YELLOW, A_BOLD},
      {COLOR_BLUE, DEF, 0}, {COLOR_CYAN, DEF, A_BOLD}, {COLOR_BLACK, COLOR_CYAN, 0},
      {COLOR_WHITE, COLOR_BLUE, 0}, {COLOR_RED, DEF, A_BOLD}, {COLOR_GREEN, DEF, 0},
      {DEF, DEF, A_DIM}, {COLOR_YELLOW, DEF, A_BOLD}}},
    {"light",
     {{COLOR_BLACK, COLOR_WHITE, 0}, {COLOR_WHITE, COLOR_BLUE, A_BOLD},
      {COLOR_BLACK, COLOR_YELLOW, A_BOLD}, {COLOR_BLUE, COLOR_WHITE, 0},
      {COLOR_MAGENTA, COLOR_WHITE, A_BOLD}, {COLOR_WHITE, COLOR_BLUE, 0},
      {COLOR_BLACK, COLOR_CYAN, 0}, {COLOR_RED, COLOR_WHITE, A_BOLD},
      {COLOR_GREEN, COLOR_WHITE, 0}, {COLOR_BLUE, COLOR_WHITE, 0},
      {COLOR_MAGENTA, COLOR_WHITE, A_BOLD}}},
    {"high-contrast",
     {{COLOR_WHITE, COLOR_BLACK, A_BOLD}, {COLOR_BLACK, COLOR_WHITE, A_BOLD},
      {COLOR_BLACK, COLOR_YELLOW, A_BOLD}, {COLOR_WHITE, COLOR_BLACK, 0},
      {COLOR_YELLOW, COLOR_BLACK, A_BOLD}, {COLOR_BLACK, COLOR_YELLOW, A_BOLD},
      {COLOR_BLACK, COLOR_WHITE, A_BOLD}, {COLOR_RED, COLOR_BLACK, A_BOLD},
      {COLOR_GREEN, COLOR_BLACK, A_BOLD}, {COLOR_WHITE, COLOR_BLACK, 0},
      {COLOR_YELLOW, COLOR_BLACK, A_BOLD}}},
    /* No colour at all: NO_COLOR (https://no-color.org) and monochrome terminals. */
    {"mono",
     {{DEF, DEF, 0}, {DEF, DEF, A_REVERSE | A_BOLD}, {DEF, DEF, A_REVERSE | A_BOLD},
      {DEF, DEF, 0}, {DEF, DEF, A_BOLD}, {DEF, DEF, A_REVERSE}, {DEF, DEF, A_REVERSE},
      {DEF, DEF, A_BOLD | A_UNDERLINE}, {DEF, DEF, 0}, {DEF, DEF, A_DIM}, {DEF, DEF, A_BOLD}}},
};
#define N_BUILTIN (sizeof builtin / sizeof builtin[0])

const char *ui_theme_names(void)
{
    return "dark, light, high-contrast, mono";
}

static int parse_colour(const char *w, short *out)
{
    static const char *const names[] = {"black", "red", "green", "yellow",
                                        "blue", "magenta", "cyan", "white"};
    if (strcasecmp(w, "default") == 0) {
        *out = DEF;
        return 0;
    }
    for (short i = 0; i < 8; i++)
        if (strcasecmp(w, names[i]) == 0) {
            *out = i;
            return 0;
        }
    char *end;
    long v = strtol(w, &end, 10);
    if (*w && !*end && v >= 0 && v <= 255) {
        *out = (short)v;
        return 0;
    }
    return -1;
}

static int parse_attr(const char *w, attr_t *out)
{
    static const struct { const char *name; attr_t a; } attrs[] = {
        {"bold", A_BOLD}, {"reverse", A_REVERSE}, {"dim", A_DIM}, {"underline", A_UNDERLINE},
        {"normal", 0},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strcasecmp(w, attrs[i].name) == 0) {
            *out |= attrs[i].a;
            return 0;
        }
    return -1;
}

/* One file on top of `spec` (which holds the dark theme, so a file may set only a few roles). */
static int load_file(const char *path, theme_spec *spec, char *why, size_t why_len)
{
    /* A regular file only: a FIFO in its place would hang the start. */
    ea_err err = {0};
    int fd = ea_open_file(path, O_RDONLY, 0, &err);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        else if (errno != ENOENT) {
            snprintf(why, why_len, "theme: %s", err.msg);
            return -2;
        }
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *eq = strchr(line, '=');
        char *words[8];
        int n = 0;
        char *role = strtok(line, " \t\r\n=");
        if (!role)
            continue;
        for (char *w = strtok(eq ? eq + 1 : NULL, " \t\r\n"); w && n < 8; w = strtok(NULL, " \t\r\n"))
            words[n++] = w;
        int r = -1;
        for (int i = 0; i < UI_ROLE_COUNT; i++)
            if (strcmp(role, role_names[i]) == 0)
                r = i;
        role_spec rs = {DEF, DEF, 0};
        bool ok = eq && r >= 0 && n >= 2 && parse_colour(words[0], &rs.fg) == 0 &&
                  parse_colour(words[1], &rs.bg) == 0;
        for (int i = 2; ok && i < n; i++)
            ok = parse_attr(words[i], &rs.attrs) == 0;
        if (!ok) {
            snprintf(why, why_len, "%s, line %d: expected `role = fg bg [bold|reverse|dim|underline]`"
                     " with a role among normal, title, banner, border, border_focus, selected, "
                     "status, error, ok, dim, key", path, lineno);
            fclose(f);
            return -2;
        }
        spec->roles[r] = rs;
    }
    fclose(f);
    return 0;
}

static void apply(ui_theme *t, const theme_spec *spec, bool colour)
{
    snprintf(t->name, sizeof t->name, "%s", spec->name);
    for (int i = 0; i < UI_ROLE_COUNT; i++) {
        const role_spec *r = &spec->roles[i];
        t->attr[i] = r->attrs;
        if (colour && (r->fg != DEF || r->bg != DEF) && i + 1 < COLOR_PAIRS) {
            init_pair((short)(i + 1), r->fg < COLORS ? r->fg : DEF, r->bg < COLORS ? r->bg : DEF);
            t->attr[i] |= COLOR_PAIR(i + 1);
        }
    }
}

int ui_theme_init(ui_theme *t, const char *name, char *why, size_t why_len)
{
    const char *no_color = getenv("NO_COLOR");
    bool colour = has_colors() && !(no_color && *no_color);
    if (colour) {
        start_color();
        use_default_colors();
    }
    if (!name || !*name)
        name = colour ? "dark" : "mono";
    theme_spec spec = builtin[0];
    bool found = false;
    for (size_t i = 0; i < N_BUILTIN; i++)
        if (strcmp(name, builtin[i].name) == 0) {
            spec = builtin[i];
            found = true;
        }
    char path[4200] = "", dir[4096];
    if (strchr(name, '/'))
        snprintf(path, sizeof path, "%s", name);
    else if (ea_path_dir(EA_DIR_CONFIG, dir, sizeof dir, NULL) == 0)
        snprintf(path, sizeof path, "%s/themes/%s.theme", dir, name);
    int rc = *path ? load_file(path, &spec, why, why_len) : -1;
    if (rc == -2)
        return -1;
    if (rc == 0) {
        found = true;
        spec.name = name;
    }
    if (!found) {
        snprintf(why, why_len, "theme '%s': no such theme (built in: %s; or a file %s)", name,
                 ui_theme_names(), *path ? path : "themes/NAME.theme");
        return -1;
    }
    /* NO_COLOR keeps the chosen theme's attributes but drops its colours. */
    apply(t, &spec, colour);
    return 0;
}
