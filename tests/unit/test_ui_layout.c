/* SPDX-License-Identifier: MIT */
/* Unit tests for src/core/layout.c: the workbench's panels at 80x24 and 200x60 (and every
 * size between the minimum and 240x80): inside the screen, never overlapping, the editor
 * always there, and the toggles obeyed where there is room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "easel/layout.h"

static bool overlap(const ea_rect *a, const ea_rect *b)
{
    return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Every cell of the screen belongs to exactly one visible panel (nothing is left over from a
 * larger screen), and each panel fits inside. */
static void check_tiles(const ea_layout *l)
{
    long area = 0;
    for (int i = 0; i < EA_PANEL_COUNT; i++) {
        const ea_rect *r = &l->panel[i];
        if (!ea_rect_visible(r))
            continue;
        assert_true(r->x >= 0 && r->y >= 0 && r->x + r->w <= l->cols && r->y + r->h <= l->rows);
        area += (long)r->w * r->h;
        for (int j = 0; j < i; j++)
            if (ea_rect_visible(&l->panel[j]) && overlap(r, &l->panel[j]))
                fail_msg("panels %d and %d overlap at %dx%d", i, j, l->cols, l->rows);
    }
    if (!l->too_small)
        assert_int_equal(area, (long)l->cols * l->rows);
}

static void test_80x24(void **state)
{
    (void)state;
    ea_layout l;
    ea_layout_want want = {0};
    ea_layout_compute(80, 24, &want, &l);
    assert_false(l.too_small);
    check_tiles(&l);
    assert_true(ea_rect_visible(&l.panel[EA_PANEL_EDITOR]));
    assert_true(ea_rect_visible(&l.panel[EA_PANEL_PREVIEW]));
    assert_true(ea_rect_visible(&l.panel[EA_PANEL_PARAMS]));
    assert_true(ea_rect_visible(&l.panel[EA_PANEL_HISTORY]));
    assert_false(ea_rect_visible(&l.panel[EA_PANEL_SESSIONS])); /* folds away below 110 */
    assert_true(l.panel[EA_PANEL_EDITOR].h >= 5);
    /* Forced on, the session list takes room from the middle. */
    want.sessions = EA_SHOW_ON;
    want.params = EA_SHOW_OFF;
    ea_layout_compute(80, 24, &want, &l);
    check_tiles(&l);
    assert_true(ea_rect_visible(&l.panel[EA_PANEL_SESSIONS]));
    assert_false(ea_rect_visible(&l.panel[EA_PANEL_PARAMS]));
}

static void test_200x60(void **state)
{
    (void)state;
    ea_layout l;
    ea_layout_want want = {0};
    ea_layout_compute(200, 60, &want, &l);
    check_tiles(&l);
    for (int i = 0; i < EA_PANEL_COUNT; i++)
        assert_true(ea_rect_visible(&l.panel[i]));
    assert_true(l.panel[EA_PANEL_PREVIEW].h >= 20);
    assert_int_equal(l.panel[EA_PANEL_STATUS].y, 59);
    want.history = EA_SHOW_OFF;
    ea_layout_compute(200, 60, &want, &l);
    check_tiles(&l);
    assert_false(ea_rect_visible(&l.panel[EA_PANEL_HISTORY]));
}

static void test_every_size(void **state)
{
    (void)state;
    ea_layout_want wants[] = {{0}, {EA_SHOW_ON, EA_SHOW_ON, EA_SHOW_ON}, {EA_SHOW_OFF, EA_SHOW_OFF, EA_SHOW_OFF}};
    for (int c = 1; c <= 240; c += 7)
        for (int r = 1; r <= 80; r += 3)
            for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
                ea_layout l;
                ea_layout_compute(c, r, &wants[w], &l);
                check_tiles(&l);
                if (c >= EA_LAYOUT_MIN_COLS && r >= EA_LAYOUT_MIN_ROWS)
                    assert_true(ea_rect_visible(&l.panel[EA_PANEL_EDITOR]));
                else
                    assert_true(l.too_small);
            }
}

/* The mouse: every cell of a laid-out screen names the panel whose box holds it, and cells
 * off the screen name none. */
static void test_hit(void **state)
{
    (void)state;
    ea_layout l;
    ea_layout_want want = {0};
    ea_layout_compute(200, 60, &want, &l);
    for (int y = 0; y < 60; y++)
        for (int x = 0; x < 200; x++) {
            enum ea_panel_id id = ea_layout_hit(&l, y, x);
            assert_true(id < EA_PANEL_COUNT);
            const ea_rect *r = &l.panel[id];
            assert_true(y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w);
        }
    assert_int_equal(ea_layout_hit(&l, 0, 0), EA_PANEL_TITLE);
    assert_int_equal(ea_layout_hit(&l, 59, 199), EA_PANEL_STATUS);
    const ea_rect *ed = &l.panel[EA_PANEL_EDITOR];
    assert_int_equal(ea_layout_hit(&l, ed->y + ed->h - 1, ed->x + ed->w - 1), EA_PANEL_EDITOR);
    assert_int_equal(ea_layout_hit(&l, -1, 5), EA_PANEL_COUNT);
    assert_int_equal(ea_layout_hit(&l, 60, 5), EA_PANEL_COUNT);
    assert_int_equal(ea_layout_hit(&l, 5, 200), EA_PANEL_COUNT);
    /* A hidden panel is never hit: the sessions' column goes to the others at 80 columns. */
    ea_layout_compute(80, 24, &want, &l);
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < 80; x++)
            assert_int_not_equal(ea_layout_hit(&l, y, x), EA_PANEL_SESSIONS);
    /* Too small: only the title and status rows are anything. */
    ea_layout_compute(30, 10, &want, &l);
    assert_int_equal(ea_layout_hit(&l, 5, 5), EA_PANEL_COUNT);
    assert_int_equal(ea_layout_hit(&l, 9, 5), EA_PANEL_STATUS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_80x24),
        cmocka_unit_test(test_200x60),
        cmocka_unit_test(test_every_size),
        cmocka_unit_test(test_hit),
    };
    return cmocka_run_group_tests_name("ui_layout", tests, NULL, NULL);
}
