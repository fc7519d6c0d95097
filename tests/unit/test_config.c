/* SPDX-License-Identifier: MIT */
/* Config parsing, precedence (file < environment < command line), the 0600 rule for a stored
 * key, and the XDG paths underneath. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/config.h"
#include "easel/paths.h"
#include "store_fixture.h"

#define SECRET "sk-test-0123456789abcdefXYZ"

static void clear_openai_env(void)
{
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_ORG_ID");
    unsetenv("OPENAI_PROJECT_ID");
}

static int setup(void **state)
{
    clear_openai_env();
    return store_setup(state);
}

static int teardown(void **state)
{
    clear_openai_env();
    return store_teardown(state);
}

/* Writes $XDG_CONFIG_HOME/easel/config with the given mode; returns its path in path. */
static void write_config(const store_fixture *fx, const char *text, mode_t mode,
                         char path[PATH_MAX + 16])
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/easel", fx->config);
    assert_int_equal(ea_mkdir_p(dir, 0700, NULL), 0);
    snprintf(path, PATH_MAX + 16, "%s/config", dir);
    assert_int_equal(spit(path, text, strlen(text), "w"), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_parse_lines_comments_and_quotes(void **state)
{
    (void)state;
    const char *text = "# easel settings\n"
                       "\n"
                       "   model = gpt-image-2   \n"
                       "size=1024x1024\r\n"
                       "\t# indented comment\n"
                       "base_url = \"http://localhost:8080/v1#frag\"\n"
                       "partials = 2"; /* no final newline */
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_parse(&c, text, strlen(text), NULL, &err), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_MODEL), "gpt-image-2");
    assert_string_equal(ea_config_get(&c, EA_CFG_SIZE), "1024x1024");
    /* '#' inside a value is kept, quotes are removed. */
    assert_string_equal(ea_config_get(&c, EA_CFG_BASE_URL), "http://localhost:8080/v1#frag");
    assert_string_equal(ea_config_get(&c, EA_CFG_PARTIALS), "2");
    assert_null(ea_config_get(&c, EA_CFG_QUALITY));
    assert_int_equal(ea_config_source_of(&c, EA_CFG_MODEL), EA_SRC_FILE);
    assert_int_equal(c.values[EA_CFG_MODEL].line, 3);
    assert_int_equal(c.values[EA_CFG_PARTIALS].line, 7);
    assert_int_equal(c.n_warnings, 0);
    ea_config_free(&c);
}

static void test_unknown_key_is_a_warning_with_line(void **state)
{
    (void)state;
    const char *text = "model = a\ncolour = blue\nquality = high\n";
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_parse(&c, text, strlen(text), NULL, &err), 0);
    assert_int_equal(c.n_warnings, 1);
    assert_non_null(strstr(c.warnings[0], "line 2"));
    assert_non_null(strstr(c.warnings[0], "colour"));
    assert_string_equal(ea_config_get(&c, EA_CFG_QUALITY), "high");
    ea_config_free(&c);
}

/* A value its key does not take is a warning with its line; the value is kept (the command
 * that uses it refuses it), and good values of every checked key say nothing. */
static void test_bad_values_are_warnings_with_line(void **state)
{
    (void)state;
    const char *good = "base_url = https://example.test/v1\nformat = webp\npartials = 0\n"
                       "api = images\ngraphics = auto\nmouse = Off\nbackground = yes\n"
                       "budget_usd = 12.5\nsession_budget_usd = 0\n";
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_parse(&c, good, strlen(good), NULL, &err), 0);
    assert_int_equal(ea_config_warning_count(&c), 0);
    ea_config_free(&c);

    const char *bad = "base_url = example.test\nformat = bmp\npartials = 4\napi = chat\n"
                      "graphics = kitty2\nmouse = sometimes\nbackground = maybe\n"
                      "budget_usd = -1\nsession_budget_usd = ten\n";
    assert_int_equal(ea_config_parse(&c, bad, strlen(bad), NULL, &err), 0);
    assert_int_equal(ea_config_warning_count(&c), 9);
    for (int i = 0; i < 9; i++) {
        char line[32], text[512];
        snprintf(line, sizeof line, "line %d:", i + 1);
        assert_non_null(strstr(ea_config_warning(&c, i, text, sizeof text), line));
        assert_non_null(strstr(text, " is not "));
    }
    assert_string_equal(ea_config_get(&c, EA_CFG_PARTIALS), "4");
    ea_config_free(&c);
}

