"""Times real Helm (helm-python-sdk, in process) rendering a chart: reads
{"chart": DIR, "cases": [{"values", "name", "namespace"}], "rounds": N} on
stdin and prints {"seconds": [total render time of each round]}; only the
render calls are timed, not loading the chart or starting Python."""
import json
import sys
import time

from helm_python.chart import Chart


def main() -> None:
    request = json.load(sys.stdin)
    rounds = []
    with Chart.load(request["chart"]) as chart:
        for _ in range(request["rounds"]):
            start = time.perf_counter()
            for case in request["cases"]:
                chart.render(values=case["values"], name=case["name"], namespace=case["namespace"])
            rounds.append(time.perf_counter() - start)
    json.dump({"seconds": rounds}, sys.stdout)


main()
