"""Real Helm's strvals parsers (helm-python-sdk) for a batch of arguments,
for tests/strvals_fuzz.rs. Reads [{"kind", "arg"}] on stdin, kind being
"set", "set-string" or "set-json", and writes, in the same order,
[{"values": {...}} | {"error": text}] on stdout as ASCII JSON."""
import json
import sys

import helm_python as helm

PARSERS = {
    "set": helm.parse_set_string,
    "set-string": helm.parse_set_string_values,
    "set-json": helm.parse_set_json,
}


def answer(case):
    try:
        return {"values": PARSERS[case["kind"]](case["arg"])}
    except helm.HelmError as error:
        return {"error": str(error)}


def main() -> None:
    cases = json.load(sys.stdin.buffer)
    json.dump([answer(case) for case in cases], sys.stdout)


main()
