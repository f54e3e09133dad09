#!/usr/bin/env python3
"""Registration bodies of every field type, posted to live FastMCP and to the model.

Usage: register-field-types.py LIVE_URL MODEL_URL > tests/live-answers/register-field-types-fastmcp.jsonl

LIVE_URL is FastMCP 4.2.3 (scripts/providers/fastmcp/start.sh), MODEL_URL is
`oauth-oracle serve --profile fastmcp`. Every field of the SDK's registration model
(OAuthClientMetadata) is sent every JSON type; each pair of fields a wrong one (the order of
the errors); and bodies that are not objects. Prints the live answers as JSON lines
(body, status, answer; a 201's issued values masked) and, on stderr, every body whose answers
differ and the count.
"""
import itertools
import json
import re
import sys
import urllib.error
import urllib.request

OK = ["http://localhost:9999/cb"]
WRONG = [1, 1.5, -3, True, False, None, "", "s", "http://x/cb", [], ["x"], [1], [None], [True],
         [["a"]], [{}], {}, {"a": 1}]
FIELDS = ["redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "scope",
          "client_name", "client_uri", "logo_uri", "contacts", "tos_uri", "policy_uri", "jwks_uri",
          "jwks", "software_id", "software_version", "application_type"]


def bodies():
    for f in FIELDS:
        for w in WRONG:
            b = {"redirect_uris": OK}
            b[f] = w
            yield json.dumps(b)
    for f, g in itertools.combinations(FIELDS, 2):
        b = {"redirect_uris": OK}
        b[f] = 1
        b[g] = 1
        yield json.dumps(b)
        b = {g: 1, f: 1}
        if "redirect_uris" not in (f, g):
            b["redirect_uris"] = OK
        yield json.dumps(b)
    yield from ["", "null", "1", "[]", "\"x\"", "{", "{}",
                "{\"redirect_uris\":[\"http://localhost:9999/cb\"],}", "[1,2]", "true"]


def post(base, body):
    req = urllib.request.Request(base + "/register", data=body.encode(), method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, mask(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, mask(e.read().decode())


def mask(s):
    s = re.sub(r'"client_id":"[^"]*"', '"client_id":"X"', s)
    s = re.sub(r'"client_secret":"[^"]*"', '"client_secret":"X"', s)
    s = re.sub(r'"client_id_issued_at":\d+', '"client_id_issued_at":0', s)
    return re.sub(r'"client_secret_expires_at":\d+', '"client_secret_expires_at":0', s)


def main():
    live_url, model_url = sys.argv[1:3]
    n = differ = 0
    for body in bodies():
        live, model = post(live_url, body), post(model_url, body)
        n += 1
        if live != model:
            differ += 1
            print(f"differ: {body}\n  live  {live}\n  model {model}", file=sys.stderr)
        line = {"body": body, "status": live[0], "answer": live[1]}
        print(json.dumps(line, separators=(",", ":")))
    print(f"{n} bodies, {differ} differ", file=sys.stderr)


if __name__ == "__main__":
    main()
