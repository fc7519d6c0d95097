/* api: the Images and Responses requests built from resolved ea_params: the body as sent
 * (JSON or multipart parts) and the same request as recorded (files as {path, sha256}). */
#ifndef EASEL_API_H
#define EASEL_API_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/err.h"
#include "easel/params.h"

typedef struct ea_request_part {
    char *name;          /* "prompt", "image[]", "mask" ... */
    char *value;         /* a text part's value, or NULL for a file part */
    char *path;          /* a file part's path */
    char *filename;      /* a file part's file name as sent */
    const char *content_type; /* image/png, image/jpeg, image/webp; static */
    unsigned char *bytes; /* a file part's content, when it is not read from path (the mask) */
    size_t n_bytes;
} ea_request_part;

typedef struct ea_request {
    const char *endpoint;  /* "/images/generations", "/images/edits" or "/responses"; static */
    const char *api;       /* "images" or "responses"; static */
    bool multipart;
    char *json;            /* the JSON body as sent, when !multipart */
    ea_request_part *parts; /* the multipart parts, when multipart */
    int n_parts;
    char *record_json;     /* the request as recorded in the audit log and shown by --dry-run */
} ea_request;

/* p must have passed ea_params_resolve. Reads the input files (images, mask) now, so that the
 * bytes sent are the bytes hashed. previous_response_id may be NULL. */
int ea_request_build(const ea_params *p, const char *previous_response_id, ea_request *out,
                     ea_err *err);
void ea_request_free(ea_request *r);

#endif
