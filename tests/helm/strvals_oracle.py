"""Reads --set cases from tests/data/strvals-cases.json and prints what real
Helm (helm-python-sdk, which embeds Helm's strvals parser) makes of each:
{"kind", "arg", "base", "result"} with result null when Helm rejects it."""
import json
import sys

import helm_python as helm

PARSERS = {
    "set": helm.parse_set_string,
    "set-string": helm.parse_set_string_values,
    "set-json": helm.parse_set_json,
}


def main() -> None:
    cases = json.load(open(sys.argv[1]))
    out = []
    for case in cases:
        kind, arg = case["kind"], case["arg"]
        try:
            result = PARSERS[kind](arg)
        except helm.HelmError:
            result = None
        out.append({"kind": kind, "arg": arg, "result": result})
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


main()
