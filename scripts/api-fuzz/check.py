#!/usr/bin/env python3
"""Reads a Schemathesis NDJSON report and fails unless every failure it records is a
schema-valid request refused by a rule that stays in code (exceptions.toml, which follows
docs/api.md's list) or by the state of the data (FAILED_PRECONDITION: a fund too small, a
project not yet published).

Usage: check.py REPORT.ndjson EXCEPTIONS.toml
"""

import base64
import collections
import json
import sys
import tomllib


def decoded(content):
    if not content:
        return None
    raw = base64.b64decode(content["$base64"]) if "$base64" in content else content.get("string", "")
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


def failures(report):
    """(check name, operation, interaction) of every failed check in the report."""
    with open(report, encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished.get("recorder", {})
            interactions = recorder.get("interactions", {})
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    info = check.get("failure_info")
                    if not info:
                        continue
                    operation = info["failure"].get("operation", recorder.get("label", "?"))
                    yield check["name"], operation, info["failure"], interactions.get(case_id)


def explained(operation, interaction, allowed):
    """Why a refusal of schema-valid data is right, or None."""
    if not interaction or not interaction.get("response"):
        return None
    body = decoded(interaction["response"].get("content"))
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if code == "FAILED_PRECONDITION":
        return "state"
    if code != "INVALID_ARGUMENT":
        return None
    fields = [v.get("field") for v in body.get("details", {}).get("field_violations", [])]
    permitted = set(allowed.get("*", [])) | set(allowed.get(operation, []))
    prefixes = tuple(p[:-1] for p in permitted if p.endswith(".*"))
    if fields and all(field in permitted or field.startswith(prefixes or ("\0",)) for field in fields):
        return "rule in code"
    if not fields and "<json>" in permitted:
        return "rule in code (the JSON form of a oneof)"
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], "rb") as file:
        allowed = tomllib.load(file)["fields"]
    counts = collections.Counter()
    unexplained = []
    for name, operation, failure, interaction in failures(sys.argv[1]):
        why = explained(operation, interaction, allowed) if name == "positive_data_acceptance" else None
        if why:
            counts[why] += 1
            continue
        response = interaction and interaction.get("response") or {}
        unexplained.append(
            f"{name} {operation}: {failure.get('title')}: "
            f"{json.dumps(decoded(response.get('content')), ensure_ascii=False)[:400]}"
        )
    for why, count in sorted(counts.items()):
        print(f"fuzz-api: {count} schema-valid requests refused, rightly ({why})")
    for line in unexplained:
        print(f"fuzz-api: UNEXPLAINED {line}")
    print(f"fuzz-api: {len(unexplained)} unexplained failures")
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
