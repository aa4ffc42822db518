#!/usr/bin/env python3
"""Extract the SSM output shapes that `scan --format aws` mirrors.

Usage: extract_ssm_shapes.py PATH/TO/service-2.json[.gz] > tests/data/aws/ssm-patch-shapes.json

PATH is botocore's `botocore/data/ssm/2014-11-06/service-2.json` (PyPI's
botocore wheel ships it gzip-compressed as `service-2.json.gz`; both forms are
accepted). Stdlib only.

The output holds:
  * "metadata": the protocol-related keys of the model's metadata;
  * "operations": the DescribeInstancePatchStates and DescribeInstancePatches
    operation entries, verbatim (their input shapes are NOT extracted);
  * "shapes": every shape reachable from the two operations' output shapes,
    verbatim (documentation included), in the order they appear in the model;
    member order inside each shape is kept exactly as in the model.
"""
import gzip
import hashlib
import json
import sys

OPERATIONS = ["DescribeInstancePatchStates", "DescribeInstancePatches"]
METADATA_KEYS = ["apiVersion", "endpointPrefix", "jsonVersion", "protocol",
                 "protocols", "serviceFullName", "serviceId", "signatureVersion",
                 "targetPrefix", "uid"]


def load(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw, json.loads(raw.decode("utf-8"))  # dicts keep file order


def refs(shape):
    """Names of shapes referenced by one shape, in member order."""
    out = []
    for key in ("member", "key", "value"):
        if key in shape:
            out.append(shape[key]["shape"])
    for member in shape.get("members", {}).values():
        out.append(member["shape"])
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: extract_ssm_shapes.py PATH/TO/service-2.json[.gz]")
    raw, model = load(argv[1])
    shapes = model["shapes"]
    seen = set()
    todo = [model["operations"][op]["output"]["shape"] for op in OPERATIONS]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(refs(shapes[name]))
    extract = {
        "_extract": {
            "tool": "tests/oracles/aws/extract_ssm_shapes.py",
            "source_sha256_uncompressed": hashlib.sha256(raw).hexdigest(),
            "roots": [model["operations"][op]["output"]["shape"] for op in OPERATIONS],
        },
        "metadata": {k: model["metadata"][k] for k in METADATA_KEYS
                     if k in model["metadata"]},
        "operations": {op: model["operations"][op] for op in OPERATIONS},
        "shapes": {name: shape for name, shape in shapes.items() if name in seen},
    }
    sys.stdout.write(json.dumps(extract, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv)
