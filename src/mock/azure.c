/* SPDX-License-Identifier: MIT */
/* mock/azure.c: the offline backend dressed as Azure OpenAI (--azure, protocol.md section 7):
 * which paths Azure answers, and how it refuses the others, so that a client's deployment
 * routing, api-version and api-key header can be tested offline. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* url without prefix, when it starts with it; else NULL. */
static const char *after(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(url, prefix, n) == 0 ? url + n : NULL;
}

static int refuse(mock_error *e, int status, const char *message)
{
    mock_fail(e, status, NULL, status == 401 ? "401" : "404", NULL, "%s " MOCK_OFFLINE_NOTE,
              message);
    e->azure = true;
    return 0;
}

int mock_azure_path(const char *url, const mock_request_meta *meta, bool has_api_version,
                    char *canon, size_t size, mock_error *e)
{
    const char *rest;
    bool versioned = true; /* the v1 form needs no api-version */
    bool bearer_ok = false; /* ...and takes the key as Bearer from the plain OpenAI clients */
    if ((rest = after(url, "/openai/v1/"))) {
        snprintf(canon, size, "/v1/%s", rest);
        bearer_ok = true;
    } else if ((rest = after(url, "/openai/deployments/"))) {
        /* /openai/deployments/NAME/images/...: the Images API, NAME the deployment. */
        const char *slash = strchr(rest, '/');
        if (!slash || slash == rest || !after(slash, "/images/"))
            return refuse(e, 404, "Resource not found.");
        snprintf(canon, size, "/v1%s", slash);
        versioned = has_api_version;
    } else if ((rest = after(url, "/openai/")) &&
               (after(rest, "responses") || strcmp(rest, "models") == 0 ||
                after(rest, "files") || after(rest, "batches"))) {
        /* Azure's Batch API: /openai/files and /openai/batches, with api-version. */
        snprintf(canon, size, "/v1/%s", rest);
        versioned = has_api_version;
    } else {
        return refuse(e, 404, "Resource not found.");
    }
    if (!versioned)
        return refuse(e, 404, "Resource not found: Azure OpenAI's deployment and /openai/ "
                              "paths need an api-version query parameter.");
    if (!meta->api_key && !(bearer_ok && meta->authorization))
        return refuse(e, 401, "Access denied due to invalid subscription key or wrong API "
                              "endpoint. Make sure to provide a valid key for an active "
                              "subscription and use a correct regional API endpoint for your "
                              "resource.");
    return 1;
}
