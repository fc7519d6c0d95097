/* SPDX-License-Identifier: MIT */
/* term_reply: a byte-at-a-time scanner for what terminals answer to easel's queries. It knows
 * nothing of ttys, so recorded replies (split anywhere, mixed with key presses) test it. */
#include "easel/term.h"

#include <stdlib.h>
#include <string.h>

/* Scanner states. A string is a DCS (ESC P), APC (ESC _) or OSC (ESC ]) body; seq[0] holds
 * which, so that one state serves all three. */
enum {
    SCAN_GROUND = 0,
    SCAN_ESC,        /* saw ESC */
    SCAN_CSI,        /* ESC [ parameters... */
    SCAN_STRING,     /* ESC P / ESC _ / ESC ] body... */
    SCAN_STRING_ESC, /* an ESC inside a string: ST if '\' follows */
};

#define MAX_PARAMS 16

void ea_term_replies_init(ea_term_replies *r)
{
    memset(r, 0, sizeof *r);
}

static void seq_start(ea_term_replies *r, int state, size_t introducer_len)
{
    r->scan.state = state;
    r->scan.len = 0;
    r->scan.total = introducer_len;
    r->scan.seq[0] = '\0';
}

static void seq_push(ea_term_replies *r, char c)
{
    r->scan.total++;
    /* Keep one byte for the NUL; a longer sequence is recognised as too long and skipped. */
    if (r->scan.len + 1 < sizeof r->scan.seq) {
        r->scan.seq[r->scan.len++] = c;
        r->scan.seq[r->scan.len] = '\0';
    }
}

static bool seq_truncated(const ea_term_replies *r)
{
    return r->scan.len + 1 >= sizeof r->scan.seq;
}

/* The current sequence was not a reply we know (or was cut off): its bytes are noise. */
static void seq_ignore(ea_term_replies *r)
{
    r->ignored += r->scan.total;
    r->scan.state = SCAN_GROUND;
}

/* "62;4;22" -> {62,4,22}. Empty parameters count as 0. Returns the count, or -1 when anything
 * but digits and ';' appears (such a reply is not one of ours). */
static int parse_params(const char *s, int *out, int max)
{
    int n = 0;
    long v = 0;
    bool any = false;
    for (;; s++) {
        if (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s - '0');
            if (v > 1000000)
                return -1; /* no honest reply carries such a number */
            any = true;
        } else if (*s == ';' || *s == '\0') {
            if (n == max)
                return n;
            out[n++] = (int)v;
            v = 0;
            if (*s == '\0')
                return any || n > 1 ? n : 0;
        } else {
            return -1;
        }
    }
}

/* Printable ASCII only: these strings end up in doctor's output and in reasons. */
static void copy_printable(char *dst, size_t size, const char *src)
{
    size_t j = 0;
    for (; *src && j + 1 < size; src++)
        if (*src >= 0x20 && *src < 0x7f)
            dst[j++] = *src;
    dst[j] = '\0';
}

static bool dispatch_csi(ea_term_replies *r, char final)
{
    const char *s = r->scan.seq;
    int p[MAX_PARAMS];
    if (seq_truncated(r))
        return false;

    if (final == 'c' && s[0] == '?') { /* DA1: ?class;attr;attr... */
        int n = parse_params(s + 1, p, MAX_PARAMS);
        if (n < 1)
            return false;
        r->da1 = true;
        r->da1_sixel = false;
        /* The first parameter is the device class (tmux answers "1;2;4"), the rest are its
         * attributes; 4 is sixel graphics. */
        for (int i = 1; i < n; i++)
            if (p[i] == 4)
                r->da1_sixel = true;
        copy_printable(r->da1_text, sizeof r->da1_text, s + 1);
        return true;
    }
    if (final == 't' && s[0] >= '0' && s[0] <= '9') { /* XTWINOPS reports */
        if (parse_params(s, p, MAX_PARAMS) != 3)
            return false;
        switch (p[0]) {
        case 6: r->cell_h = p[1]; r->cell_w = p[2]; return true;
        case 4: r->text_h = p[1]; r->text_w = p[2]; return true;
        case 8: r->rows = p[1]; r->cols = p[2]; return true;
        default: return false;
        }
    }
    if (final == 'S' && s[0] == '?') { /* XTSMGRAPHICS: ?item;status;values */
        int n = parse_params(s + 1, p, MAX_PARAMS);
        if (n < 2)
            return false;
        if (p[1] != 0) /* a failure status: the terminal knows the item but has no value */
            return true;
        if (p[0] == 1 && n >= 3)
            r->sixel_colors = p[2];
        else if (p[0] == 2 && n >= 4) {
            r->sixel_max_w = p[2];
            r->sixel_max_h = p[3];
        }
        return true;
    }
    if (final == 'n' && strcmp(s, "0") == 0) { /* DSR: "terminal OK" */
        r->dsr_ok = true;
        return true;
    }
    return false; /* cursor keys (ESC [ A), function keys, other reports */
}

