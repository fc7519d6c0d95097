/* SPDX-License-Identifier: MIT */
#include "easel/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/buf.h"
#include "easel/paths.h"
#include "easel/sanitize.h"

/* A config file is a handful of lines; anything bigger is a mistake, not a config. */
#define CONFIG_MAX_BYTES (256 * 1024)

static const struct {
    const char *name;
    const char *env; /* the variable the official SDKs read, or NULL */
} key_table[EA_CFG_KEY_COUNT] = {
    [EA_CFG_API_KEY] = {"api_key", "OPENAI_API_KEY"},
    [EA_CFG_BASE_URL] = {"base_url", "OPENAI_BASE_URL"},
    [EA_CFG_ORGANIZATION] = {"organization", "OPENAI_ORG_ID"},
    [EA_CFG_PROJECT] = {"project", "OPENAI_PROJECT_ID"},
    [EA_CFG_MODEL] = {"model", NULL},
    [EA_CFG_TEXT_MODEL] = {"text_model", NULL},
    [EA_CFG_SIZE] = {"size", NULL},
    [EA_CFG_QUALITY] = {"quality", NULL},
    [EA_CFG_FORMAT] = {"format", NULL},
    [EA_CFG_PARTIALS] = {"partials", NULL},
    [EA_CFG_API] = {"api", NULL},
    [EA_CFG_THEME] = {"theme", NULL},
    [EA_CFG_GRAPHICS] = {"graphics", "EASEL_GRAPHICS"},
    [EA_CFG_MOUSE] = {"mouse", "EASEL_MOUSE"},
    [EA_CFG_BACKGROUND] = {"background", NULL},
    [EA_CFG_REASONING] = {"reasoning", NULL},
    [EA_CFG_WEB_SEARCH] = {"web_search", NULL},
    [EA_CFG_BUDGET_USD] = {"budget_usd", NULL},
    [EA_CFG_SESSION_BUDGET_USD] = {"session_budget_usd", NULL},
    [EA_CFG_ALLOW_HTTP] = {"allow_http", NULL},
    [EA_CFG_API_VERSION] = {"api_version", "OPENAI_API_VERSION"},
    [EA_CFG_AUTH_HEADER] = {"auth_header", NULL},
};

static bool valid_key(enum ea_config_key key)
{
    return (unsigned)key < EA_CFG_KEY_COUNT;
}

void ea_config_init(ea_config *c)
{
    memset(c, 0, sizeof *c);
}

void ea_config_free(ea_config *c)
{
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++) {
        /* Keys are secrets: clear them before the memory goes back to the allocator. */
        if (c->values[k].value) {
            volatile char *p = c->values[k].value;
            while (*p)
                *p++ = '\0';
        }
        free(c->values[k].value);
    }
    ea_config_init(c);
}

const char *ea_config_key_name(enum ea_config_key key)
{
    return valid_key(key) ? key_table[key].name : "?";
}

int ea_config_key_lookup(const char *name)
{
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++)
        if (strcmp(name, key_table[k].name) == 0)
            return k;
    return -1;
}

const char *ea_config_source_name(enum ea_config_source source)
{
    switch (source) {
    case EA_SRC_FILE: return "config file";
    case EA_SRC_ENV: return "environment";
    case EA_SRC_CLI: return "command line";
    case EA_SRC_UNSET: break;
    }
    return "unset";
}

const char *ea_config_get(const ea_config *c, enum ea_config_key key)
{
    return valid_key(key) ? c->values[key].value : NULL;
}

enum ea_config_source ea_config_source_of(const ea_config *c, enum ea_config_key key)
{
    return valid_key(key) ? c->values[key].source : EA_SRC_UNSET;
}

__attribute__((format(printf, 2, 3)))
static void add_warning(ea_config *c, const char *fmt, ...)
{
    if (c->n_warnings < EA_CONFIG_MAX_WARNINGS) {
        /* A warning quotes the file's text, said on stderr by every command: made safe once
         * here, as an error message is. */
        char raw[sizeof c->warnings[0]];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        ea_sanitize_copy(c->warnings[c->n_warnings], sizeof c->warnings[0], raw);
    }
    c->n_warnings++;
}

