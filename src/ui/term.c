/* SPDX-License-Identifier: MIT */
/* term: the terminal under curses: starting and restoring it (on every exit, a crash included),
 * reading keys into ea_key, resizing, and the text dump of the screen the scripted tests read. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/history.h" /* before term.h, whose `lines` macro would rename its fields */
#include <term.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "internal.h"

static SCREEN *screen;
static mmask_t mouse_events; /* what the terminal reports while the workbench has it */
static FILE *script_out, *script_in;
static bool active;

/* The fatal path cannot call curses (it is not async-signal-safe), so it restores the
 * terminal with what was saved at start: the original termios and the escape sequences that
 * leave the alternate screen and show the cursor. */
static struct termios saved_tios;
static bool tios_saved;
static char restore_seq[128];
static size_t restore_len;

static void fatal_signal(int sig)
{
    if (active) {
        if (tios_saved)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tios);
        if (restore_len && write(STDOUT_FILENO, restore_seq, restore_len) < 0) {
            /* nothing more can be done from here */
        }
    }
    /* SA_RESETHAND put the default action back: die of the same signal, core dump and all. */
    raise(sig);
}

/* Bracketed paste (xterm's mode 2004): the terminal marks pasted text, so a pasted newline
 * goes into the prompt instead of sending it. Off again on every way out, the fatal one
 * included (restore_seq), and while the external editor has the terminal. */
#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"
/* The mouse reports curses may have turned on (X10/normal, button-event, SGR coordinates):
 * off again on the fatal path, which cannot ask curses, or the shell would get them. */
#define MOUSE_OFF "\033[?1000l\033[?1002l\033[?1006l"
/* Curses key codes for the paste marks, which no terminfo entry names (define_key). */
#define CURSES_PASTE_START (KEY_MAX + 1)
#define CURSES_PASTE_END (KEY_MAX + 2)
/* Focus reports (CSI I when the terminal, or tmux's pane, gets the focus back, CSI O when it
 * loses it): a picture that a switch of tmux windows or a re-attach wiped is drawn again
 * with no key pressed. Asked for with bracketed paste, and given back with it. */
#define FOCUS_ON "\033[?1004h"
#define FOCUS_OFF "\033[?1004l"
#define CURSES_FOCUS_IN (KEY_MAX + 3)
#define CURSES_FOCUS_OUT (KEY_MAX + 4)

static void paste_mode(bool on)
{
    if (script_out) /* no terminal */
        return;
    fputs(on ? PASTE_ON FOCUS_ON : PASTE_OFF FOCUS_OFF, stdout);
    fflush(stdout);
}

static void at_exit(void)
{
    ui_term_stop();
}

static void add_restore(const char *s)
{
    size_t n = strlen(s);
    if (restore_len + n < sizeof restore_seq) {
        memcpy(restore_seq + restore_len, s, n);
        restore_len += n;
    }
}

static void add_cap(const char *name)
{
    char *s = tigetstr(name);
    if (s && s != (char *)-1)
        add_restore(s);
}

int ui_term_out_fd(void)
{
    return script_out ? fileno(script_out) : STDOUT_FILENO;
}

int ea_ui_terminfo_addressing(const char *term)
{
    static char looked_up[64];
    static int answer;
    if (looked_up[0] && strcmp(looked_up, term) == 0)
        return answer;
    /* setupterm replaces cur_term: put back whatever curses had and drop the probe's. */
    TERMINAL *before = cur_term;
    int status = 0;
    if (setupterm(term, -1, &status) != OK) {
        answer = status == 0 ? -1 : 0;
    } else {
        char *cup = tigetstr("cup");
        bool addressable = cup && cup != (char *)-1 && tigetflag("hc") <= 0 &&
                           tigetflag("gn") <= 0;
        answer = addressable ? 1 : 0;
        TERMINAL *mine = set_curterm(before);
        del_curterm(mine);
    }
    snprintf(looked_up, sizeof looked_up, "%s", term);
    return answer;
}

