#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Holds a `generate --dry-run --json` line against what the real call sent (a line of
`easel mock --request-log`) and what it logged (its request record), field by field. File
bytes are compared by sha256 (the record and the request log keep hashes, not bytes).
Usage: request_equal.py BASE_URL DRY_LINE_FILE RECEIVED_LINE_FILE RECORD_LINE_FILE.
Exit 0 when they agree; else 1 and what differs on stdout."""
import json
import os
import sys
from urllib.parse import urlparse


def load(path):
    with open(path) as f:
        text = f.read().strip()
    if not text:
        sys.exit("%s is empty" % path)
    return json.loads(text)


def without_paths(v):
    """The record's view of a file, {path, sha256, ...}, as its hash and the fields sent."""
    if isinstance(v, dict):
        out = {k: without_paths(x) for k, x in v.items() if not (k == "path" and "sha256" in v)}
        return out
    if isinstance(v, list):
        return [without_paths(x) for x in v]
    return v


def flatten_urls(v):
    """The wire's view of a file, {image_url: "data:..."} (logged by the mock as
    {image_url: {data_url, sha256, bytes}}), as its hash in place of the URL."""
    if isinstance(v, dict):
        if "data_url" in v and "sha256" in v:
            return {"sha256": v["sha256"]}
        out = {}
        for k, x in v.items():
            x = flatten_urls(x)
            if k == "image_url" and isinstance(x, dict) and "sha256" in x:
                out.update(x)
            else:
                out[k] = x
        return out
    if isinstance(v, list):
        return [flatten_urls(x) for x in v]
    return v


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def multipart_from_record(params):
    fields, files = {}, []
    for k, v in params.items():
        if k in ("image", "image[]"):
            for f in v:
                files.append((k, f["sha256"], os.path.basename(f["path"])))
        elif k == "mask":
            stem = os.path.splitext(os.path.basename(v["path"]))[0]
            mask = ("mask", v["sha256"], stem + ".png")
        else:
            fields[k] = text(v)
    if "mask" in params:
        files.append(mask)
    return fields, files


def multipart_from_wire(parts):
    fields, files = {}, []
    for p in parts:
        if "filename" in p:
            files.append((p["name"], p["sha256"], p["filename"]))
        else:
            if p["name"] in fields:
                raise SystemExit("text part %s sent twice" % p["name"])
            fields[p["name"]] = p["value"]
    return fields, files


def main():
    base, dry, got, rec = sys.argv[1], load(sys.argv[2]), load(sys.argv[3]), load(sys.argv[4])
    problems = []

    def same(what, a, b):
        if a != b:
            problems.append("%s: dry run %s, but %s" % (what, json.dumps(a), json.dumps(b)))

    # The dry run and the record the real call wrote.
    same("params (dry run vs record)", dry["request"], rec["params"])
    same("inputs (dry run vs record)", dry["inputs"], rec["inputs"])
    same("previous_response_id", dry["previous_response_id"], rec["previous_response_id"])
    same("parent_turn", dry["parent_turn"], rec["parent_turn"])
    same("endpoint", dry["url"], rec["endpoint"])
    de, re_ = dry["estimate_usd"], rec["estimate_usd"]
    if (de is None) != (re_ is None) or (de is not None and abs(de - re_) > 1e-9):
        problems.append("estimate: dry run %r, record %r" % (de, re_))

    # The dry run and the request the backend received.
    same("path", urlparse(dry["url"]).path, got["path"])
    same("multipart", dry["multipart"], got["multipart"])
    if got["multipart"]:
        same("multipart body", multipart_from_record(dry["request"]),
             multipart_from_wire(got["parts"]))
        sent = [p["sha256"] for p in got["parts"] if "filename" in p]
    else:
        same("body", without_paths(dry["request"]), flatten_urls(got["body"]))
        sent = []

        def hashes(v):
            if isinstance(v, dict):
                if "data_url" in v:
                    sent.append(v["sha256"])
                for x in v.values():
                    hashes(x)
            elif isinstance(v, list):
                for x in v:
                    hashes(x)
        hashes(got["body"])
    same("input hashes sent", [i["sha256"] for i in dry["inputs"]], sent)
    if not dry["url"].startswith(base):
        problems.append("url %s is not on %s" % (dry["url"], base))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
