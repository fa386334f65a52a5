#!/usr/bin/python3
"""Parses a Prometheus text exposition with Debian's python3-prometheus-client and prints it as JSON.

    parse_metrics.py FILE

Prints {"<family>": {"type": ..., "help": ..., "samples": [{"name": ..., "labels": {...}, "value": ...}]}} on
stdout. The client names a counter family without its _total suffix (the samples keep it). A value that JSON cannot
hold (+Inf, NaN) is printed as a string. Exits 1, with the parser's complaint on stderr, when the text does not parse.
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    out = {}
    try:
        for family in text_string_to_metric_families(text):
            samples = []
            for s in family.samples:
                value = s.value if math.isfinite(s.value) else str(s.value)
                samples.append({"name": s.name, "labels": dict(s.labels), "value": value})
            out[family.name] = {"type": family.type, "help": family.documentation, "samples": samples}
    except Exception as e:  # the parser raises ValueError and friends on malformed text
        print(f"the exposition does not parse: {e!r}", file=sys.stderr)
        return 1
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
