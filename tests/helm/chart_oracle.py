"""Real Helm (helm-python-sdk) for chartgen's chart tests. Reads one JSON
request on stdin and writes one JSON answer on stdout:

  {"op": "render", "chart": DIR, "cases": [{"values", "name", "namespace"}]}
      -> [{"manifests": {path: text}} | {"error": text}]
  {"op": "lint", "chart": DIR, "cases": [{"values"}]}
      -> [{"messages": [{"severity", "path", "error"}], "errors": [...]}]
  {"op": "validate", "chart": DIR, "cases": [{"values"}]}
      -> [null | error text]   (values.schema.json, as helm install checks it)
"""
import json
import sys

import helm_python as helm
from helm_python.chart import Chart, lint


def render(chart, case):
    try:
        return {"manifests": chart.render(values=case["values"], name=case["name"], namespace=case["namespace"])}
    except helm.HelmError as error:
        return {"error": str(error)}


def validate(chart, case):
    try:
        chart.validate_schema(values=case["values"])
        return None
    except helm.HelmError as error:
        return str(error)


def main() -> None:
    request = json.load(sys.stdin)
    directory = request["chart"]
    if request["op"] == "lint":
        answer = [lint(directory, values=case["values"], strict=True) for case in request["cases"]]
    else:
        with Chart.load(directory) as chart:
            answer = [(render if request["op"] == "render" else validate)(chart, case) for case in request["cases"]]
    json.dump(answer, sys.stdout, ensure_ascii=False)


main()
