#!/usr/bin/env python3
"""Convert llhttp markdown request tests into a JSON fixture for Sluice's tests.

Reads every *.md file in a folder of llhttp request tests (a copy of
nodejs/llhttp test/request/, see Tests/Fixtures/http1/README.md) and writes a
JSON array with one object per test case: its metadata, the wire bytes
(base64), the messages the expected callback log says reached
"message complete" (method, url, protocol, version, headers, trailers, body),
the number of "headers complete" lines and the error line, if any.

The ```http block becomes wire bytes the way upstream test/md-test.ts does it
(drop one trailing newline, delete backslash-newline, newline -> CRLF, then
unescape \\r \\n \\t \\f \\xHH \\NNN; the resulting string is UTF-8 encoded,
as node passes it to the C fixture via argv). In the ```log block only \\t and
\\f are escapes; span text is printed raw, and CR/LF inside a span appear as
separate "span[x]=cr" / "span[x]=lf" lines. Every span is checked against the
wire bytes at its offset; the script fails loudly on any mismatch.

Re-run (from the repository root, Python 3 stdlib only):
    python3 scripts/llhttp-to-json.py Tests/Fixtures/http1/llhttp/request \\
        Tests/Fixtures/http1/llhttp-requests.json
"""
import base64
import json
import re
import sys
from pathlib import Path

# Error codes from nodejs/llhttp src/llhttp/constants.ts (v9.4.2).
ERRORS = {
    0: "OK", 1: "INTERNAL", 2: "STRICT", 3: "LF_EXPECTED",
    4: "UNEXPECTED_CONTENT_LENGTH", 5: "CLOSED_CONNECTION", 6: "INVALID_METHOD",
    7: "INVALID_URL", 8: "INVALID_CONSTANT", 9: "INVALID_VERSION",
    10: "INVALID_HEADER_TOKEN", 11: "INVALID_CONTENT_LENGTH",
    12: "INVALID_CHUNK_SIZE", 13: "INVALID_STATUS", 14: "INVALID_EOF_STATE",
    15: "INVALID_TRANSFER_ENCODING", 16: "CB_MESSAGE_BEGIN",
    17: "CB_HEADERS_COMPLETE", 18: "CB_MESSAGE_COMPLETE", 19: "CB_CHUNK_HEADER",
    20: "CB_CHUNK_COMPLETE", 21: "PAUSED", 22: "PAUSED_UPGRADE",
    23: "PAUSED_H2_UPGRADE", 24: "USER", 25: "CR_EXPECTED",
    26: "CB_URL_COMPLETE", 27: "CB_STATUS_COMPLETE",
    28: "CB_HEADER_FIELD_COMPLETE", 29: "CB_HEADER_VALUE_COMPLETE",
    30: "UNEXPECTED_SPACE", 31: "CB_RESET", 32: "CB_METHOD_COMPLETE",
    33: "CB_VERSION_COMPLETE", 34: "CB_CHUNK_EXTENSION_NAME_COMPLETE",
    35: "CB_CHUNK_EXTENSION_VALUE_COMPLETE", 38: "CB_PROTOCOL_COMPLETE",
}

META_RE = re.compile(r"^<!--\s*meta=(\{.*\})\s*-->\s*$")
SPAN_RE = re.compile(r'^off=(\d+) len=(\d+) span\[(\w+)\]=(?:"(.*)"|(cr|lf))$')
EVENT_RE = re.compile(r"^off=(\d+|NULL) (.*)$")
ERROR_RE = re.compile(r'^error code=(\d+) reason="(.*)"$')


def wire_bytes(block):
    """Apply upstream md-test.ts input rules, in the same order."""
    s = block[:-1] if block.endswith("\n") else block  # JS /\n$/: one only
    s = re.sub(r"\\(\r\n|\r|\n)", "", s)
    s = re.sub(r"\r\n|\r|\n", "\r\n", s)
    for esc, ch in (("r", "\r"), ("n", "\n"), ("t", "\t"), ("f", "\f")):
        s = s.replace("\\" + esc, ch)
    s = re.sub(r"\\x([0-9a-fA-F]+)", lambda m: chr(int(m.group(1), 16)), s)
    s = re.sub(r"\\([0-7]{1,3})", lambda m: chr(int(m.group(1), 8)), s)
    if "${" in s:
        raise ValueError("inline ${js} input is not supported")
    return s.encode("utf-8")