/* on, yes, true, 1 / off, no, false, 0, any case; -1 for anything else. */
static int parse_switch(const char *text, bool *out)
{
    static const char *const on[] = {"on", "yes", "true", "1"}, *const off[] = {"off", "no", "false", "0"};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        if (strcasecmp(text, on[i]) == 0 || strcasecmp(text, off[i]) == 0) {
            *out = strcasecmp(text, on[i]) == 0;
            return 0;
        }
    }
    return -1;
}

static bool is_switch(const char *v)
{
    bool b;
    return parse_switch(v, &b) == 0;
}

static bool in_words(const char *v, const char *words)
{
    size_t n = strlen(v);
    for (const char *w = words; n && (w = strstr(w, v)); w += n)
        if ((w == words || w[-1] == ' ') && (w[n] == ' ' || w[n] == '\0'))
            return true;
    return false;
}

static bool is_partials(const char *v)
{
    return strlen(v) == 1 && v[0] >= '0' && v[0] <= '3';
}

static bool is_usd(const char *v)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    return end != v && !*end && !errno && d >= 0;
}

static bool is_url(const char *v)
{
    return strncasecmp(v, "https://", 8) == 0 || strncasecmp(v, "http://", 7) == 0;
}

/* The values a key takes where easel can tell without a model's rules: checked as the file is
 * read, so that a mistake is said with its line by every command (issue 16), not only when a
 * command happens to use the key. The value is still kept: the command that uses it refuses
 * it as before. Keys not listed take anything. One entry per key. */
static const struct {
    enum ea_config_key key;
    const char *words;               /* the values, space-separated, or NULL */
    bool (*ok)(const char *value);   /* or a check */
    const char *what;                /* for the message */
} value_rules[] = {
    {EA_CFG_BASE_URL, NULL, is_url, "an http:// or https:// URL"},
    {EA_CFG_FORMAT, "png jpeg webp gif svg", NULL, "png, jpeg, webp, gif or svg"},
    {EA_CFG_PARTIALS, NULL, is_partials, "0, 1, 2 or 3"},
    {EA_CFG_API, "responses images", NULL, "responses or images"},
    {EA_CFG_GRAPHICS, "auto blocks sixel kitty iterm", NULL, "auto, blocks, sixel, kitty or iterm"},
    {EA_CFG_MOUSE, NULL, is_switch, "on or off"},
    {EA_CFG_BACKGROUND, NULL, is_switch, "on or off"},
    {EA_CFG_BUDGET_USD, NULL, is_usd, "an amount in dollars, 0 or more"},
    {EA_CFG_SESSION_BUDGET_USD, NULL, is_usd, "an amount in dollars, 0 or more"},
};

/* The rule's description when value breaks key's rule; NULL when it is fine. */
static const char *value_mistake(enum ea_config_key key, const char *value)
{
    for (size_t i = 0; i < sizeof value_rules / sizeof value_rules[0]; i++)
        if (value_rules[i].key == key)
            return (value_rules[i].words ? in_words(value, value_rules[i].words)
                                         : value_rules[i].ok(value))
                       ? NULL
                       : value_rules[i].what;
    return NULL;
}

/* Stores value unless the key already holds one from a stronger source. */
static int set_value(ea_config *c, enum ea_config_key key, const char *value, size_t len,
                     enum ea_config_source source, int line)
{
    ea_config_value *slot = &c->values[key];
    if (slot->source > source)
        return 0;
    char *copy = strndup(value, len);
    if (!copy)
        return -1;
    free(slot->value);
    slot->value = copy;
    slot->source = source;
    slot->line = line;
    slot->env = source == EA_SRC_ENV ? key_table[key].env : NULL;
    return 0;
}

