/* SPDX-License-Identifier: MIT */
/* thumb: a small copy of a session's image (a PNG of 256 or 384 pixels a side, in the
 * session's thumbs/ folder), made the first time a grid or contact sheet decodes the image and
 * used instead of it from then on, only while the image's file is exactly the one it was made from. */
#ifndef EASEL_THUMB_H
#define EASEL_THUMB_H

#include <stddef.h>

#include "easel/err.h"
#include "easel/image.h"

/*
 * Why in the session folder and not in freedesktop's ~/.cache/thumbnails/large/ (MD5 of the
 * file's URI, Thumb::URI and Thumb::MTime in tEXt chunks):
 * - Freshness. The spec's key is the modification time in whole seconds (which `touch -d`,
 *   `cp -p` or rsync also put back), so a file replaced within a second, or with its time
 *   restored, shows the old thumbnail. Ours is the file's inode number, size, modification
 *   and change times to the nanosecond: the change time (ctime) is set by the kernel on every
 *   write, rename or chmod and cannot be set back; a replaced file is a new inode.
 * - A racy thumbnail is never written: the temp file is created before the image is read, and
 *   the thumbnail is kept only when the image's ctime lies in an earlier second than the temp
 *   file's own time. Any later change of the image then moves its ctime past the one recorded
 *   (even on a filesystem that counts whole seconds), so the record can only match the bytes
 *   the thumbnail was made from. An image written in the last second gets one on a later view.
 * - Trust. A shared cache is written by every file manager and any program of the user; ours
 *   is inside a 0700 session folder that only easel writes, and even so a thumbnail is read as
 *   hostile: at most 1 MiB, decoded with limits of EA_THUMB_MAX_SIDE a side, its size checked
 *   against the image's it names, and any doubt falls back to the image itself.
 * - Life. It goes wherever the session goes (moved, trashed, backed up) and is gone with it;
 *   nothing outside the session learns the names of a user's pictures.
 * Files: SESSION/thumbs/NAME.png for SESSION/images/NAME, mode 0600 in a 0700 folder, written
 * to a temp file and renamed, never fsynced (a torn one fails its CRC and is made again). Links
 * are refused: thumbs/ itself, a thumbnail and the image are opened with O_NOFOLLOW and must
 * be a folder and regular files. A missing folder, a full disk or a read-only session just
 * means no thumbnail. The key lives in a tEXt chunk "Easel::Thumb":
 * "1 W H INO SIZE MTIME CTIME NAME", W x H the image's size, times as SECONDS.NANOSECONDS.
 */

/* A thumbnail's side: 256 (freedesktop's "large"), or 384 for a cell that needs more, which
 * replaces the smaller one (and serves the smaller cells too). A cell picture larger than
 * EA_THUMB_MAX_SIDE is drawn from the image: a stored 384x384 is already 442 kB. */
#define EA_THUMB_SIDE 256
#define EA_THUMB_MAX_SIDE 384
/* The side of the thumbnail that serves a cell picture of w x h pixels; -1 when none can. */
int ea_thumb_side(int w, int h);

enum ea_thumb_use {
    EA_THUMB_NONE, /* decoded from the image; no thumbnail used or written */
    EA_THUMB_USED, /* drawn from a fresh thumbnail */
    EA_THUMB_MADE, /* decoded from the image, and its thumbnail written on the way */
};

/* The thumbnail's path for SESSION/images/NAME: SESSION/thumbs/NAME.png. -1 when the image
 * is not in a folder named images, or out is too small. */
int ea_thumb_path(const char *image_path, char *out, size_t size);

/* The image at path fitted into box_w x box_h, as ea_image_load_file_fit does (never enlarged),
 * from its thumbnail at thumb (NULL: none) when that is fresh and at least the size drawn;
 * else from the image, writing the thumbnail on the way when it is useful and possible. The
 * image is opened with O_NOFOLLOW: a link is refused. use (may be NULL) says which happened. */
int ea_thumb_load_fit(const char *path, const char *thumb, int box_w, int box_h, ea_image *out,
                      enum ea_thumb_use *use, ea_err *err);

#endif
