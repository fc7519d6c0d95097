#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A hostile loopback server for tests/net/fault_matrix.sh and hostile_text.sh: the faults
`easel mock` cannot produce. Listens on 127.0.0.1 (and on 127.0.0.2, same port, to catch a
client that follows a redirect there), prints "hostile listening on http://127.0.0.1:PORT/v1"
first, and serves one CASE to every request:

  status:N         N with the API's error body (retry-after-ms: 1, so retries are quick)
  retry-date       429 with retry-after as an HTTP date 2 s ahead, then success
  retry-seconds    503 with retry-after: 1, then success
  html             200 with content-type text/html and a page
  big-event        200 SSE: one event of 97 MiB in 1 MiB data lines (over the 96 MiB cap)
  long-line        200 SSE: one data line of 97 MiB (over the line cap)
  blackhole        reads the request, then says nothing, ever
  drop-mid         200 SSE: half of an event, then the connection closes
  redirect-ip      307 to http://127.0.0.2:PORT/... (the same server, another address)
  redirect-host    302 to http://attacker.invalid/...
  hostile-error    400 whose error message carries escape sequences and control bytes
  hostile-revised  200 SSE (Responses) whose revised_prompt carries them
  huge-revised     200 SSE (Responses) whose revised_prompt is HUGE (24 MB, 72 MB escaped)
  huge-error       400 whose error message is HUGE
  success          200 SSE, a small image
  batch-hostile    the Files and Batch APIs of a server that lies: uploads and a batch are
                   taken; the batch's first poll says more lines done than it has (counts
                   past LONG_MAX, a request_counts too long to copy), the next that it
                   completed; its output file fails every line with the hostile text; a
                   cancel answers with escape sequences in the status
  batch-lost       as batch-hostile, but the batch's creation goes unanswered (the link
                   cut after the server took it); GET /v1/batches lists it with its metadata
  batch-range      as batch-hostile, but every line of the output file succeeds (an image)
                   and its first download is cut in the second line; a resume (Range) is
                   answered as --range says: late (206 from 5 bytes after the byte asked
                   for), early (5 bytes before), wrap (206 whose start is 2^64 + the byte
                   asked for), none (206 without Content-Range), total (206 whose total is
                   one more than the first answer's Content-Length), whole (200, the whole
                   file). A download without Range gets the whole file.
  batch-long-line  as batch-range, but the first line of the output file is LONG_LINE bytes
                   (256 MiB + 1), generated as it is sent; never cut
With --tls-cert/--tls-key it speaks HTTPS (a self-signed certificate easel must refuse).