/* The name messages use for the text being parsed. */
static void origin_name(const ea_config *c, char *out, size_t size)
{
    if (c->file_path[0])
        ea_path_for_display(c->file_path, out, size);
    else
        snprintf(out, size, "config");
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Trims blanks from both ends of [*start, *start + *len). */
static void trim(const char **start, size_t *len)
{
    while (*len > 0 && is_blank(**start)) {
        (*start)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*start)[*len - 1]))
        (*len)--;
}

int ea_config_parse(ea_config *c, const char *text, size_t len, const char *secret_refusal,
                    ea_err *err)
{
    char origin[512];
    origin_name(c, origin, sizeof origin);

    const char *end = text + len;
    int line_no = 0;
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t line_len = (size_t)((eol ? eol : end) - line);
        const char *next = eol ? eol + 1 : end;
        line_no++;

        trim(&line, &line_len);
        if (line_len == 0 || line[0] == '#') {
            line = next;
            continue;
        }
        const char *eq = memchr(line, '=', line_len);
        if (!eq)
            /* The line is not quoted back: it might hold a key pasted in the wrong place. */
            return ea_err_set(err, EA_EXIT_USAGE, "%s line %d: expected 'key = value'", origin,
                              line_no);

        const char *key = line;
        size_t key_len = (size_t)(eq - line);
        const char *value = eq + 1;
        size_t value_len = line_len - key_len - 1;
        trim(&key, &key_len);
        trim(&value, &value_len);
        if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
            value++;
            value_len -= 2;
        }

        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(key_len < 63 ? key_len : 63), key);
        int k = key_len < sizeof name ? ea_config_key_lookup(name) : -1;
        if (k < 0) {
            add_warning(c, "%s line %d: unknown key '%s' (ignored)", origin, line_no, name);
        } else if (value_len == 0) {
            add_warning(c, "%s line %d: %s has no value (ignored)", origin, line_no, name);
        } else if (k == EA_CFG_API_KEY && secret_refusal) {
            snprintf(c->api_key_refused, sizeof c->api_key_refused, "%s", secret_refusal);
            c->api_key_refused_line = line_no;
        } else {
            if (c->values[k].source == EA_SRC_FILE)
                add_warning(c, "%s line %d: %s set again (line %d ignored)", origin, line_no,
                            name, c->values[k].line);
            if (set_value(c, (enum ea_config_key)k, value, value_len, EA_SRC_FILE, line_no) != 0)
                return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
            const char *rule = value_mistake((enum ea_config_key)k, c->values[k].value);
            if (rule) {
                char shown[48];
                ea_sanitize_copy(shown, sizeof shown, c->values[k].value);
                add_warning(c, "%s line %d: %s = '%s' is not %s", origin, line_no, name, shown,
                            rule);
            }
        }
        line = next;
    }
    return 0;
}

int ea_config_load_file(ea_config *c, const char *path, ea_err *err)
{
    /* A regular file only (a FIFO in its place must not hang easel); a link is followed, as
     * dotfile managers make them, since easel only reads this file. */
    int fd = ea_open_file(path, O_RDONLY, 0, err);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (err)
            err->code = EA_EXIT_USAGE;
        return -1;
    }
    /* fstat on the open file, not stat on the name: the mode checked is the file's read. */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ea_err_set(err, EA_EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
    }
    if (st.st_size > CONFIG_MAX_BYTES) {
        close(fd);
        return ea_err_set(err, EA_EXIT_USAGE, "%s is larger than %d bytes", path,
                          CONFIG_MAX_BYTES);
    }

    ea_buf text;
    ea_buf_init(&text, CONFIG_MAX_BYTES);
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || ea_buf_append(&text, chunk, (size_t)got) != 0) {
            close(fd);
            ea_buf_free(&text);
            return ea_err_set(err, EA_EXIT_USAGE, "cannot read %s", path);
        }
    }
    close(fd);

    snprintf(c->file_path, sizeof c->file_path, "%s", path);
    char shown[512];
    ea_path_for_display(path, shown, sizeof shown);
    char refusal[sizeof c->api_key_refused];
    const char *secret_refusal = NULL;
    if (st.st_uid != getuid()) {
        snprintf(refusal, sizeof refusal,
                 "%s is owned by uid %ld, not by you (uid %ld); api_key is read only from "
                 "your own file of mode 0600", shown, (long)st.st_uid, (long)getuid());
        secret_refusal = refusal;
    } else if (st.st_mode & 077) {
        snprintf(refusal, sizeof refusal,
                 "%s is mode %04o; api_key is read only from a file of mode 0600", shown,
                 (unsigned)(st.st_mode & 07777));
        secret_refusal = refusal;
    }
    int rc = ea_config_parse(c, text.data ? text.data : "", text.len, secret_refusal, err);
    /* The text may hold the key: clear it before freeing. */
    if (text.data)
        memset(text.data, 0, text.len);
    ea_buf_free(&text);
    return rc;
}