/* The refused api_key is a warning too, first, with its line, never with the key. */
static void test_refused_key_is_a_warning_with_line(void **state)
{
    (void)state;
    const char *text = "model = a\napi_key = " SECRET "\n";
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_parse(&c, text, strlen(text), "mode 0644", &err), 0);
    assert_int_equal(ea_config_warning_count(&c), 1);
    char out[512];
    ea_config_warning(&c, 0, out, sizeof out);
    assert_non_null(strstr(out, "line 2: api_key not used: mode 0644"));
    assert_null(strstr(out, SECRET));
    ea_config_free(&c);
}

static void test_line_without_equals_is_an_error_that_does_not_echo(void **state)
{
    (void)state;
    const char *text = "model = a\n" SECRET "\n";
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_parse(&c, text, strlen(text), NULL, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "line 2"));
    assert_null(strstr(err.msg, "sk-test")); /* a key pasted on its own is not repeated */
    ea_config_free(&c);
}

static void test_repeated_key_later_wins_with_warning(void **state)
{
    (void)state;
    const char *text = "model = first\nmodel = second\ntheme =\n";
    ea_config c;
    ea_config_init(&c);
    assert_int_equal(ea_config_parse(&c, text, strlen(text), NULL, NULL), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_MODEL), "second");
    assert_int_equal(c.values[EA_CFG_MODEL].line, 2);
    assert_int_equal(c.n_warnings, 2);
    assert_non_null(strstr(c.warnings[0], "line 1 ignored"));
    assert_non_null(strstr(c.warnings[1], "theme has no value"));
    assert_null(ea_config_get(&c, EA_CFG_THEME));
    ea_config_free(&c);
}

static void test_parse_refuses_secret_when_told(void **state)
{
    (void)state;
    const char *text = "api_key = " SECRET "\nmodel = m\n";
    ea_config c;
    ea_config_init(&c);
    assert_int_equal(ea_config_parse(&c, text, strlen(text), "file is mode 0644", NULL), 0);
    assert_null(ea_config_get(&c, EA_CFG_API_KEY));
    assert_string_equal(c.api_key_refused, "file is mode 0644");
    assert_string_equal(ea_config_get(&c, EA_CFG_MODEL), "m");
    ea_config_free(&c);
}

static void test_file_0600_gives_key(void **state)
{
    store_fixture *fx = *state;
    char path[PATH_MAX + 16];
    write_config(fx, "api_key = " SECRET "\n", 0600, path);
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_load(&c, &err), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_API_KEY), SECRET);
    assert_int_equal(ea_config_source_of(&c, EA_CFG_API_KEY), EA_SRC_FILE);
    assert_string_equal(c.api_key_refused, "");
    assert_string_equal(c.file_path, path);
    ea_config_free(&c);
}

static void test_file_0644_refuses_key_like_ssh(void **state)
{
    store_fixture *fx = *state;
    char path[PATH_MAX + 16];
    write_config(fx, "api_key = " SECRET "\nmodel = gpt-image-2\n", 0644, path);
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_load(&c, &err), 0);
    assert_null(ea_config_get(&c, EA_CFG_API_KEY));
    assert_non_null(strstr(c.api_key_refused, "/easel/config is mode 0644; api_key is read "
                                              "only from a file of mode 0600"));
    /* Only the key is refused; the file's other settings apply. */
    assert_string_equal(ea_config_get(&c, EA_CFG_MODEL), "gpt-image-2");
    char line[1024];
    ea_config_describe(&c, EA_CFG_API_KEY, line, sizeof line);
    assert_non_null(strstr(line, "not set"));
    assert_non_null(strstr(line, "mode 0644"));
    ea_config_free(&c);

    /* Group-readable (0640) is refused too. */
    assert_int_equal(chmod(path, 0640), 0);
    ea_config_init(&c);
    assert_int_equal(ea_config_load(&c, &err), 0);
    assert_null(ea_config_get(&c, EA_CFG_API_KEY));
    assert_non_null(strstr(c.api_key_refused, "mode 0640"));
    ea_config_free(&c);
}

static void test_file_of_another_user_refuses_key(void **state)
{
    store_fixture *fx = *state;
    if (geteuid() != 0)
        skip(); /* only root can give a file away */
    char path[PATH_MAX + 16];
    write_config(fx, "api_key = " SECRET "\n", 0600, path);
    assert_int_equal(chown(path, 65534, 65534), 0);
    ea_config c;
    ea_config_init(&c);
    assert_int_equal(ea_config_load(&c, NULL), 0);
    assert_null(ea_config_get(&c, EA_CFG_API_KEY));
    assert_non_null(strstr(c.api_key_refused, "is owned by uid 65534, not by you (uid 0)"));
    ea_config_free(&c);
}