int ui_term_start(bool script, bool mouse, int cols, int rows, char *why, size_t why_len)
{
    static bool registered;
    if (!registered) {
        atexit(at_exit);
        registered = true;
    }
    const char *term = getenv("TERM");
    if (script) {
        /* No terminal: curses draws into its own screen image, written to /dev/null; the
         * dump reads that image back. */
        script_out = fopen("/dev/null", "w");
        script_in = fopen("/dev/null", "r");
        if (!script_out || !script_in) {
            snprintf(why, why_len, "/dev/null: %s", strerror(errno));
            return -1;
        }
        screen = newterm(term && *term && strcmp(term, "dumb") != 0 ? term : "xterm-256color",
                         script_out, script_in);
    } else {
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
            snprintf(why, why_len, "the workbench needs a terminal (see easel generate for scripts)");
            return -1;
        }

        if (tcgetattr(STDIN_FILENO, &saved_tios) == 0)
            tios_saved = true;
        screen = newterm(NULL, stdout, stdin);
    }
    if (!screen) {
        snprintf(why, why_len, "cannot drive terminal type '%s'", term ? term : "(unset)");
        return -1;
    }
    set_term(screen);
    active = true;
    if (!script) {
        add_cap("sgr0");
        add_cap("cnorm");
        add_cap("rmcup");
        add_restore(PASTE_OFF);
        add_restore(FOCUS_OFF);
        if (mouse)
            add_restore(MOUSE_OFF);
    }
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    struct sigaction sa = {0};
    sa.sa_handler = fatal_signal;
    sa.sa_flags = (int)SA_RESETHAND;
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);

    raw();      /* Ctrl-Q, Ctrl-S, Ctrl-C and Ctrl-Z arrive as keys */
    noecho();
    nonl();     /* Enter arrives as '\r', Ctrl-J as '\n' */
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    define_key("\033[200~", CURSES_PASTE_START);
    define_key("\033[201~", CURSES_PASTE_END);
    define_key("\033[I", CURSES_FOCUS_IN);
    define_key("\033[O", CURSES_FOCUS_OUT);
    if (mouse && !script) {
        /* Every button event, though only the first button's and the wheel's are used
         * (read_mouse drops the rest): curses swallows an event outside the mask inside
         * get_wch and then waits there for the next input, nodelay or not, so a release
         * arriving on its own stopped the loop until the next key. A press and its release
         * read together come as one click (BUTTON1_CLICKED) whatever the interval; at
         * interval 0 a press read alone comes at once, never held back for its release. A
         * double click is told apart in ui_dispatch_mouse, the same way for the scripted
         * tests. No REPORT_MOUSE_POSITION: every move of the pointer would be reported. */
        mouseinterval(0);
        mouse_events = ALL_MOUSE_EVENTS;
        mousemask(mouse_events, NULL);
    }
    if (script)
        resize_term(rows, cols);
    curs_set(0);
    paste_mode(true);
    return 0;
}

void ui_term_stop(void)
{
    if (!active)
        return;
    active = false;
    paste_mode(false);
    endwin();
    if (screen) {
        delscreen(screen);
        screen = NULL;
    }
    if (script_out)
        fclose(script_out);
    if (script_in)
        fclose(script_in);
    script_out = script_in = NULL;
}

void ui_term_suspend(void)
{
    /* The external editor gets a terminal that reports no clicks it did not ask for. */
    if (mouse_events)
        mousemask(0, NULL);
    def_prog_mode();
    paste_mode(false);
    endwin();
}

void ui_term_resume(void)
{
    paste_mode(true);
    reset_prog_mode();
    if (mouse_events)
        mousemask(mouse_events, NULL);
    clearok(curscr, TRUE);
}

void ui_term_resize(ui_app *app, int cols, int rows)
{
    resize_term(rows, cols);
    app->relayout = true;
}

static ea_key translate(int rc, wint_t ch)
{
    if (rc == KEY_CODE_YES) {
        switch (ch) {
        case KEY_UP: return EA_KEY_UP;
        case KEY_DOWN: return EA_KEY_DOWN;
        case KEY_LEFT: return EA_KEY_LEFT;
        case KEY_RIGHT: return EA_KEY_RIGHT;
        case KEY_HOME: return EA_KEY_HOME;
        case KEY_END: return EA_KEY_END;
        case KEY_PPAGE: return EA_KEY_PGUP;
        case KEY_NPAGE: return EA_KEY_PGDN;
        case KEY_DC: return EA_KEY_DELETE;
        case KEY_BACKSPACE: return EA_KEY_BACKSPACE;
        case KEY_ENTER: return EA_KEY_ENTER;
        case KEY_BTAB: return EA_KEY_BTAB;
        case CURSES_PASTE_START: return EA_KEY_PASTE_START;
        case CURSES_PASTE_END: return EA_KEY_PASTE_END;
        case CURSES_FOCUS_IN: return EA_KEY_FOCUS_IN;
        default:
            if (ch >= (wint_t)KEY_F(1) && ch <= (wint_t)KEY_F(12))
                return (ea_key)(EA_KEY_F1 + (ch - KEY_F(1)));
            return EA_KEY_NONE;
        }
    }
    switch (ch) {
    case '\r':
    case '\n': return EA_KEY_ENTER;
    case '\t': return EA_KEY_TAB;
    case 0x7f:
    case 0x08: return EA_KEY_BACKSPACE;
    case 0x1b: return EA_KEY_ESC;
    default:
        /* A C1 control is never typed: it is Alt with a control key where Alt sets the
         * eighth bit (xterm's default, eightBitInput), Alt-Enter as 0x8d. */
        if (ch >= 0x80 && ch < 0xa0)
            return translate(OK, ch - 0x80) | EA_KEY_ALT;
        return (ea_key)ch;
    }
}