static const char *env_value(const char *name)
{
    const char *value = getenv(name);
    return value && value[0] ? value : NULL;
}

/* A value from a variable other than the key's own (the Azure ones). */
static void set_from_env(ea_config *c, enum ea_config_key key, const char *value, size_t len,
                         const char *env)
{
    if (set_value(c, key, value, len, EA_SRC_ENV, 0) == 0 && c->values[key].source == EA_SRC_ENV)
        c->values[key].env = env;
}

void ea_config_apply_env(ea_config *c)
{
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++) {
        const char *value = key_table[k].env ? env_value(key_table[k].env) : NULL;
        if (value)
            set_value(c, (enum ea_config_key)k, value, strlen(value), EA_SRC_ENV, 0);
    }
    const char *endpoint = env_value("AZURE_OPENAI_ENDPOINT");
    const char *azure_key = env_value("AZURE_OPENAI_API_KEY");
    bool own_base = env_value("OPENAI_BASE_URL") != NULL;
    if (endpoint && !own_base && c->values[EA_CFG_BASE_URL].source <= EA_SRC_ENV) {
        /* The SDKs' baseURL = `${endpoint}/openai`, without doubling a trailing slash. */
        size_t len = strlen(endpoint);
        while (len > 0 && endpoint[len - 1] == '/')
            len--;
        char *base = malloc(len + sizeof "/openai");
        if (base) {
            sprintf(base, "%.*s/openai", (int)len, endpoint);
            set_from_env(c, EA_CFG_BASE_URL, base, strlen(base), "AZURE_OPENAI_ENDPOINT");
            free(base);
        }
        /* A key from OPENAI_API_KEY belongs to OpenAI: it does not go to Azure. */
        ea_config_value *key = &c->values[EA_CFG_API_KEY];
        if (key->source == EA_SRC_ENV && key->env && strcmp(key->env, "OPENAI_API_KEY") == 0) {
            explicit_bzero(key->value, strlen(key->value));
            free(key->value);
            memset(key, 0, sizeof *key);
        }
    }
    bool azure_base = c->values[EA_CFG_BASE_URL].env &&
                      strcmp(c->values[EA_CFG_BASE_URL].env, "AZURE_OPENAI_ENDPOINT") == 0;
    if (azure_key && (azure_base || (!env_value("OPENAI_API_KEY") &&
                                     c->values[EA_CFG_BASE_URL].value)))
        set_from_env(c, EA_CFG_API_KEY, azure_key, strlen(azure_key), "AZURE_OPENAI_API_KEY");
}

const char *ea_config_env_of(const ea_config *c, enum ea_config_key key)
{
    return valid_key(key) && c->values[key].source == EA_SRC_ENV ? c->values[key].env : NULL;
}

int ea_config_load(ea_config *c, ea_err *err)
{
    char dir[4096], path[4096 + 16];
    if (ea_path_dir(EA_DIR_CONFIG, dir, sizeof dir, err) != 0 ||
        ea_path_join(path, sizeof path, dir, "config", err) != 0 ||
        ea_config_load_file(c, path, err) != 0)
        return -1;
    ea_config_apply_env(c);
    return 0;
}