/* kitty: "Gi=31;OK" or "Gi=31;EINVAL:...". Only replies to our query id count. */
static bool dispatch_apc(ea_term_replies *r, const char *body)
{
    if (body[0] != 'G')
        return false;
    const char *semi = strchr(body, ';');
    if (!semi)
        return false;
    bool ours = false;
    for (const char *k = body + 1; k < semi;) {
        const char *end = memchr(k, ',', (size_t)(semi - k));
        if (!end)
            end = semi;
        if (end - k == 4 && strncmp(k, "i=31", 4) == 0)
            ours = true;
        k = end + 1;
    }
    if (!ours)
        return false;
    r->kitty_replied = true;
    copy_printable(r->kitty_message, sizeof r->kitty_message, semi + 1);
    r->kitty_ok = strcmp(r->kitty_message, "OK") == 0;
    return true;
}

static bool dispatch_string(ea_term_replies *r)
{
    if (seq_truncated(r))
        return false;
    const char *body = r->scan.seq + 1; /* seq[0] is the introducer: 'P', '_' or ']' */
    switch (r->scan.seq[0]) {
    case 'P':
        if (strncmp(body, ">|", 2) == 0) { /* XTVERSION */
            copy_printable(r->version, sizeof r->version, body + 2);
            return true;
        }
        return false;
    case '_':
        return dispatch_apc(r, body);
    default:
        return false; /* OSC replies: not asked for */
    }
}

static void finish(ea_term_replies *r, bool recognised)
{
    if (recognised)
        r->scan.state = SCAN_GROUND;
    else
        seq_ignore(r);
}

static void scan_byte(ea_term_replies *r, unsigned char c)
{
    switch (r->scan.state) {
    case SCAN_GROUND:
        if (c == 0x1b)
            seq_start(r, SCAN_ESC, 1);
        else
            r->ignored++;
        return;

    case SCAN_ESC:
        switch (c) {
        case '[':
            seq_start(r, SCAN_CSI, 2);
            return;
        case 'P': case '_': case ']':
            seq_start(r, SCAN_STRING, 1);
            seq_push(r, (char)c); /* the introducer, counted with the ESC */
            return;
        case 0x1b: /* ESC ESC: the first was a lone Escape key */
            r->ignored++;
            return;
        default: /* Alt+key */
            r->scan.total++;
            seq_ignore(r);
            return;
        }

    case SCAN_CSI:
        if (c >= 0x40 && c <= 0x7e) {
            r->scan.total++;
            finish(r, dispatch_csi(r, (char)c));
        } else if (c >= 0x20 && c <= 0x3f) {
            seq_push(r, (char)c);
        } else if (c == 0x1b) { /* cut off: a new sequence starts */
            seq_ignore(r);
            seq_start(r, SCAN_ESC, 1);
        } else {
            r->scan.total++;
            seq_ignore(r);
        }
        return;

    case SCAN_STRING:
        if (c == 0x1b) {
            r->scan.state = SCAN_STRING_ESC;
        } else if (c == 0x07) { /* BEL ends OSC, and some terminals end every string so */
            r->scan.total++;
            finish(r, dispatch_string(r));
        } else {
            seq_push(r, (char)c);
        }
        return;

    case SCAN_STRING_ESC:
        if (c == '\\') {
            r->scan.total += 2;
            finish(r, dispatch_string(r));
        } else {
            /* Not ST: the string was cut off and this ESC starts something new. */
            seq_ignore(r);
            seq_start(r, SCAN_ESC, 1);
            scan_byte(r, c);
        }
        return;
    }
}

void ea_term_parse_replies(const char *bytes, size_t n, ea_term_replies *r)
{
    for (size_t i = 0; i < n; i++)
        scan_byte(r, (unsigned char)bytes[i]);
}