static void test_precedence_file_env_cli(void **state)
{
    store_fixture *fx = *state;
    char path[PATH_MAX + 16];
    write_config(fx, "base_url = http://file/v1\norganization = org-file\nproject = p-file\n",
                 0600, path);
    setenv("OPENAI_BASE_URL", "http://env/v1", 1);
    setenv("OPENAI_ORG_ID", "", 1); /* empty: counts as unset */
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_load(&c, &err), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_BASE_URL), "http://env/v1");
    assert_int_equal(ea_config_source_of(&c, EA_CFG_BASE_URL), EA_SRC_ENV);
    assert_string_equal(ea_config_get(&c, EA_CFG_ORGANIZATION), "org-file");
    assert_int_equal(ea_config_source_of(&c, EA_CFG_ORGANIZATION), EA_SRC_FILE);

    assert_int_equal(ea_config_set_cli(&c, EA_CFG_BASE_URL, "http://cli/v1", &err), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_BASE_URL), "http://cli/v1");
    assert_int_equal(ea_config_source_of(&c, EA_CFG_BASE_URL), EA_SRC_CLI);

    /* Order of calls does not matter: the environment does not beat the command line, and
     * a file parsed late does not beat the environment. */
    ea_config_apply_env(&c);
    assert_string_equal(ea_config_get(&c, EA_CFG_BASE_URL), "http://cli/v1");
    const char *late = "base_url = http://late-file/v1\n";
    assert_int_equal(ea_config_parse(&c, late, strlen(late), NULL, &err), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_BASE_URL), "http://cli/v1");

    char line[1024];
    ea_config_describe(&c, EA_CFG_PROJECT, line, sizeof line);
    assert_non_null(strstr(line, "p-file (from "));
    assert_non_null(strstr(line, "line 3"));
    ea_config_free(&c);
}

static void test_env_key_described_without_characters(void **state)
{
    (void)state;
    setenv("OPENAI_API_KEY", SECRET, 1);
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_load(&c, &err), 0); /* no file at all: not an error */
    assert_string_equal(c.file_path, "");
    assert_string_equal(ea_config_get(&c, EA_CFG_API_KEY), SECRET);
    char line[1024];
    ea_config_describe(&c, EA_CFG_API_KEY, line, sizeof line);
    char expected[128];
    snprintf(expected, sizeof expected, "set, %zu characters (from environment, OPENAI_API_KEY)",
             strlen(SECRET));
    assert_string_equal(line, expected);
    /* Not even a prefix or suffix of the key. */
    assert_null(strstr(line, "sk-"));
    assert_null(strstr(line, "XYZ"));
    ea_config_free(&c);
}

static void test_key_names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++)
        assert_int_equal(ea_config_key_lookup(ea_config_key_name((enum ea_config_key)k)), k);
    assert_int_equal(ea_config_key_lookup("session_budget_usd"), EA_CFG_SESSION_BUDGET_USD);
    assert_int_equal(ea_config_key_lookup("nope"), -1);
    assert_string_equal(ea_config_source_name(EA_SRC_ENV), "environment");
}

static void test_xdg_dirs(void **state)
{
    store_fixture *fx = *state;
    char dir[PATH_MAX], expected[PATH_MAX + 16];
    assert_int_equal(ea_path_dir(EA_DIR_CONFIG, dir, sizeof dir, NULL), 0);
    snprintf(expected, sizeof expected, "%s/easel", fx->config);
    assert_string_equal(dir, expected);

    /* Unset or relative: under $HOME, as the XDG spec says. */
    char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", "/home/someone", 1);
    unsetenv("XDG_DATA_HOME");
    setenv("XDG_CACHE_HOME", "relative/cache", 1);
    assert_int_equal(ea_path_dir(EA_DIR_DATA, dir, sizeof dir, NULL), 0);
    assert_string_equal(dir, "/home/someone/.local/share/easel");
    assert_int_equal(ea_path_dir(EA_DIR_CACHE, dir, sizeof dir, NULL), 0);
    assert_string_equal(dir, "/home/someone/.cache/easel");

    char shown[PATH_MAX];
    ea_path_for_display("/home/someone/.config/easel/config", shown, sizeof shown);
    assert_string_equal(shown, "~/.config/easel/config");
    ea_path_for_display("/home/someoneelse/x", shown, sizeof shown);
    assert_string_equal(shown, "/home/someoneelse/x");

    if (saved_home)
        setenv("HOME", saved_home, 1);
    free(saved_home);
}

