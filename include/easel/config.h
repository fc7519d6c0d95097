/* SPDX-License-Identifier: MIT */
/* config: easel's settings from $XDG_CONFIG_HOME/easel/config, the environment and the command
 * line (each wins over the one before), remembering where each value came from for `doctor`. */
#ifndef EASEL_CONFIG_H
#define EASEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "easel/err.h"

/* The config file's keys (design.md section 3), in the order `easel doctor` shows them. */
enum ea_config_key {
    EA_CFG_API_KEY,
    EA_CFG_BASE_URL,
    EA_CFG_ORGANIZATION,
    EA_CFG_PROJECT,
    EA_CFG_MODEL,
    EA_CFG_TEXT_MODEL,
    EA_CFG_SIZE,
    EA_CFG_QUALITY,
    EA_CFG_FORMAT,
    EA_CFG_PARTIALS,
    EA_CFG_API,
    EA_CFG_THEME,
    EA_CFG_GRAPHICS, /* blocks, sixel, kitty, iterm or auto; also $EASEL_GRAPHICS */
    EA_CFG_MOUSE,    /* on or off: the workbench takes the mouse; also $EASEL_MOUSE */
    EA_CFG_BUDGET_USD,
    EA_CFG_SESSION_BUDGET_USD,
    EA_CFG_BACKGROUND, /* on (the default) or off: Responses turns in background mode */
    EA_CFG_REASONING,  /* the default reasoning effort of a Responses turn; unset: none sent */
    EA_CFG_WEB_SEARCH, /* on or off (the default): the web_search tool on Responses turns */
    EA_CFG_ALLOW_HTTP,   /* host names plain http:// may go to besides loopback */
    EA_CFG_API_VERSION,  /* the api-version query parameter (Azure); also $OPENAI_API_VERSION */
    EA_CFG_AUTH_HEADER,  /* bearer or api-key: how the key is sent */
    EA_CFG_KEY_COUNT
};

/* Ordered by precedence: a value from a later source replaces one from an earlier source. */
enum ea_config_source {
    EA_SRC_UNSET = 0,
    EA_SRC_FILE,
    EA_SRC_ENV,
    EA_SRC_CLI,
};

#define EA_CONFIG_MAX_WARNINGS 16

typedef struct ea_config_value {
    char *value;                  /* owned; NULL when unset */
    enum ea_config_source source;
    int line;                     /* the file's line number when source is EA_SRC_FILE */
    const char *env;              /* the variable it came from when EA_SRC_ENV; static */
} ea_config_value;

typedef struct ea_config {
    ea_config_value values[EA_CFG_KEY_COUNT];
    char file_path[4096];         /* the file read, or "" when none was */
    /* Why the file's api_key was not used ("~/.config/easel/config is mode 0644; ..."),
     * or "" when nothing was refused. */
    char api_key_refused[768];
    int api_key_refused_line;     /* the api_key line that was refused */
    int n_warnings;               /* may exceed EA_CONFIG_MAX_WARNINGS; only that many kept */
    char warnings[EA_CONFIG_MAX_WARNINGS][256];
} ea_config;

void ea_config_init(ea_config *c);
void ea_config_free(ea_config *c);

/* The file, then the environment, on top of whatever c holds already. A missing file is not
 * an error. Command-line values are set afterwards with ea_config_set_cli. */
int ea_config_load(ea_config *c, ea_err *err);

/* Parses config text (no file access: testable from a string). Lines are `key = value`; blank
 * lines and lines whose first non-blank character is '#' are skipped ('#' inside a value is
 * kept: URLs and keys may hold one). Spaces around key and value are trimmed and one pair of
 * double quotes around the value is removed. A later line for the same key wins, with a
 * warning; an unknown key is a warning, not an error; a line without '=' is an error.
 * When secret_refusal is not NULL, an api_key line is not used: that text is stored in
 * c->api_key_refused instead. */
int ea_config_parse(ea_config *c, const char *text, size_t len, const char *secret_refusal,
                    ea_err *err);

/* Reads and parses one file. Its api_key is used only when the file is owned by the current
 * user and has no group or other permission bits (like ssh's private keys). */
int ea_config_load_file(ea_config *c, const char *path, ea_err *err);

/* OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_API_VERSION, as
 * the official SDKs read them. An empty variable counts as unset. The Azure variables stand in
 * as the AzureOpenAI clients read them: AZURE_OPENAI_ENDPOINT, when OPENAI_BASE_URL is unset,
 * makes the base URL ENDPOINT/openai and takes its key from AZURE_OPENAI_API_KEY only (a key
 * meant for OpenAI is not sent to Azure); AZURE_OPENAI_API_KEY is also the key when
 * OPENAI_API_KEY is unset and a base URL is set. */
void ea_config_apply_env(ea_config *c);

/* A command-line value: wins over the file and the environment. */
int ea_config_set_cli(ea_config *c, enum ea_config_key key, const char *value, ea_err *err);

/* Borrowed; NULL when unset. */
const char *ea_config_get(const ea_config *c, enum ea_config_key key);
/* An on/off key (on, yes, true, 1 / off, no, false, 0, any case) into *out; unset: otherwise.
 * -1 when the value is none of them (*out is then otherwise). */
int ea_config_switch(const ea_config *c, enum ea_config_key key, bool otherwise, bool *out);
enum ea_config_source ea_config_source_of(const ea_config *c, enum ea_config_key key);

const char *ea_config_key_name(enum ea_config_key key);       /* "api_key" */
int ea_config_key_lookup(const char *name);                     /* enum value, or -1 */
const char *ea_config_source_name(enum ea_config_source source); /* "environment" */
/* The variable a value came from ("AZURE_OPENAI_API_KEY"), or NULL when not the environment. */
const char *ea_config_env_of(const ea_config *c, enum ea_config_key key);

/* One line for `easel doctor`: "gpt-image-2 (from ~/.config/easel/config, line 3)". For
 * api_key only its length and source are written, never a character of it:
 * "set, 164 characters (from environment)"; base_url without its user name and password. */
void ea_config_describe(const ea_config *c, enum ea_config_key key, char *out, size_t size);
/* A URL's "user:password@" (a credential: never sent, recorded or shown): its span in url
 * as *at and *len, and true; false when the URL has none. */
bool ea_url_userinfo(const char *url, size_t *at, size_t *len);
/* url with its "user:password@" shown as "***@", into out[size]. */
void ea_url_for_display(const char *url, char *out, size_t size);

/* What the file got wrong (unknown keys, values a key does not take, keys set twice, a
 * refused api_key), each with its line, to be said where it bites: on stderr by every command
 * (ea_config_print_warnings, "PREFIX: warning: TEXT" lines) and on the workbench's status line.
 * The refused api_key comes first. count includes warnings past EA_CONFIG_MAX_WARNINGS, which
 * were not kept: ea_config_warning writes the i-th to out, "N more (easel doctor)" for those. */
int ea_config_warning_count(const ea_config *c);
const char *ea_config_warning(const ea_config *c, int i, char *out, size_t size);
void ea_config_print_warnings(const ea_config *c, FILE *out, const char *prefix);

#endif