/* A mouse report: false for what the workbench does not use (releases, other buttons). */
static bool read_mouse(ui_mouse *out)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return false;
    *out = (ui_mouse){.y = ev.y, .x = ev.x, .clicks = 1};
    if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON1_TRIPLE_CLICKED))
        out->kind = UI_MOUSE_CLICK;
    else if (ev.bstate & BUTTON4_PRESSED)
        out->kind = UI_MOUSE_WHEEL_UP;
    else if (ev.bstate & BUTTON5_PRESSED)
        out->kind = UI_MOUSE_WHEEL_DOWN;
    else
        return false;
    return true;
}

bool ui_term_read(ui_input *in)
{
    wint_t ch;
    int rc;
    for (;;) {
        rc = get_wch(&ch);
        if (rc == ERR)
            return false;
        if (rc != KEY_CODE_YES || ch != KEY_MOUSE)
            break;
        if (read_mouse(&in->mouse)) {
            in->is_mouse = true;
            return true;
        }
    }
    in->is_mouse = false;
    ea_key *out = &in->key;
    ea_key k = translate(rc, ch);
    if (k == EA_KEY_ESC) {
        /* Alt sends ESC before the key. curses has waited ESCDELAY for a known sequence
         * already; whatever else follows at once is an Alt chord, nothing means Esc. */
        timeout(20);
        rc = get_wch(&ch);
        nodelay(stdscr, TRUE);
        if (rc != ERR) {
            ea_key next = translate(rc, ch);
            if (next != EA_KEY_NONE && next != EA_KEY_ESC)
                k = next | EA_KEY_ALT;
        }
    }
    *out = k;
    return k != EA_KEY_NONE;
}

static void put_utf8(FILE *f, const wchar_t *s)
{
    char mb[MB_LEN_MAX];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    for (; *s; s++) {
        size_t n = wcrtomb(mb, *s, &st);
        if (n != (size_t)-1)
            fwrite(mb, 1, n, f);
    }
}

int ui_term_dump(const char *path)
{
    FILE *f = path && *path && strcmp(path, "-") != 0 ? fopen(path, "w") : stdout;
    if (!f)
        return -1;
    int rows = getmaxy(curscr), cols = getmaxx(curscr);
    for (int y = 0; y < rows; y++) {
        /* Each cell's text; the columns a wide character covers after its first are skipped. */
        char line[8192];
        size_t len = 0, keep = 0;
        FILE *mem = fmemopen(line, sizeof line - 1, "w");
        if (!mem)
            break;
        for (int x = 0; x < cols;) {
            cchar_t cc;
            wchar_t wch[CCHARW_MAX + 1] = {0};
            attr_t attrs;
            short pair;
            int w = 1;
            if (mvwin_wch(curscr, y, x, &cc) == OK && getcchar(&cc, wch, &attrs, &pair, NULL) != ERR &&
                wch[0]) {
                int cw = wcwidth(wch[0]);
                w = cw > 1 ? cw : 1;
                put_utf8(mem, wch);
            } else {
                fputc(' ', mem);
            }
            fflush(mem);
            len = (size_t)ftell(mem);
            if (!(wch[0] == L' ' || wch[0] == 0))
                keep = len;
            x += w;
        }
        fclose(mem);
        fwrite(line, 1, keep, f);
        fputc('\n', f);
    }
    if (f != stdout)
        fclose(f);
    else
        fflush(f);
    return 0;
}