def parse_markdown(text):
    """Yield (heading, meta, http_block, log_block) for each test case."""
    heading, meta, blocks, fence, buf = None, None, {}, None, []
    for line in text.split("\n"):
        if fence is not None:
            if line.strip() == "```":
                blocks[fence] = "\n".join(buf) + "\n"
                if fence == "log":
                    yield heading, meta, blocks.get("http"), blocks["log"]
                    meta, blocks = None, {}
                fence, buf = None, []
            else:
                buf.append(line)
        elif line.startswith("```"):
            fence = line[3:].strip()
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif META_RE.match(line):
            meta = json.loads(META_RE.match(line).group(1))


def text(b):
    return b.decode("utf-8")  # raises on invalid UTF-8: fail loudly


def convert_case(fname, heading, meta, http, log):
    if meta is None or http is None:
        raise ValueError("case without meta or http block")
    wire = wire_bytes(http)
    # Upstream unescapes only \t and \f in the expected log.
    lines = log.replace("\\t", "\t").replace("\\f", "\f").split("\n")[:-1]
    messages, cur, error, hc_count, has_regex = [], None, None, 0, False
    for line in lines:
        if line.startswith("/"):
            has_regex = True  # regex line: cannot be reconstructed, skip it
            continue
        m = SPAN_RE.match(line)
        if m:
            off, ln, kind = int(m.group(1)), int(m.group(2)), m.group(3)
            val = {"cr": b"\r", "lf": b"\n"}.get(m.group(5)) \
                if m.group(5) else m.group(4).encode("utf-8")
            if len(val) != ln or wire[off:off + ln] != val:
                raise ValueError(f"span mismatch: {line!r} vs wire "
                                 f"{wire[off:off + ln]!r}")
            if cur is None:
                raise ValueError(f"span outside a message: {line!r}")
            if kind in ("header_field", "header_value"):
                lst = cur["trailers" if cur["hc"] else "headers"]
                if kind == "header_field":
                    if not cur["in_field"]:
                        lst.append([b"", b""])
                    lst[-1][0] += val
                    cur["in_field"] = True
                else:
                    lst[-1][1] += val
                    cur["in_field"] = False
            elif kind in cur:
                cur[kind] += val
            elif not kind.startswith("chunk_extension"):
                raise ValueError(f"unknown span kind: {line!r}")
            continue
        m = EVENT_RE.match(line)
        if not m:
            raise ValueError(f"unparsed log line: {line!r}")
        ev = m.group(2)
        if m.group(1) != "NULL" and int(m.group(1)) > len(wire):
            raise ValueError(f"offset past end of input: {line!r}")
        if ev == "message begin":
            cur = {k: b"" for k in ("method", "url", "protocol", "version",
                                    "body")}
            cur.update(headers=[], trailers=[], hc=False, in_field=False)
        elif ev == "header_field complete" and cur:
            cur["in_field"] = False
        elif ev.startswith("headers complete"):
            hc_count += 1
            cur["hc"], cur["in_field"] = True, False
        elif ev == "message complete":
            messages.append({
                "method": text(cur["method"]), "url": text(cur["url"]),
                "protocol": text(cur["protocol"]),
                "version": text(cur["version"]),
                "headers": [[text(k), text(v)] for k, v in cur["headers"]],
                "trailers": [[text(k), text(v)] for k, v in cur["trailers"]],
                "body_base64": base64.b64encode(cur["body"]).decode("ascii"),
            })
        elif ERROR_RE.match(ev):
            code, reason = ERROR_RE.match(ev).groups()
            error = {"code": int(code), "name": ERRORS[int(code)],
                     "reason": reason, "offset": int(m.group(1))}
    return {
        "file": fname, "name": heading, "type": meta["type"],
        "noScan": bool(meta.get("noScan", False)),
        "pause": meta.get("pause"), "skipBody": bool(meta.get("skipBody", False)),
        "input_base64": base64.b64encode(wire).decode("ascii"),
        "messages": messages, "headers_complete_count": hc_count,
        "error": error, "log_has_regex": has_regex,
    }


def main(argv):
    if len(argv) != 3:
        sys.exit(f"usage: {argv[0]} <llhttp-request-md-dir> <out.json>")
    cases, failures = [], []
    for path in sorted(Path(argv[1]).glob("*.md")):
        for heading, meta, http, log in parse_markdown(path.read_text("utf-8")):
            try:
                cases.append(convert_case(path.name, heading, meta, http, log))
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                failures.append(f"{path.name}: {heading}: {exc}")
    out = Path(argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    lenient = sum("-lenient-" in c["type"] for c in cases)
    print(f"wrote {len(cases)} cases to {out}: "
          f"{sum(c['error'] is not None for c in cases)} with error, "
          f"{lenient} lenient, "
          f"{sum(len(c['messages']) > 1 for c in cases)} with 2+ messages, "
          f"{sum(c['log_has_regex'] for c in cases)} with regex log lines")
    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
