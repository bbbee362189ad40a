#!/usr/bin/env python3
"""Checks wardd's answers, and docs/openapi.json itself, against the document.

Standard library only: a validator of the subset of JSON Schema 2020-12
the document uses (it refuses a schema with any other keyword, so nothing
in the document is silently ignored).

As a module (the end-to-end harness, wardlib.Wardd): Checker(doc).check_record(rec)
answers the problems of one answer wardd recorded (server/record.h): an
undocumented route, an undocumented status for the route, another content
type, a Retry-After the document does not give (or the lack of one it
requires), or a body that does not match the status's schema.

As a program (ctest e2e_openapi_doc):
    openapi_check.py DOC SERVER_DIR
checks the document itself: OpenAPI 3.1.0, every $ref resolves, every
schema is within the subset, path parameters match their templates,
every route of wardd's route table (SERVER_DIR/http.c) is documented and
every documented route not marked x-ward-provisional is in the table,
info.version is WARDD_VERSION; then that the checker tells documented
answers from undocumented ones.
"""
import json
import math
import os
import re
import sys

DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
SCHEMA_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "minItems",
    "maxItems", "enum", "const", "minLength", "maxLength", "pattern", "minimum", "maximum",
    "oneOf", "anyOf", "allOf", "$ref",
    # annotations
    "description", "title", "examples", "default", "format",
}
TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SchemaError(Exception):
    """The document, not the instance, is wrong."""


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    raise SchemaError("not a JSON value: %r" % (v,))


def json_equal(a, b):
    """JSON equality: true is not 1, 1 is 1.0."""
    ta, tb = json_type(a), json_type(b)
    if {ta, tb} <= {"integer", "number"}:
        return a == b
    if ta != tb:
        return False
    if ta == "array":
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if ta == "object":
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return a == b


def is_type(v, t):
    jt = json_type(v)
    if t == "number":
        return jt in ("integer", "number")
    if t == "integer":
        return jt == "integer" or (jt == "number" and math.isfinite(v) and v == int(v))
    return jt == t


