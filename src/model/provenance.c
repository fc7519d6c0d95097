/* SPDX-License-Identifier: MIT */
#include "easel/provenance.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static bool contains(const unsigned char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return true;
    return false;
}

static void found(ea_c2pa_info *out, const char *what, size_t offset, size_t bytes)
{
    out->state = EA_C2PA_PRESENT;
    out->offset = offset;
    out->bytes = bytes;
    snprintf(out->where, sizeof out->where, "%s at byte %zu (%zu bytes)", what, offset, bytes);
}

/* Chunks: length (4, big-endian), type (4), data, CRC (4), until IEND. */
static void detect_png(const unsigned char *d, size_t len, ea_c2pa_info *out)
{
    size_t pos = 8;
    while (pos + 12 <= len) {
        uint32_t n = be32(d + pos);
        if (n > len - pos - 12)
            return; /* cut short: UNKNOWN */
        if (memcmp(d + pos + 4, "caBX", 4) == 0) {
            found(out, "PNG caBX chunk", pos, (size_t)n + 12);
            return;
        }
        if (memcmp(d + pos + 4, "IEND", 4) == 0)
            break;
        pos += (size_t)n + 12;
    }
    if (pos + 12 <= len)
        out->state = EA_C2PA_ABSENT;
}

/* Segments: FF, marker, length (2, big-endian, counting itself), until the scan starts (SOS):
 * C2PA's APP11 segments come before the image data. A manifest larger than a segment spans
 * several, each with the same box instance number; their sizes are added. */
static void detect_jpeg(const unsigned char *d, size_t len, ea_c2pa_info *out)
{
    size_t pos = 2, first = 0, total = 0;
    while (pos + 4 <= len) {
        if (d[pos] != 0xFF)
            return;
        unsigned char marker = d[pos + 1];
        if (marker == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { /* no length */
            pos += 2;
            continue;
        }
        size_t n = (size_t)d[pos + 2] << 8 | d[pos + 3];
        if (n < 2 || n > len - pos - 2)
            return;
        const unsigned char *body = d + pos + 4;
        size_t body_len = n - 2;
        /* APP11: "JP", instance (2), sequence (4), then the box: LBox (4), TBox "jumb". */
        if (marker == 0xEB && body_len >= 16 && memcmp(body, "JP", 2) == 0 &&
            (memcmp(body + 12, "jumb", 4) == 0 || total > 0) &&
            (total > 0 || contains(body, body_len, "c2pa"))) {
            if (total == 0)
                first = pos;
            total += n + 2;
        }
        if (marker == 0xDA || marker == 0xD9)
            break;
        pos += n + 2;
    }
    if (total)
        found(out, "JPEG APP11 JUMBF segments", first, total);
    else if (pos + 4 <= len)
        out->state = EA_C2PA_ABSENT;
}

/* RIFF: "RIFF", size (4, little-endian), "WEBP", then chunks: FourCC, size, data padded to an
 * even length. */
static void detect_webp(const unsigned char *d, size_t len, ea_c2pa_info *out)
{
    size_t end = (size_t)le32(d + 4) + 8;
    if (end > len)
        end = len; /* read what is there; a short file may still show its manifest */
    size_t pos = 12;
    while (pos + 8 <= end) {
        size_t n = le32(d + pos + 4);
        if (n > end - pos - 8)
            return;
        if (memcmp(d + pos, "C2PA", 4) == 0) {
            found(out, "WebP C2PA chunk", pos, n + 8);
            return;
        }
        pos += 8 + n + (n & 1);
    }
    if (pos >= end && end == (size_t)le32(d + 4) + 8)
        out->state = EA_C2PA_ABSENT;
}

void ea_c2pa_detect(const unsigned char *data, size_t len, ea_c2pa_info *out)
{
    memset(out, 0, sizeof *out);
    out->state = EA_C2PA_UNKNOWN;
    out->format = "";
    if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
        out->format = "png";
        detect_png(data, len, out);
    } else if (len >= 4 && data[0] == 0xFF && data[1] == 0xD8) {
        out->format = "jpeg";
        detect_jpeg(data, len, out);
    } else if (len >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) {
        out->format = "webp";
        detect_webp(data, len, out);
    }
    if (out->state == EA_C2PA_ABSENT)
        snprintf(out->where, sizeof out->where, "no C2PA manifest");
    else if (out->state == EA_C2PA_UNKNOWN)
        snprintf(out->where, sizeof out->where, "%s",
                 *out->format ? "cannot tell: the file is cut short or malformed"
                              : "cannot tell: not a PNG, JPEG or WebP file");
}