int ea_config_set_cli(ea_config *c, enum ea_config_key key, const char *value, ea_err *err)
{
    if (!valid_key(key))
        return ea_err_set(err, EA_EXIT_INTERNAL, "unknown config key %d", (int)key);
    if (set_value(c, key, value, strlen(value), EA_SRC_CLI, 0) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    return 0;
}

bool ea_url_userinfo(const char *url, size_t *at, size_t *len)
{
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end)
        return false;
    size_t start = (size_t)(scheme_end - url) + 3;
    size_t authority = strcspn(url + start, "/?#");
    const char *last_at = NULL;
    for (const char *p = url + start; p < url + start + authority; p++)
        if (*p == '@')
            last_at = p;
    if (!last_at)
        return false;
    *at = start;
    *len = (size_t)(last_at - (url + start)) + 1;
    return true;
}

void ea_url_for_display(const char *url, char *out, size_t size)
{
    size_t at, len;
    if (ea_url_userinfo(url, &at, &len))
        snprintf(out, size, "%.*s***@%s", (int)at, url, url + at + len);
    else
        snprintf(out, size, "%s", url);
}

void ea_config_describe(const ea_config *c, enum ea_config_key key, char *out, size_t size)
{
    if (!valid_key(key)) {
        snprintf(out, size, "?");
        return;
    }
    const ea_config_value *v = &c->values[key];
    char source[600];
    switch (v->source) {
    case EA_SRC_FILE: {
        char shown[512];
        ea_path_for_display(c->file_path, shown, sizeof shown);
        snprintf(source, sizeof source, "from %s, line %d", shown, v->line);
        break;
    }
    case EA_SRC_ENV:
        snprintf(source, sizeof source, "from environment, %s",
                 v->env ? v->env : key_table[key].env);
        break;
    case EA_SRC_CLI:
        snprintf(source, sizeof source, "from command line");
        break;
    case EA_SRC_UNSET:
        source[0] = '\0';
        break;
    }

    if (!v->value) {
        if (key == EA_CFG_API_KEY && c->api_key_refused[0])
            snprintf(out, size, "not set (%s)", c->api_key_refused);
        else
            snprintf(out, size, "not set");
    } else if (key == EA_CFG_API_KEY) {
        /* Never a character of the key: even a prefix or suffix helps someone guess it. */
        snprintf(out, size, "set, %zu characters (%s)", strlen(v->value), source);
    } else {
        char shown[2100];
        ea_url_for_display(v->value, shown, sizeof shown);
        snprintf(out, size, "%s (%s)", key == EA_CFG_BASE_URL ? shown : v->value, source);
    }
}

int ea_config_switch(const ea_config *c, enum ea_config_key key, bool otherwise, bool *out)
{
    const char *text = ea_config_get(c, key);
    *out = otherwise;
    if (!text || !*text)
        return 0;
    return parse_switch(text, out);
}

int ea_config_warning_count(const ea_config *c)
{
    return c->n_warnings + (c->api_key_refused[0] != '\0');
}

const char *ea_config_warning(const ea_config *c, int i, char *out, size_t size)
{
    if (c->api_key_refused[0]) {
        if (i == 0) {
            char origin[512];
            origin_name(c, origin, sizeof origin);
            snprintf(out, size, "%s line %d: api_key not used: %s", origin,
                     c->api_key_refused_line, c->api_key_refused);
            return out;
        }
        i--;
    }
    if (i >= 0 && i < EA_CONFIG_MAX_WARNINGS && i < c->n_warnings)
        snprintf(out, size, "%s", c->warnings[i]);
    else /* past the ones kept */
        snprintf(out, size, "%d more (easel doctor)", c->n_warnings - EA_CONFIG_MAX_WARNINGS);
    return out;
}

void ea_config_print_warnings(const ea_config *c, FILE *out, const char *prefix)
{
    char text[1024];
    int n = ea_config_warning_count(c), shown = n - c->n_warnings + EA_CONFIG_MAX_WARNINGS + 1;
    for (int i = 0; i < n && i < shown; i++)
        fprintf(out, "%s: warning: %s\n", prefix, ea_config_warning(c, i, text, sizeof text));
}
