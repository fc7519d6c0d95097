/* SPDX-License-Identifier: MIT */
/* Unit tests for src/core/keymap.c: the workbench's one action table. No key is bound twice
 * where both bindings could fire, every action has a name, keys that parse and help text,
 * the keys of design.md section 4 are there, and lookups follow the scopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "easel/keymap.h"

#define MAXB 8

static void test_every_action_is_complete(void **state)
{
    (void)state;
    size_t n;
    const ea_action_desc *t = ea_action_table(&n);
    assert_int_equal(n, EA_ACT_COUNT - 1); /* every id but NONE, once */
    for (size_t i = 0; i < n; i++) {
        ea_binding b[MAXB];
        if (!t[i].name || !*t[i].name || !t[i].help || strlen(t[i].help) < 8)
            fail_msg("action %zu has no name or help", i);
        if (ea_action_bindings(&t[i], b, MAXB) < 1)
            fail_msg("action %s: keys '%s' do not parse", t[i].name, t[i].keys);
        assert_ptr_equal(ea_action_get(t[i].id), &t[i]);
        for (size_t j = 0; j < i; j++)
            if (t[j].id == t[i].id || strcmp(t[j].name, t[i].name) == 0)
                fail_msg("action %s appears twice", t[i].name);
    }
}

static bool prefix_of(const ea_binding *a, const ea_binding *b)
{
    return a->len <= b->len && memcmp(a->seq, b->seq, (size_t)a->len * sizeof a->seq[0]) == 0;
}

/* Two bindings clash when some focus lets both fire and one is a prefix of the other (the
 * same key twice is the shortest case). A panel's own binding shadowing a wider one is not
 * a clash when the wider one is GLOBAL or LIST: that is the lookup's rule, by design (Enter
 * sends in the editor, switches in the session list). */
static void test_no_key_bound_twice(void **state)
{
    (void)state;
    size_t n;
    const ea_action_desc *t = ea_action_table(&n);
    for (int focus = 0; focus < EA_SCOPE_COUNT; focus++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                if (!ea_scope_applies(t[i].scope, focus) || !ea_scope_applies(t[j].scope, focus))
                    continue;
                if (t[i].scope != t[j].scope && ((int)t[i].scope == focus || (int)t[j].scope == focus))
                    continue; /* shadowing by the focused panel */
                ea_binding a[MAXB], b[MAXB];
                int na = ea_action_bindings(&t[i], a, MAXB), nb = ea_action_bindings(&t[j], b, MAXB);
                for (int x = 0; x < na; x++)
                    for (int y = 0; y < nb; y++)
                        if (prefix_of(&a[x], &b[y]) || prefix_of(&b[y], &a[x]))
                            fail_msg("%s and %s share a key in scope %s", t[i].name, t[j].name,
                                     ea_scope_title((enum ea_scope)focus));
            }
}

static int lookup1(ea_key k, enum ea_scope s)
{
    return ea_keymap_lookup(&k, 1, s);
}