class Doc:
    """The document, with $ref resolution."""

    def __init__(self, doc):
        self.doc = doc

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise SchemaError("only local $refs: %s" % ref)
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SchemaError("unresolved $ref %s" % ref)
            node = node[part]
        return node

    def deref(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            node = self.resolve(node["$ref"])
            seen += 1
            if seen > 16:
                raise SchemaError("$ref loop")
        return node

    def validate(self, v, schema, where="$"):
        """The list of problems of instance v against schema."""
        if schema is True:
            return []
        if schema is False:
            return ["%s: no value is allowed here" % where]
        if not isinstance(schema, dict):
            raise SchemaError("a schema is an object or a boolean: %r" % (schema,))
        unknown = set(schema) - SCHEMA_KEYWORDS
        if unknown:
            raise SchemaError("keywords the checker does not know: %s" % sorted(unknown))
        errs = []
        if "$ref" in schema:
            errs += self.validate(v, self.resolve(schema["$ref"]), where)
        t = schema.get("type")
        if t is not None:
            ts = t if isinstance(t, list) else [t]
            if not any(is_type(v, x) for x in ts):
                return errs + ["%s: %s, not %s" % (where, json_type(v), "/".join(ts))]
        if "const" in schema and not json_equal(v, schema["const"]):
            errs.append("%s: %r, not %r" % (where, v, schema["const"]))
        if "enum" in schema and not any(json_equal(v, e) for e in schema["enum"]):
            errs.append("%s: %r not in %r" % (where, v, schema["enum"]))
        if isinstance(v, str):
            if "minLength" in schema and len(v) < schema["minLength"]:
                errs.append("%s: shorter than %d" % (where, schema["minLength"]))
            if "maxLength" in schema and len(v) > schema["maxLength"]:
                errs.append("%s: longer than %d" % (where, schema["maxLength"]))
            if "pattern" in schema and not re.search(schema["pattern"], v):
                errs.append("%s: %r does not match %s" % (where, v[:80], schema["pattern"]))
        if json_type(v) in ("integer", "number"):
            if "minimum" in schema and v < schema["minimum"]:
                errs.append("%s: %r below %r" % (where, v, schema["minimum"]))
            if "maximum" in schema and v > schema["maximum"]:
                errs.append("%s: %r above %r" % (where, v, schema["maximum"]))
        if isinstance(v, list):
            if "minItems" in schema and len(v) < schema["minItems"]:
                errs.append("%s: fewer than %d items" % (where, schema["minItems"]))
            if "maxItems" in schema and len(v) > schema["maxItems"]:
                errs.append("%s: more than %d items" % (where, schema["maxItems"]))
            if "items" in schema:
                for i, x in enumerate(v):
                    errs += self.validate(x, schema["items"], "%s[%d]" % (where, i))
        if isinstance(v, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in v:
                    errs.append("%s: no member %r" % (where, name))
            for name, x in v.items():
                if name in props:
                    errs += self.validate(x, props[name], "%s.%s" % (where, name))
                elif "additionalProperties" in schema:
                    ap = schema["additionalProperties"]
                    if ap is False:
                        errs.append("%s: undocumented member %r" % (where, name))
                    else:
                        errs += self.validate(x, ap, "%s.%s" % (where, name))
        for sub in schema.get("allOf", []):
            errs += self.validate(v, sub, where)
        if "anyOf" in schema:
            if all(self.validate(v, sub, where) for sub in schema["anyOf"]):
                errs.append("%s: matches none of anyOf" % where)
        if "oneOf" in schema:
            n = sum(1 for sub in schema["oneOf"] if not self.validate(v, sub, where))
            if n != 1:
                detail = "; ".join("[%d] %s" % (i, "; ".join(self.validate(v, sub, where)[:2]))
                                   for i, sub in enumerate(schema["oneOf"]))
                errs.append("%s: matches %d of oneOf (exactly 1 expected): %s"
                            % (where, n, detail))
        return errs


def template_regex(template):
    return re.compile("^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(template)) + "$")


class Checker:
    def __init__(self, doc):
        self.d = Doc(doc)
        self.paths = doc["paths"]
        # wardd's router takes a path with no parameter before one with one
        # (/v1/ops/pending before /v1/ops/{op_id}), as OpenAPI does.
        self.exact = {p: item for p, item in self.paths.items() if "{" not in p}
        self.templated = [(template_regex(p), p, item) for p, item in self.paths.items()
                          if "{" in p]
        self.unrouted = doc.get("x-ward-unrouted", {}).get("responses", {})

    def route(self, path):
        """(template, path item) of a raw request path, or (None, None)."""
        if path in self.exact:
            return path, self.exact[path]
        for rx, p, item in self.templated:
            if rx.match(path):
                return p, item
        return None, None

    def responses_for(self, method, path):
        """(what, responses) for a request: what names the operation, or
        says why only the unrouted answers apply."""
        if path is None:
            return "an over-long target", self.unrouted
        template, item = self.route(path)
        if item is None:
            return "no documented path", self.unrouted
        op = item.get(method.lower())
        if op is None:
            return "%s has no %s" % (template, method), self.unrouted
        return "%s %s" % (method, template), op["responses"]

    def check_record(self, rec):
        """The problems of one recorded answer (an empty list: documented)."""
        if "record_error" in rec:
            return ["wardd could not record an answer: %s" % rec["record_error"]]
        method, path, status = rec["method"], rec["path"], rec["status"]
        what, responses = self.responses_for(method, path)
        tag = "%s %s -> %d (%s)" % (method, path, status, what)
        resp = responses.get(str(status))
        if resp is None:
            return ["%s: status %d is not documented for it" % (tag, status)]
        resp = self.d.deref(resp)
        problems = []
        headers = {k.lower(): self.d.deref(h) for k, h in resp.get("headers", {}).items()}
        ra = rec.get("retry_after", 0)
        if "retry-after" in headers:
            if ra <= 0 and headers["retry-after"].get("required"):
                problems.append("%s: no Retry-After, which the document requires" % tag)
            elif ra > 0:
                problems += ["%s: Retry-After %s" % (tag, p) for p in
                             self.d.validate(ra, headers["retry-after"].get("schema", True))]
        elif ra > 0:
            problems.append("%s: a Retry-After the document does not give" % tag)
        content = resp.get("content", {})
        ctype = rec["content_type"].split(";")[0].strip().lower()
        media = {k.split(";")[0].strip().lower(): v for k, v in content.items()}
        if ctype not in media:
            return problems + ["%s: content type %s, documented %s"
                               % (tag, ctype, sorted(media) or "none")]
        schema = media[ctype].get("schema", True)
        body = rec["body"]
        if ctype == "application/json":
            try:
                body = json.loads(body)
            except ValueError as e:
                return problems + ["%s: body is not JSON (%s): %r" % (tag, e, body[:200])]
        problems += ["%s: %s" % (tag, p) for p in self.d.validate(body, schema)]
        return problems


_CACHE = {}


def load(doc_path):
    if doc_path not in _CACHE:
        with open(doc_path, encoding="utf-8") as f:
            _CACHE[doc_path] = Checker(json.load(f))
    return _CACHE[doc_path]


def default_doc():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "docs", "openapi.json")


def check_lines(lines, checker, partial_last_ok=False):
    """The problems of the recorded lines (str), each as one string."""
    problems = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            if partial_last_ok and i == len(lines) - 1:
                continue        # wardd was killed in the middle of a line
            problems.append("record line %d is not JSON: %r" % (i + 1, line[:200]))
            continue
        problems += checker.check_record(rec)
    return problems


# -- the document itself --

def route_table(http_c):
    """wardd's routes as (METHOD, pattern) from the table in http.c."""
    with open(http_c, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"static const route routes\[\] = \{(.*?)\n\};", text, re.S)
    if m is None:
        raise AssertionError("no route table in %s" % http_c)
    # { "METHOD", "/pattern", handler[, relay] }
    routes = re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*\w+\s*(?:,\s*(?:NULL|"[^"]*")\s*)?\}',
                        m.group(1))
    if not routes:
        raise AssertionError("an empty route table in %s" % http_c)
    return routes


def walk(node, path="#"):
    """Every (json pointer, node) of the document."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + "/" + k.replace("~", "~0").replace("/", "~1"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s/%d" % (path, i))


def schemas_of(doc):
    """Every schema object of the document, with where it is."""
    comp = doc.get("components", {})
    for name, sc in comp.get("schemas", {}).items():
        yield "#/components/schemas/" + name, sc
    for name, p in comp.get("parameters", {}).items():
        yield "#/components/parameters/%s/schema" % name, p.get("schema", True)
    for name, h in comp.get("headers", {}).items():
        yield "#/components/headers/%s/schema" % name, h.get("schema", True)
    for where, node in walk(doc):
        if isinstance(node, dict) and "schema" in node and isinstance(node["schema"], dict) \
                and ("/content/" in where or "/parameters/" in where):
            yield where + "/schema", node["schema"]


def check_schema_keywords(d, schema, where, problems):
    """Every keyword of schema and its subschemas within the subset."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        problems.append("%s: not a schema" % where)
        return
    unknown = set(schema) - SCHEMA_KEYWORDS
    if unknown:
        problems.append("%s: keywords outside the checked subset: %s" % (where, sorted(unknown)))
    t = schema.get("type")
    for x in (t if isinstance(t, list) else [t] if t else []):
        if x not in TYPES:
            problems.append("%s: unknown type %r" % (where, x))
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except re.error as e:
            problems.append("%s: bad pattern: %s" % (where, e))
    if "required" in schema and "properties" in schema and \
            schema.get("additionalProperties") is False:
        for r in schema["required"]:
            if r not in schema["properties"]:
                problems.append("%s: requires %r, which it forbids" % (where, r))
    for k in ("properties",):
        for name, sub in schema.get(k, {}).items():
            check_schema_keywords(d, sub, "%s/%s/%s" % (where, k, name), problems)
    for k in ("items", "additionalProperties"):
        if k in schema:
            check_schema_keywords(d, schema[k], "%s/%s" % (where, k), problems)
    for k in ("oneOf", "anyOf", "allOf"):
        for i, sub in enumerate(schema.get(k, [])):
            check_schema_keywords(d, sub, "%s/%s/%d" % (where, k, i), problems)


def check_document(doc, server_dir):
    """The problems of the document itself (an empty list: sound)."""
    problems = []
    if doc.get("openapi") != "3.1.0":
        problems.append("openapi is %r, not 3.1.0" % doc.get("openapi"))
    if doc.get("jsonSchemaDialect", DIALECT) != DIALECT:
        problems.append("jsonSchemaDialect is not OpenAPI 3.1's")
    info = doc.get("info", {})
    for k in ("title", "version"):
        if not isinstance(info.get(k), str) or not info.get(k):
            problems.append("info.%s missing" % k)
    with open(os.path.join(server_dir, "wardd.h"), encoding="utf-8") as f:
        m = re.search(r'#define WARDD_VERSION "([^"]+)"', f.read())
    if m is None or info.get("version") != m.group(1):
        problems.append("info.version %r is not WARDD_VERSION %r"
                        % (info.get("version"), m.group(1) if m else None))
    d = Doc(doc)
    for where, node in walk(doc):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                d.resolve(node["$ref"])
            except SchemaError as e:
                problems.append("%s: %s" % (where, e))
    if problems:
        return problems         # the rest follows $refs
    for where, sc in schemas_of(doc):
        check_schema_keywords(d, sc, where, problems)

    op_ids = set()
    documented = set()          # every documented route
    settled = set()             # those not marked x-ward-provisional
    for template, item in doc.get("paths", {}).items():
        if not template.startswith("/"):
            problems.append("path %r does not start with /" % template)
        names = re.findall(r"\{([^}/]+)\}", template)
        path_params = [d.deref(p) for p in item.get("parameters", [])]
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            where = "%s %s" % (method.upper(), template)
            route = (method.upper(), re.sub(r"\{[^}/]+\}", "*", template))
            documented.add(route)
            if not op.get("x-ward-provisional"):
                settled.add(route)
            oid = op.get("operationId")
            if not oid or oid in op_ids:
                problems.append("%s: operationId %r missing or not unique" % (where, oid))
            op_ids.add(oid)
            params = path_params + [d.deref(p) for p in op.get("parameters", [])]
            in_path = sorted(p["name"] for p in params if p.get("in") == "path")
            if in_path != sorted(names):
                problems.append("%s: path parameters %s, template has %s"
                                % (where, in_path, sorted(names)))
            for p in params:
                if p.get("in") == "path" and p.get("required") is not True:
                    problems.append("%s: path parameter %s not required" % (where, p["name"]))
                if p.get("in") not in ("path", "query", "header", "cookie") or \
                        "schema" not in p or not p.get("name"):
                    problems.append("%s: parameter %r incomplete" % (where, p.get("name")))
            resps = op.get("responses")
            if not resps:
                problems.append("%s: no responses" % where)
                continue
            for code, r in resps.items():
                r = d.deref(r)
                if not re.fullmatch(r"[1-5][0-9][0-9]", code):
                    problems.append("%s: response key %r is not a status" % (where, code))
                if not r.get("description"):
                    problems.append("%s %s: no description" % (where, code))
                if not r.get("content"):
                    problems.append("%s %s: no content (every wardd answer has a body)"
                                    % (where, code))
            if method == "get" and "requestBody" in op:
                problems.append("%s: a GET with a body" % where)
            for sec in op.get("security", []):
                for name in sec:
                    if name not in doc.get("components", {}).get("securitySchemes", {}):
                        problems.append("%s: unknown security scheme %s" % (where, name))

    table = set(route_table(os.path.join(server_dir, "http.c")))
    for method, pattern in sorted(table - documented):
        problems.append("wardd's route %s %s is not in the document" % (method, pattern))
    for method, pattern in sorted(settled - table):
        problems.append("documented %s %s is no route of wardd (mark it x-ward-provisional "
                        "if another branch adds it)" % (method, pattern))
    return problems


def self_test(checker):
    """The checker refuses what it must and takes what it must: problems
    of the checker itself, as strings."""
    def rec(method, path, status, body, ctype="application/json", retry=0):
        return {"method": method, "path": path, "status": status, "content_type": ctype,
                "retry_after": retry, "body": body if isinstance(body, str)
                else json.dumps(body)}

    good = [
        rec("GET", "/v1/health", 200, {"ok": True, "version": "0.1.0", "task_ttl": 600}),
        rec("GET", "/v1/ops/pending", 200, {"ops": []}),
        rec("GET", "/v1/ops/0123456789abcdef0123456789abcdef", 404,
            {"error": "notfound", "message": "no such op"}),
        rec("POST", "/v1/ops/0123456789abcdef0123456789abcdef/answer", 409,
            {"error": "late", "message": "m", "answered_by": "bob"}),
        rec("POST", "/v1/users", 429, {"error": "busy", "message": "m"}, retry=5),
        rec("GET", "/v1/nope", 404, {"error": "notfound", "message": "no such resource"}),
        rec("POST", "/v1/health", 405, {"error": "format", "message": "method not allowed"}),
        rec("GET", None, 414, {"error": "format", "message": "request target too long"}),
        rec("GET", "/v1/bind/tasks/00112233445566778899aabbccddeeff/status", 200,
            {"state": "bound", "role": 0}),
    ]
    bad = [
        ("an undocumented route", rec("GET", "/v1/nope", 200, {"ok": True})),
        ("an undocumented status", rec("GET", "/v1/health", 404,
                                       {"error": "notfound", "message": "m"})),
        ("an undocumented member", rec("GET", "/v1/health", 200,
                                       {"ok": True, "version": "0.1.0", "task_ttl": 600, "x": 1})),
        ("a required member missing", rec("GET", "/v1/health", 200, {"ok": True})),
        ("a missing member", rec("GET", "/v1/escrow", 200, {})),
        ("a wrong type", rec("POST", "/v1/ops/0123456789abcdef0123456789abcdef/answer", 200,
                             {"state": "answered", "n": "1"})),
        ("a boolean for an integer", rec("GET", "/v1/bind/tasks/00112233445566778899aabbccdd"
                                         "eeff/status", 200, {"state": "bound", "role": True})),
        ("a state outside the enum", rec("GET", "/v1/revocations/3", 200,
                                         {"id": 3, "sn": "L", "target": "t", "state": "x"})),
        ("a member of the other oneOf branch", rec(
            "GET", "/v1/bind/tasks/00112233445566778899aabbccddeeff/status", 200,
            {"state": "sealed", "role": 1})),
        ("the wrong error class", rec("GET", "/v1/escrow", 401,
                                      {"error": "forbidden", "message": "m"})),
        ("a 429 without Retry-After", rec("POST", "/v1/users", 429,
                                          {"error": "busy", "message": "m"})),
        ("a Retry-After on a 400", rec("POST", "/v1/users", 400,
                                       {"error": "format", "message": "m"}, retry=3)),
        ("another content type", rec("GET", "/v1/health", 200, "ok", ctype="text/plain")),
        ("a body that is not JSON", rec("GET", "/v1/health", 200, "{ok")),
        ("a pattern broken", rec("GET", "/v1/devices", 200, {"devices": [
            {"cloud_id": "XYZ", "device": "D", "app": "", "attached_ms": 1}]})),
        ("an unknown 405", rec("DELETE", "/v1/health", 405, {"error": "notfound",
                                                             "message": "m"})),
    ]
    out = []
    for r in good:
        p = checker.check_record(r)
        if p:
            out.append("self-test: a documented answer refused: %s" % p)
    for why, r in bad:
        if not checker.check_record(r):
            out.append("self-test: %s was not refused: %r" % (why, r))
    return out


def status_table(protocol_md):
    """{(METHOD, path): set of statuses} from protocol.md's table "Every
    status of every route"."""
    with open(protocol_md, encoding="utf-8") as f:
        text = f.read()
    start = text.find("#### Every status of every route")
    if start < 0:
        return None
    table = {}
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        m = re.match(r"\| `([A-Z]+) (\S+)` \| ([0-9, ]+) \|$", line)
        if m:
            table[(m.group(1), m.group(2))] = {s.strip() for s in m.group(3).split(",")}
    return table


def check_status_table(doc, protocol_md):
    """protocol.md's per-route statuses are exactly the document's."""
    table = status_table(protocol_md)
    if table is None:
        return ["%s has no table \"Every status of every route\"" % protocol_md]
    problems = []
    documented = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if isinstance(op, dict) and "responses" in op:
                documented[(method.upper(), path)] = set(op["responses"])
    for route in sorted(set(documented) | set(table)):
        if route not in table:
            problems.append("protocol.md: %s %s missing from the status table" % route)
        elif route not in documented:
            problems.append("protocol.md: %s %s is not in the OpenAPI document" % route)
        elif table[route] != documented[route]:
            problems.append("protocol.md: %s %s lists %s, the document %s"
                            % (route + (sorted(table[route]), sorted(documented[route]))))
    return problems


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: openapi_check.py DOC SERVER_DIR")
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    problems = check_document(doc, argv[2])
    problems += check_status_table(
        doc, os.path.join(os.path.dirname(os.path.abspath(argv[1])), "protocol.md"))
    if not problems:
        problems = self_test(Checker(doc))
    for p in problems:
        print("openapi: " + p)
    if problems:
        return 1
    print("openapi: %s sound: %d paths, %d routes of wardd, checker self-test passed"
          % (argv[1], len(doc["paths"]), len(route_table(os.path.join(argv[2], "http.c")))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
