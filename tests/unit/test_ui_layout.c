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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_80x24),
        cmocka_unit_test(test_200x60),
        cmocka_unit_test(test_every_size),
    };
    return cmocka_run_group_tests_name("ui_layout", tests, NULL, NULL);
}
