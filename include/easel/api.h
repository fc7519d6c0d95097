/* SPDX-License-Identifier: MIT */
/* api: the Images and Responses requests built from resolved ea_params: the body as sent
 * (JSON or multipart parts), the same request as recorded (files as {path, sha256}), and the
 * files it sends (inputs) with the hash of the very bytes sent. */
#ifndef EASEL_API_H
#define EASEL_API_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/buf.h"
#include "easel/err.h"
#include "easel/hash.h"
#include "easel/params.h"

typedef struct ea_request_part {
    char *name;          /* "prompt", "image[]", "mask" ... */
    char *value;         /* a text part's value, or NULL for a file part */
    char *path;          /* a file part's path */
    char *filename;      /* a file part's file name as sent */
    const char *content_type; /* image/png, image/jpeg, image/webp; static */
    /* A file part's content: easel's own parts borrow it from the request's inputs, so
     * what is sent is what was hashed; NULL to have curl read path. */
    const unsigned char *bytes;
    size_t n_bytes;
} ea_request_part;

/* One file a request sends, as sent: the bytes after any conversion (a black-and-white mask
 * becomes the alpha PNG the API wants), their sha256, and where they came from. */
typedef struct ea_request_input {
    const char *role;        /* "image" (the one edited), "mask", "reference" or "document";
                                static */
    char *source;            /* the path the user gave, made absolute */
    unsigned char *bytes;    /* owned */
    size_t n_bytes;
    const char *format;      /* "png", "jpeg" or "webp"; a document's type ("pdf", "docx",
                                "txt" ...); static */
    char sha256[EA_SHA256_HEX_SIZE];
    int width, height;       /* 0 when the header cannot be read */
} ea_request_input;

/* the images, a mask and the documents */
#define EA_REQUEST_MAX_INPUTS (EA_MAX_IMAGES + 1 + EA_MAX_DOCUMENTS)

typedef struct ea_request {
    const char *endpoint;  /* "/images/generations", "/images/edits" or "/responses"; static */
    const char *api;       /* "images" or "responses"; static */
    bool multipart;
    char *json;            /* the JSON body as sent, when !multipart */
    ea_request_part *parts; /* the multipart parts, when multipart */
    int n_parts;
    char *record_json;     /* the request as recorded in the audit log and shown by --dry-run */
    /* images in order, then the mask, then the documents in order */
    ea_request_input inputs[EA_REQUEST_MAX_INPUTS];
    int n_inputs;
} ea_request;

/* A document the API takes as an input_file (protocol.md 15): at most this many bytes each,
 * and all of a request's together. */
#define EA_DOCUMENT_MAX_BYTES (50u * 1024 * 1024)
/* The type of a document's bytes, as its short name ("pdf", "docx", "txt" ...) with its
 * MIME type in *mime: PDF by its signature, the Office formats (a zip) and the text formats
 * (UTF-8 without NUL) by their name's extension. NULL when the API does not take it as an
 * input_file (images go with --image). */
const char *ea_document_type(const char *name, const unsigned char *bytes, size_t n,
                             const char **mime);

/* p must have passed ea_params_resolve. Reads the input files (images, mask, documents) now,
 * so that the bytes sent are the bytes hashed; the images' formats and sizes, and the mask's
 * conversion, come through pictures.h (net/ decodes nothing); a document over the size limit
 * or of a type the API refuses fails here (EA_EXIT_USAGE), before anything is sent.
 * previous_response_id may be NULL. */
int ea_request_build(const ea_params *p, const char *previous_response_id, ea_request *out,
                     ea_err *err);
void ea_request_free(ea_request *r);

/* The "inputs" of the request record (audit.h): a JSON array, one {role, sha256, bytes,
 * path, source, format} per input, path naming the session's copy ("inputs/SHA256.EXT",
 * ea_request_input_name). Caller frees; NULL when out of memory. */
char *ea_request_inputs_json(const ea_request *r);
/* "SHA256.EXT", the name of an input's copy in the session's inputs/ folder. */
void ea_request_input_name(const ea_request_input *in, char *out, size_t size);
/* Input image tokens the API counts for the request's images (ea_prices_input_image_tokens
 * of each; the mask is not counted), and in *images (may be NULL) how many images. */
long ea_request_input_image_tokens(const ea_request *r, int *images);

/* One input file of a batch line, in the JSON edit form (protocol.md 2b): by file_id after
 * an upload, else as data_url ("data:image/png;base64,..."). */
typedef struct ea_request_ref {
    const char *file_id;
    const char *data_url;
} ea_request_ref;

/* One line of a Batch API input file, newline included, appended to out:
 * {"custom_id","method":"POST","url":ENDPOINT,"body":{...}}, the body the Images API's JSON
 * form: the same fields as an interactive call (no stream, no partials), images [{file_id}|
 * {image_url}] (p->n_images of them) and mask (NULL: none) for an edit. */
int ea_request_batch_line(const ea_params *p, const char *custom_id, const char *endpoint,
                          const ea_request_ref *images, const ea_request_ref *mask, ea_buf *out,
                          ea_err *err);
/* That body as the request record keeps it: files as {"path","sha256"} (sha256 of the bytes
 * sent; may be NULL). A malloc'd string; NULL when out of memory. */
char *ea_request_batch_record_json(const ea_params *p, const char *const *image_sha256,
                                   const char *mask_sha256);

#endif