Every request is logged to --log as one JSON line: address, method, path, whether an
Authorization header came (never its value), and the header names.
"""
import argparse
import base64
import email.utils
import json
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

# A 2x2 RGB PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")
PNG_B64 = base64.b64encode(PNG).decode()

# What a hostile model or proxy could put in a string: ESC and CSI, OSC 52 (clipboard) and
# OSC 8 (links), DCS, C1 controls as UTF-8, BEL, CR, backspace, bidi overrides, zero-width
# characters, and 2000 combining marks.
HOSTILE = ("red \x1b[31mCSI\x1b[0m \x1b]52;c;SGVsbG8=\x07 \x1b]8;;http://evil.invalid\x1b\\link"
           "\x1b]8;;\x1b\\ \x1bP1;2|dcs\x1b\\ \u009b31m c1 \u0085 nel \x07bel \rcr \x08bs "
           "\u202eevil\u202c \u2066iso\u2069 zw\u200b\u200d\ufeff x" + "e\u0301" * 2000)


# A text far over what one audit record may hold: mostly emoji, sent as UTF-8 (4 bytes each)
# and 12 bytes each in the pure-ASCII log, so that written into the record as it stands it
# would pass the readers' 64 MiB line cap; hostile at both ends, to be kept off the terminal
# like any other.
HUGE = ("HUGE-START \x1b[31m\u202e " + "\U0001F408" * (23 << 18) + " HUGE-END")


# The first output line of batch-long-line, its newline not counted: one byte past the
# reader's 256 MiB line cap.
LONG_LINE = (256 << 20) + 1


class State:
    case = "success"
    range_mode = "late"
    downloads = 0
    log = None
    lock = threading.Lock()
    requests = 0
    polls = 0
    metadata = None
    custom_ids = []


def error_body(status, message=None, ascii=True):
    kinds = {400: ("invalid_request_error", "invalid_value"),
             401: ("invalid_request_error", "invalid_api_key"),
             403: ("invalid_request_error", "unsupported_country_region_territory"),
             404: ("invalid_request_error", "model_not_found"),
             409: ("invalid_request_error", "conflict"),
             422: ("invalid_request_error", "unprocessable_entity"),
             429: ("requests", "rate_limit_exceeded"),
             500: ("server_error", "server_error"),
             502: ("server_error", "bad_gateway"),
             503: ("server_error", "service_unavailable")}
    etype, code = kinds.get(status, ("server_error", "unknown"))
    return json.dumps({"error": {"message": message or "hostile server: status %d" % status,
                                 "type": etype, "code": code, "param": None}},
                      ensure_ascii=ascii).encode()


def sse(name, obj, ascii=True):
    return ("event: %s\ndata: %s\n\n" % (name, json.dumps(obj, ensure_ascii=ascii))).encode()


def images_stream():
    return sse("image_generation.completed", {
        "type": "image_generation.completed", "b64_json": PNG_B64, "created_at": 1755000000,
        "size": "1024x1024", "quality": "low", "background": "opaque", "output_format": "png",
        "usage": {"total_tokens": 10, "input_tokens": 5, "output_tokens": 5,
                  "input_tokens_details": {"text_tokens": 5, "image_tokens": 0}}})


def responses_stream(revised, ascii=True):
    item = {"id": "ig_1", "type": "image_generation_call", "status": "completed",
            "revised_prompt": revised, "result": PNG_B64, "output_format": "png",
            "size": "1024x1024", "quality": "low", "background": "opaque"}
    return (sse("response.created", {"type": "response.created", "sequence_number": 0,
                                     "response": {"id": "resp_1", "status": "in_progress",
                                                  "output": []}}) +
            sse("response.output_item.done", {"type": "response.output_item.done",
                                              "sequence_number": 1, "output_index": 0,
                                              "item": item}, ascii) +
            sse("response.completed", {"type": "response.completed", "sequence_number": 2,
                                       "response": {"id": "resp_1", "status": "completed",
                                                    "output": [item],
                                                    "usage": {"input_tokens": 5,
                                                              "output_tokens": 5,
                                                              "total_tokens": 10}}}, ascii))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self):
        entry = {"address": self.server.server_address[0], "method": self.command,
                 "path": self.path, "authorization": "authorization" in
                 {k.lower() for k in self.headers.keys()},
                 "headers": sorted(k.lower() for k in self.headers.keys())}
        with State.lock:
            State.requests += 1
            n = State.requests
            if State.log:
                with open(State.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")
        return n

    def send(self, status, body, ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-request-id", "req_hostile")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def stream_head(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("x-request-id", "req_hostile")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

    def success(self):
        body = responses_stream("a small picture") if "/responses" in self.path else images_stream()
        self.stream_head()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        if State.case in BATCH_CASES:
            return self.batch_get()
        self.send(404, error_body(404))

    def batch_object(self, status, counts):
        return json.dumps({"id": "batch_hostile", "object": "batch", "status": status,
                           "endpoint": "/v1/images/generations", "input_file_id": "file-in",
                           "output_file_id": "file-out" if status == "completed" else None,
                           "error_file_id": None, "created_at": int(time.time()),
                           "request_counts": counts}).encode()

    def batch_get(self):
        with State.lock:
            State.polls += 1
            polls = State.polls
        if self.path.startswith("/v1/batches?"):
            listed = json.loads(self.batch_object("in_progress", {"total": 2, "completed": 0,
                                                                  "failed": 0}))
            listed["metadata"] = State.metadata
            other = dict(listed, id="batch_other", metadata={"easel_part": "someone-else/1"})
            self.send(200, json.dumps({"object": "list", "data": [other, listed],
                                       "has_more": False, "last_id": "batch_hostile"}).encode())
        elif self.path.startswith("/v1/batches/"):
            if polls == 1:
                counts = {"total": 1, "completed": 2 ** 63 - 1, "failed": 2 ** 63 - 1,
                          "note": "x" * 400}
                self.send(200, self.batch_object("in_progress", counts))
            else:
                self.send(200, self.batch_object("completed",
                                                 {"total": 1, "completed": 0, "failed": 1}))
        elif self.path.startswith("/v1/files/file-out/content") and State.case == "batch-range":
            self.range_output()
        elif self.path.startswith("/v1/files/file-out/content") and \
                State.case == "batch-long-line":
            self.long_line_output()
        elif self.path.startswith("/v1/files/file-out/content"):
            body = b"".join(json.dumps({"id": "batch_req_%d" % i, "custom_id": cid,
                                        "response": {"status_code": 400, "request_id": "req_h",
                                                     "body": {"error": {"message": HOSTILE,
                                                                        "code": HOSTILE,
                                                                        "type": "invalid"}}},
                                        "error": None}).encode() + b"\n"
                            for i, cid in enumerate(State.custom_ids))
            self.send(200, body, ctype="application/octet-stream")
        else:
            self.send(404, error_body(404))

    @staticmethod
    def good_line(i, cid, b64=PNG_B64):
        return json.dumps({"id": "batch_req_%d" % i, "custom_id": cid,
                           "response": {"status_code": 200, "request_id": "req_h",
                                        "body": {"created": 1,
                                                 "data": [{"b64_json": b64}]}},
                           "error": None}).encode() + b"\n"

    def range_output(self):
        lines = [self.good_line(i, cid) for i, cid in enumerate(State.custom_ids)]
        body = b"".join(lines)
        with State.lock:
            State.downloads += 1
            first = State.downloads == 1
        m = re.match(r"bytes=(\d+)-$", self.headers.get("range") or "")
        if first:
            # The whole file announced, the link cut in the second line.
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(lines[0]) + len(lines[1]) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if not m or State.range_mode == "whole":
            return self.send(200, body, ctype="application/octet-stream")
        asked = int(m.group(1))
        start, shown, total = asked, "%d" % asked, len(body)
        if State.range_mode == "late":
            start = shown = asked + 5
        elif State.range_mode == "early":
            start = shown = asked - 5
        elif State.range_mode == "wrap":
            shown = "%d" % (2 ** 64 + asked)
        elif State.range_mode == "total":
            total += 1
            body += b"\n"
        part = body[int(start):]
        headers = [] if State.range_mode == "none" else [
            ("content-range", "bytes %s-%d/%d" % (shown, int(start) + len(part) - 1, total))]
        self.send(206, part, ctype="application/octet-stream", headers=headers)

    def long_line_output(self):
        # {"id":...,"custom_id":...,"response":...{"b64_json":"AAAA...A"}...} of LONG_LINE
        # bytes and its newline, the base64 sent a MiB at a time, never built whole.
        head, tail = self.good_line(0, State.custom_ids[0], "@").split(b"@")
        fill = LONG_LINE - len(head) - (len(tail) - 1)
        rest = b"".join(self.good_line(i, cid) for i, cid in enumerate(State.custom_ids)
                        if i > 0)
        self.send_response(200)
        self.send_header("content-type", "application/octet-stream")
        self.send_header("content-length", str(LONG_LINE + 1 + len(rest)))
        self.end_headers()
        try:
            self.wfile.write(head)
            chunk = b"A" * (1 << 20)
            while fill > 0:
                self.wfile.write(chunk[:fill])
                fill -= min(fill, len(chunk))
            self.wfile.write(tail + rest)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        n = self.record()
        if State.case in BATCH_CASES:
            if self.path.startswith("/v1/batches") and State.case == "batch-lost" and \
                    not self.path.endswith("/cancel"):
                State.metadata = json.loads(body).get("metadata")
                self.close_connection = True  # created, but the answer never comes
                return
            if self.path.startswith("/v1/files"):
                with State.lock:
                    State.custom_ids += [m.decode() for m in
                                         re.findall(rb'"custom_id": *"([^"]*)"', body)]
                self.send(200, json.dumps({"id": "file-in", "object": "file", "bytes": length,
                                           "purpose": "batch"}).encode())
            elif self.path.endswith("/cancel"):
                self.send(200, self.batch_object("cancelling\x1b]52;c;ZXZpbA==\x07\u009b2J",
                                                 {"total": 1, "completed": 0, "failed": 0}))
            elif self.path.startswith("/v1/batches"):
                self.send(200, self.batch_object("validating",
                                                 {"total": 0, "completed": 0, "failed": 0}))
            else:
                self.send(404, error_body(404))
            return
        case = State.case
        try:
            self.serve(case, n)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve(self, case, n):
        port = self.server.server_address[1]
        if case.startswith("status:"):
            status = int(case.split(":")[1])
            self.send(status, error_body(status), headers=[("retry-after-ms", "1")])
        elif case == "retry-date":
            if n == 1:
                when = email.utils.formatdate(time.time() + 2, usegmt=True)
                self.send(429, error_body(429), headers=[("retry-after", when)])
            else:
                self.success()
        elif case == "retry-seconds":
            if n == 1:
                self.send(503, error_body(503), headers=[("retry-after", "1")])
            else:
                self.success()
        elif case == "html":
            self.send(200, b"<html><body><h1>502 Bad Gateway</h1>\x1b[2J</body></html>",
                      ctype="text/html")
        elif case in ("big-event", "long-line"):
            self.stream_head()
            chunk = b"A" * (1 << 20)
            self.wfile.write(b"event: image_generation.completed\n")
            for i in range(97):
                self.wfile.write((b"data: " if case == "big-event" or i == 0 else b"") + chunk +
                                 (b"\n" if case == "big-event" else b""))
            self.wfile.write(b"\n\n")
        elif case == "blackhole":
            self.wfile.flush()
            time.sleep(3600)
        elif case == "drop-mid":
            self.stream_head()
            body = images_stream()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
        elif case == "redirect-ip":
            self.send(307, b"", headers=[("location", "http://127.0.0.2:%d%s" % (port, self.path))])
        elif case == "redirect-host":
            self.send(302, b"", headers=[("location", "http://attacker.invalid%s" % self.path)])
        elif case == "hostile-error":
            self.send(400, error_body(400, "refused: " + HOSTILE))
        elif case == "hostile-revised":
            self.stream_head()
            self.wfile.write(responses_stream(HOSTILE))
        elif case == "huge-revised":
            self.stream_head()
            self.wfile.write(responses_stream(HUGE, ascii=False))
        elif case == "huge-error":
            self.send(400, error_body(400, HUGE, ascii=False))
        else:
            self.success()


BATCH_CASES = ("batch-hostile", "batch-lost", "batch-range", "batch-long-line")


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", default="success")
    ap.add_argument("--log")
    ap.add_argument("--range", default="late", help="batch-range: how a resume is answered")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (and --tls-key)")
    ap.add_argument("--tls-key")
    ap.add_argument("--hostile-text", action="store_true",
                    help="print the hostile text as JSON and exit")
    ap.add_argument("--huge-bytes", action="store_true",
                    help="print the size of the huge text in UTF-8 and exit")
    args = ap.parse_args()
    if args.hostile_text:
        print(json.dumps(HOSTILE))
        return
    if args.huge_bytes:
        print(len(HUGE.encode()))
        return
    State.case = args.case
    State.log = args.log
    State.range_mode = args.range
    first = Server(("127.0.0.1", 0), Handler)
    port = first.server_address[1]
    scheme = "http"
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        first.socket = ctx.wrap_socket(first.socket, server_side=True)
        scheme = "https"
    servers = [first]
    try:
        if scheme == "http":
            servers.append(Server(("127.0.0.2", port), Handler))
    except OSError:
        pass  # no 127.0.0.2 here: a followed redirect would then fail to connect, also caught
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("hostile listening on %s://127.0.0.1:%d/v1" % (scheme, port), flush=True)
    try:
        first.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
