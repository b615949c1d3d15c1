"""chartgen's helm-sdk renderer: Helm's engine (helm-python-sdk) kept
running for many renderings of one chart. argv[1] is the chart directory.
Once the chart is loaded it writes one line {"ready": true}; then, for each
line {"values", "name", "namespace"} on stdin, one line on stdout:
{"manifests": {path: text}} or {"error": text}."""
import json
import sys

try:
    import helm_python as helm
    from helm_python.chart import Chart
except ImportError as error:
    sys.stderr.write(f"helm-python-sdk is not installed: {error}\n")
    sys.exit(3)


def main() -> None:
    with Chart.load(sys.argv[1]) as chart:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            case = json.loads(line)
            try:
                answer = {"manifests": chart.render(values=case["values"], name=case["name"], namespace=case["namespace"])}
            except helm.HelmError as error:
                answer = {"error": str(error)}
            except Exception as error:  # the engine's other failures are refusals of this values set too
                answer = {"error": f"{type(error).__name__}: {error}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


main()
