/* SPDX-License-Identifier: MIT */
/* mock/models.c: GET /v1/models, the models the offline backend answers for, in the API's
 * list shape, so that `easel models` and the workbench's model choices work offline. */
#include "internal.h"

#include "easel/models.h"

/* 2026-04-21, gpt-image-2's launch: a fixed date keeps the answer deterministic. */
#define MOCK_MODELS_CREATED 1776729600L

static int put_model(ea_buf *out, const char *id, bool first)
{
    int rc = ea_buf_puts(out, first ? "{\"id\":" : ",{\"id\":");
    rc |= mock_json_string(out, id);
    rc |= ea_buf_printf(out, ",\"object\":\"model\",\"created\":%ld,\"owned_by\":\"system\"}",
                        MOCK_MODELS_CREATED);
    return rc;
}

int mock_models_body(const mock_server *srv, ea_buf *out)
{
    const ea_mock_config *cfg = mock_server_config(srv);
    int n, rc = ea_buf_puts(out, "{\"object\":\"list\",\"data\":[");
    const ea_model_info *table = ea_model_table(&n);
    bool first = true;
    for (int i = 0; i < n; i++)
        if (!table[i].retired) {
            rc |= put_model(out, table[i].id, first);
            first = false;
        }
    rc |= put_model(out, "gpt-5.4", first); /* the Responses mainline model easel defaults to */
    for (int i = 0; i < cfg->n_extra_models; i++)
        rc |= put_model(out, cfg->extra_models[i], false);
    rc |= ea_buf_puts(out, "]}");
    return rc ? -1 : 0;
}