static void test_mkdir_p_modes_whatever_the_umask(void **state)
{
    store_fixture *fx = *state;
    const mode_t masks[] = {0, 077, 0777};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/m%zu/a/b", fx->root, i);
        umask(masks[i]);
        ea_err err = {0};
        assert_int_equal(ea_mkdir_p(path, 0700, &err), 0);
        assert_int_equal(mode_of(path), 0700);
        path[strlen(path) - 2] = '\0';
        assert_int_equal(mode_of(path), 0700);
        assert_int_equal(ea_mkdir_p(path, 0700, &err), 0); /* existing: fine */
    }
    umask(022);
}

static void test_write_file_atomic(void **state)
{
    store_fixture *fx = *state;
    umask(077);
    ea_err err = {0};
    assert_int_equal(ea_write_file_atomic(fx->root, "f.txt", "one", 3, 0640, &err), 0);
    assert_int_equal(ea_write_file_atomic(fx->root, "f.txt", "two!", 4, 0640, &err), 0);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/f.txt", fx->root);
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(text);
    assert_int_equal(len, 4);
    assert_string_equal(text, "two!");
    free(text);
    assert_int_equal(mode_of(path), 0640);
    assert_int_equal(count_entries(fx->root, ".f.txt.tmp-"), 0);
    /* A failed write leaves no temp file and reports the path. */
    assert_int_equal(ea_write_file_atomic("/nonexistent-dir", "x", "y", 1, 0600, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir"));
    umask(022);
}

/* A FIFO in place of the config file is refused at once and named, never waited on; a link
 * to a regular file is followed (easel only reads it, and dotfile managers make links). */
static void test_fifo_config_refused_link_followed(void **state)
{
    store_fixture *fx = *state;
    char path[PATH_MAX + 16], target[PATH_MAX + 16];
    write_config(fx, "model = gpt-image-2\n", 0600, path);
    snprintf(target, sizeof target, "%s/real-config", fx->config);
    assert_int_equal(rename(path, target), 0);
    assert_int_equal(symlink(target, path), 0);
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    assert_int_equal(ea_config_load(&c, &err), 0);
    assert_string_equal(ea_config_get(&c, EA_CFG_MODEL), "gpt-image-2");
    ea_config_free(&c);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    ea_config_init(&c);
    assert_int_equal(ea_config_load(&c, &err), -1); /* a blocking open would hang here */
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "config is a FIFO"));
    ea_config_free(&c);

    /* ea_open_file with O_NOFOLLOW, as for a session's files: the link is refused. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(ea_open_file(path, O_RDONLY | O_NOFOLLOW, 0, &err), -1);
    assert_non_null(strstr(err.msg, "config is a symbolic link"));
    int fd = ea_open_file(target, O_RDONLY | O_NOFOLLOW, 0, &err);
    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* given back blocking */
    close(fd);
}

/* A base URL's "user:password@" is found (to refuse it) and hidden (to show the URL). */
static void test_url_userinfo(void **state)
{
    (void)state;
    size_t at, len;
    char out[256];
    assert_true(ea_url_userinfo("https://u:p@proxy.lan:8443/v1", &at, &len));
    assert_int_equal(at, 8);
    assert_int_equal(len, 4);
    assert_true(ea_url_userinfo("http://a@b:c@host/v1", &at, &len)); /* the last @ ends it */
    assert_int_equal(len, 6);
    assert_false(ea_url_userinfo("https://api.openai.com/v1", &at, &len));
    assert_false(ea_url_userinfo("https://host/v1/@x?y=a@b#c@d", &at, &len));
    assert_false(ea_url_userinfo("not a url", &at, &len));
    ea_url_for_display("https://u:secret@proxy/v1?q=1", out, sizeof out);
    assert_string_equal(out, "https://***@proxy/v1?q=1");
    ea_url_for_display("https://host/v1", out, sizeof out);
    assert_string_equal(out, "https://host/v1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_userinfo),
        cmocka_unit_test_setup_teardown(test_parse_lines_comments_and_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_is_a_warning_with_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_are_warnings_with_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_key_is_a_warning_with_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_without_equals_is_an_error_that_does_not_echo,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_key_later_wins_with_warning, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parse_refuses_secret_when_told, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_0600_gives_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_0644_refuses_key_like_ssh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_of_another_user_refuses_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence_file_env_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_key_described_without_characters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_names_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xdg_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_modes_whatever_the_umask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_file_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_config_refused_link_followed, setup, teardown),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