static void test_design_keys(void **state)
{
    (void)state;
    /* design.md section 4 */
    assert_int_equal(lookup1(EA_KEY_ENTER, EA_SCOPE_EDITOR), EA_ACT_SEND);
    assert_int_equal(lookup1(EA_KEY_ENTER | EA_KEY_ALT, EA_SCOPE_EDITOR), EA_ACT_NEWLINE);
    assert_int_equal(lookup1(EA_KEY_ESC, EA_SCOPE_EDITOR), EA_ACT_CANCEL);
    assert_int_equal(lookup1(EA_KEY_TAB, EA_SCOPE_PARAMS), EA_ACT_FOCUS_NEXT);
    assert_int_equal(lookup1(EA_KEY_BTAB, EA_SCOPE_EDITOR), EA_ACT_FOCUS_PREV);
    assert_int_equal(lookup1('?', EA_SCOPE_HISTORY), EA_ACT_HELP);
    assert_int_equal(lookup1(EA_KEY_F1, EA_SCOPE_EDITOR), EA_ACT_HELP);
    assert_int_equal(lookup1(EA_CTRL('q'), EA_SCOPE_SESSIONS), EA_ACT_QUIT);
    assert_int_equal(lookup1(EA_CTRL('a'), EA_SCOPE_EDITOR), EA_ACT_BOL);
    assert_int_equal(lookup1(EA_CTRL('e'), EA_SCOPE_EDITOR), EA_ACT_EOL);
    assert_int_equal(lookup1(EA_CTRL('k'), EA_SCOPE_EDITOR), EA_ACT_KILL_EOL);
    assert_int_equal(lookup1(EA_CTRL('u'), EA_SCOPE_EDITOR), EA_ACT_KILL_BOL);
    assert_int_equal(lookup1(EA_CTRL('w'), EA_SCOPE_EDITOR), EA_ACT_KILL_WORD);
    assert_int_equal(lookup1('b' | EA_KEY_ALT, EA_SCOPE_EDITOR), EA_ACT_WORD_LEFT);
    assert_int_equal(lookup1('f' | EA_KEY_ALT, EA_SCOPE_EDITOR), EA_ACT_WORD_RIGHT);
    assert_int_equal(lookup1(EA_KEY_UP, EA_SCOPE_EDITOR), EA_ACT_UP);
    assert_int_equal(lookup1(EA_CTRL('r'), EA_SCOPE_EDITOR), EA_ACT_SEARCH_PROMPTS);
    /* Undo: C-_ (0x1f, also what C-/ sends), named and parsed as such, and C-x u. */
    assert_int_equal(lookup1(EA_CTRL('_'), EA_SCOPE_EDITOR), EA_ACT_UNDO);
    char cname[16];
    assert_string_equal(ea_key_name(EA_CTRL('_'), cname, sizeof cname), "C-_");
    ea_key parsed;
    assert_int_equal(ea_key_parse("C-_", 3, &parsed), 0);
    assert_int_equal(parsed, EA_CTRL('_'));
    ea_key cx_u[2] = {EA_CTRL('x'), 'u'};
    assert_int_equal(ea_keymap_lookup(cx_u, 2, EA_SCOPE_EDITOR), EA_ACT_UNDO);
    /* History (issue 5 item 6): copy with OSC 52, branch; letters there are keys, not text. */
    assert_int_equal(lookup1('y', EA_SCOPE_HISTORY), EA_ACT_HISTORY_COPY);
    assert_int_equal(lookup1('b', EA_SCOPE_HISTORY), EA_ACT_HISTORY_BRANCH);
    assert_int_equal(lookup1(EA_KEY_ENTER, EA_SCOPE_HISTORY), EA_ACT_HISTORY_OPEN);
    ea_key cx_ce[2] = {EA_CTRL('x'), EA_CTRL('e')};
    assert_int_equal(ea_keymap_lookup(cx_ce, 1, EA_SCOPE_EDITOR), EA_ACT_PREFIX);
    assert_int_equal(ea_keymap_lookup(cx_ce, 2, EA_SCOPE_EDITOR), EA_ACT_EXTERNAL_EDITOR);
    /* Scopes: Enter switches in the session list; the help overlay is modal. */
    assert_int_equal(lookup1(EA_KEY_ENTER, EA_SCOPE_SESSIONS), EA_ACT_SESSION_OPEN);
    assert_int_equal(lookup1(EA_KEY_DOWN, EA_SCOPE_HISTORY), EA_ACT_LIST_DOWN);
    assert_int_equal(lookup1(EA_KEY_ESC, EA_SCOPE_HELP), EA_ACT_HELP_CLOSE);
    assert_int_equal(lookup1(EA_CTRL('q'), EA_SCOPE_HELP), EA_ACT_NONE);
    assert_int_equal(lookup1('j', EA_SCOPE_EDITOR), EA_ACT_NONE);
}

static void test_key_names_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"C-a", "M-Enter", "S-Tab", "F1", "F12", "Space", "PgDn", "é", "界", "M-b", "?",
                           "PasteStart", "PasteEnd"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ea_key k;
        char back[32];
        assert_int_equal(ea_key_parse(names[i], strlen(names[i]), &k), 0);
        assert_string_equal(ea_key_name(k, back, sizeof back), names[i]);
    }
    ea_key k;
    assert_int_equal(ea_key_parse("F13", 3, &k), -1);
    assert_int_equal(ea_key_parse("Hyper-x", 7, &k), -1);
    assert_false(ea_key_is_text(EA_CTRL('a')));
    assert_false(ea_key_is_text('a' | EA_KEY_ALT));
    assert_true(ea_key_is_text(0x0915)); /* क */
    /* What a key types: Space is a space, a special key or a chord types nothing. */
    char u[5];
    assert_int_equal(ea_key_utf8(' ', u), 1);
    assert_string_equal(u, " ");
    assert_int_equal(ea_key_utf8(0x0915, u), 3);
    assert_string_equal(u, "क");
    assert_int_equal(ea_key_utf8(0x1F98A, u), 4); /* 🦊 */
    assert_int_equal(ea_key_utf8(EA_KEY_ENTER, u), 0);
    assert_string_equal(u, "");
    assert_int_equal(ea_key_utf8(EA_KEY_PASTE_START, u), 0);
    assert_int_equal(ea_key_utf8('a' | EA_KEY_ALT, u), 0);
}

static void test_man_page_lists_every_action(void **state)
{
    (void)state;
    char text[32768];
    FILE *f = fmemopen(text, sizeof text, "w");
    assert_non_null(f);
    ea_keymap_print_man(f);
    fclose(f);
    size_t n;
    const ea_action_desc *t = ea_action_table(&n);
    assert_non_null(strstr(text, ".SH KEYS"));
    assert_non_null(strstr(text, ".B C\\-x C\\-e"));
    for (size_t i = 0; i < n; i++) {
        char needle[200];
        snprintf(needle, sizeof needle, "%.40s", t[i].help);
        if (!strchr(needle, '-') && !strstr(text, needle))
            fail_msg("the man page lacks %s", t[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_action_is_complete),
        cmocka_unit_test(test_no_key_bound_twice),
        cmocka_unit_test(test_design_keys),
        cmocka_unit_test(test_key_names_round_trip),
        cmocka_unit_test(test_man_page_lists_every_action),
    };
    return cmocka_run_group_tests_name("ui_keymap", tests, NULL, NULL);
}
