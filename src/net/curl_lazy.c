/* SPDX-License-Identifier: MIT */
/* curl_lazy: libcurl loaded when the first curl function is called, not when easel starts.
 *
 * Why: libcurl brings 28 more shared objects (TLS twice over, Kerberos, LDAP, SSH, RTMP,
 * IDN...) that every process paid for at start, network or not. Measured with perf stat on
 * the 2-core VM under load: a program that only links easel's libraries started in 25 ms of
 * CPU and 550 page faults, one without libcurl's tree in 10 ms; `easel show` on a 1024x1024
 * JPEG, a third of whose time was the loader, draws without ever touching the network.
 * Commands that talk to a server load it on their first request (ea_http_new), at the same
 * cost as before, once.
 *
 * Each function easel (and its tests) calls is defined here with libcurl's own prototype and
 * forwards to the library's. When the library cannot be loaded, every function answers as
 * libcurl does when it cannot allocate (NULL, CURLE_FAILED_INIT, ...), so the callers' error
 * paths report it; nothing else changes. A function newly used elsewhere fails to link until
 * it is added to the list below. */
#define CURL_DISABLE_TYPECHECK /* the checking macros would rename the functions defined here */
#include <curl/curl.h>
#include <stdarg.h>
#include <stddef.h>

#include "easel/lazy_lib.h"

/* The library's name with its ABI version: the one the headers we built against describe. */
#define LIBCURL "libcurl.so.4"

/* R(ret, name, failed, params, args) for a function that returns; V(name, params, args) for
 * one that does not. */
#define CURL_FUNCTIONS(R, V)                                                                  \
    R(CURLcode, curl_global_init, CURLE_FAILED_INIT, (long flags), (flags))                   \
    V(curl_global_cleanup, (void), ())                                                        \
    R(CURL *, curl_easy_init, NULL, (void), ())                                               \
    V(curl_easy_cleanup, (CURL * h), (h))                                                     \
    R(CURLcode, curl_easy_perform, CURLE_FAILED_INIT, (CURL * h), (h))                        \
    R(const char *, curl_easy_strerror, "libcurl could not be loaded", (CURLcode c), (c))     \
    V(curl_free, (void *p), (p))                                                              \
    R(time_t, curl_getdate, -1, (const char *p, const time_t *unused), (p, unused))           \
    R(curl_mime *, curl_mime_init, NULL, (CURL * h), (h))                                     \
    V(curl_mime_free, (curl_mime * m), (m))                                                   \
    R(curl_mimepart *, curl_mime_addpart, NULL, (curl_mime * m), (m))                         \
    R(CURLcode, curl_mime_name, CURLE_FAILED_INIT, (curl_mimepart * p, const char *s), (p, s)) \
    R(CURLcode, curl_mime_filename, CURLE_FAILED_INIT, (curl_mimepart * p, const char *s),    \
      (p, s))                                                                                 \
    R(CURLcode, curl_mime_type, CURLE_FAILED_INIT, (curl_mimepart * p, const char *s), (p, s)) \
    R(CURLcode, curl_mime_data, CURLE_FAILED_INIT,                                            \
      (curl_mimepart * p, const char *data, size_t n), (p, data, n))                          \
    R(CURLcode, curl_mime_filedata, CURLE_FAILED_INIT, (curl_mimepart * p, const char *s),    \
      (p, s))                                                                                 \
    R(CURLcode, curl_mime_data_cb, CURLE_FAILED_INIT,                                         \
      (curl_mimepart * p, curl_off_t size, curl_read_callback rd, curl_seek_callback seek,    \
       curl_free_callback fr, void *arg),                                                     \
      (p, size, rd, seek, fr, arg))                                                           \
    R(CURLM *, curl_multi_init, NULL, (void), ())                                             \
    R(CURLMcode, curl_multi_add_handle, CURLM_INTERNAL_ERROR, (CURLM * m, CURL * h), (m, h))  \
    R(CURLMcode, curl_multi_remove_handle, CURLM_INTERNAL_ERROR, (CURLM * m, CURL * h),       \
      (m, h))                                                                                 \
    R(CURLMcode, curl_multi_cleanup, CURLM_INTERNAL_ERROR, (CURLM * m), (m))                  \
    R(CURLMcode, curl_multi_perform, CURLM_INTERNAL_ERROR, (CURLM * m, int *running),         \
      (m, running))                                                                           \
    R(CURLMcode, curl_multi_poll, CURLM_INTERNAL_ERROR,                                       \
      (CURLM * m, struct curl_waitfd extra[], unsigned int n, int timeout_ms, int *ret),      \
      (m, extra, n, timeout_ms, ret))                                                         \
    R(CURLMcode, curl_multi_wakeup, CURLM_INTERNAL_ERROR, (CURLM * m), (m))                   \
    R(CURLMsg *, curl_multi_info_read, NULL, (CURLM * m, int *left), (m, left))               \
    R(struct curl_slist *, curl_slist_append, NULL, (struct curl_slist * l, const char *s),   \
      (l, s))                                                                                 \
    V(curl_slist_free_all, (struct curl_slist * l), (l))                                      \
    R(CURLU *, curl_url, NULL, (void), ())                                                    \
    V(curl_url_cleanup, (CURLU * u), (u))                                                     \
    R(CURLUcode, curl_url_get, CURLUE_OUT_OF_MEMORY,                                          \
      (CURLU * u, CURLUPart what, char **part, unsigned int flags), (u, what, part, flags))   \
    R(CURLUcode, curl_url_set, CURLUE_OUT_OF_MEMORY,                                          \
      (CURLU * u, CURLUPart what, const char *part, unsigned int flags),                      \
      (u, what, part, flags))

/* Variadic: looked up with the others, forwarded below by hand. */
#define CURL_VARIADIC(R, V)                                                                   \
    R(CURLcode, curl_easy_setopt, CURLE_FAILED_INIT, (CURL * h, CURLoption o, ...), ())       \
    R(CURLcode, curl_easy_getinfo, CURLE_FAILED_INIT, (CURL * h, CURLINFO i, ...), ())

EA_LAZY_FORWARDING(CURL_FUNCTIONS, CURL_VARIADIC, LIBCURL)

/* The one argument after the option, read as libcurl's own curl_easy_setopt reads it: its
 * type follows from the option's number range. */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    if (!ea_lazy_lib_ready(&lazy_lib))
        return CURLE_FAILED_INIT;
    CURLcode (*setopt)(CURL *, CURLoption, ...) =
        EA_LAZY_FN(curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...));
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = setopt(h, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = setopt(h, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = setopt(h, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = setopt(h, option, va_arg(ap, curl_off_t));
    else
        rc = setopt(h, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    if (!ea_lazy_lib_ready(&lazy_lib))
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode (*getinfo)(CURL *, CURLINFO, ...) =
        EA_LAZY_FN(curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...));
    CURLcode rc = getinfo(h, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}
