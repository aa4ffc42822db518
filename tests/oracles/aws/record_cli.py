#!/usr/bin/env python3
"""Record what the real AWS CLI prints for the two SSM patch calls.

Serves canned awsJson1_1 responses on a loopback HTTP server, runs the CLI
against it (`--endpoint-url http://127.0.0.1:PORT`), and writes, per case,
under OUT/<case>/:

  cmd.txt        the argv (PORT shown as {PORT}), the env overrides, exit code
  request.json   every HTTP request the CLI sent (method, path, X-Amz-Target,
                 Content-Type, the raw body and the body parsed as JSON);
                 volatile headers (signature, date, user agent, ids) omitted
  response.json  the canned response body, byte for byte as served
                 (paginated cases: response.page1.json, response.page2.json...)
  stdout.json    the CLI's stdout, byte for byte
  stderr.txt     the CLI's stderr (only written when non-empty)

Usage:
  record_cli.py [--aws /tmp/awsvenv/bin/aws] [--out tests/data/aws/cli-v2]
                [--only CASE ...]

Stdlib only. Nothing but 127.0.0.1 is contacted: the CLI gets fake static
credentials, an explicit region, an empty config file, a temporary HOME and
AWS_EC2_METADATA_DISABLED=true. Every CLI run has a 120 s timeout.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IID = "i-0123456789abcdef0"
IID2 = "i-0fedcba9876543210"
BASELINE = "pb-0123456789abcdef0"
STATES = ["ssm", "describe-instance-patch-states", "--instance-ids", IID]
PATCHES = ["ssm", "describe-instance-patches", "--instance-id", IID]


def body(obj):
    """Response bytes: keys in the order written here, UTF-8, not escaped."""
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


FULL_STATE = {  # every InstancePatchState member, in model order
    "InstanceId": IID,
    "PatchGroup": "web-servers",
    "BaselineId": BASELINE,
    "SnapshotId": "2a0fd0a6-1c5b-4e3f-9a0b-0123456789ab",
    "InstallOverrideList": "s3://patch-bucket/overrides/install-list.yaml",
    "OwnerInformation": "owner: platform-team",
    "InstalledCount": 412,
    "InstalledOtherCount": 1337,
    "InstalledPendingRebootCount": 3,
    "InstalledRejectedCount": 0,
    "MissingCount": 2147483647,
    "FailedCount": 1,
    "UnreportedNotApplicableCount": 4294967296,
    "NotApplicableCount": 9007199254740993,
    "AvailableSecurityUpdateCount": 7,
    "OperationStartTime": 1748779200,
    "OperationEndTime": 1748779200.123,
    "Operation": "Install",
    "LastNoRebootInstallOperationTime": 1748692800.5,
    "RebootOption": "NoReboot",
    "CriticalNonCompliantCount": 2,
    "SecurityNonCompliantCount": 5,
    "OtherNonCompliantCount": 18446744073709551616,
}

MINIMAL_STATE = {  # only the members the model marks required
    "InstanceId": IID,
    "PatchGroup": "",
    "BaselineId": BASELINE,
    "OperationStartTime": 1748779200,
    "OperationEndTime": 1748779260,
    "Operation": "Scan",
}

# Same values as FULL_STATE, member order reversed, plus a member the model
# does not know, one explicit null, and counts sent as float / string.
SHUFFLED_STATE = dict(reversed(list(FULL_STATE.items())))
SHUFFLED_STATE = {"FutureMember": {"x": 1}, "SnapshotId": None, **{
    k: v for k, v in SHUFFLED_STATE.items() if k != "SnapshotId"}}
SHUFFLED_STATE["InstanceId"] = IID2
SHUFFLED_STATE["InstalledCount"] = 412.0
SHUFFLED_STATE["FailedCount"] = "1"

PATCH_WITH_CVES = {
    "Title": "openssl.x86_64:1:3.0.8-1.amzn2023.0.14",
    "KBId": "openssl.x86_64",
    "Classification": "Security",
    "Severity": "Important",
    "State": "MISSING",
    "InstalledTime": 0,
    "CVEIds": "CVE-2024-5535,CVE-2024-6119",
}
PATCH_NO_CVES = {
    "Title": "Mise à jour de sécurité — 日本語 ✓ 😀 \"q\" \\ / </x> \u2028 \t\u001b",
    "KBId": "KB5034441",
    "Classification": "SecurityUpdates",
    "Severity": "Critical",
    "State": "INSTALLED",
    "InstalledTime": 1748779200,
}
PATCH_SHUFFLED = {
    "Unknown": True,
    "CVEIds": "CVE-2023-0001",
    "InstalledTime": 1748779200.123,
    "State": "FAILED",
    "Severity": "",
    "Classification": "",
    "KBId": "curl.x86_64",
    "Title": "curl.x86_64:0:8.5.0-1.amzn2023.0.4",
}


def patch_at(n, t):
    return {"Title": f"ts-{n}", "KBId": f"kb-{n}", "Classification": "Updates",
            "Severity": "Low", "State": "INSTALLED_OTHER", "InstalledTime": t}


TS_PATCHES = [
    patch_at("int", 1748779200),
    patch_at("float-.0", 1748779200.0),
    patch_at("frac-.5", 1748779200.5),
    patch_at("frac-.123", 1748779200.123),
    patch_at("frac-.123456", 1748779200.123456),
    patch_at("frac-.1234567", 1748779200.1234567),
    patch_at("frac-.000001", 1748779200.000001),
    patch_at("frac-.9999999", 1748779200.9999999),
    patch_at("zero", 0),
    patch_at("negative", -1),
    patch_at("y2038+", 2147483648),
    patch_at("y2100", 4102444800),
    patch_at("string-epoch", "1748779200"),
    patch_at("string-iso-Z", "2025-06-01T12:00:00Z"),
    patch_at("string-iso-offset", "2025-06-01T14:00:00.25+02:00"),
]

TZ_CASES = ["UTC", "America/New_York", "Asia/Kolkata"]

# name -> (argv after `aws`, [response bodies], env overrides, config text)
CASES = {
    "states-full": (STATES, [body({"InstancePatchStates": [FULL_STATE]})], {}, ""),
    "states-minimal": (STATES, [body({"InstancePatchStates": [MINIMAL_STATE]})], {}, ""),
    "states-shuffled": (
        STATES + [IID2],
        [body({"Unknown": 1, "InstancePatchStates": [MINIMAL_STATE, SHUFFLED_STATE]})],
        {}, ""),
    "states-empty-list": (STATES, [body({"InstancePatchStates": []})], {}, ""),
    "states-empty-object": (STATES, [b"{}"], {}, ""),
    "states-empty-object-no-paginate": (STATES + ["--no-paginate"], [b"{}"], {}, ""),
    "states-paginated": (
        STATES + [IID2],
        [body({"NextToken": "tok-page-2", "InstancePatchStates": [MINIMAL_STATE]}),
         body({"InstancePatchStates": [FULL_STATE], "NextToken": ""})],
        {}, ""),
    "states-paginated-no-paginate": (
        STATES + ["--no-paginate"],
        [body({"NextToken": "tok-page-2", "InstancePatchStates": [MINIMAL_STATE]})],
        {}, ""),
    "states-max-items": (
        STATES + [IID2, "--max-items", "1"],
        [body({"InstancePatchStates": [MINIMAL_STATE, FULL_STATE]})],
        {}, ""),
    "patches-mixed": (
        PATCHES,
        [body({"Patches": [PATCH_WITH_CVES, PATCH_NO_CVES, PATCH_SHUFFLED]})],
        {}, ""),
    "patches-escaped-input": (
        PATCHES,
        [json.dumps({"Patches": [PATCH_NO_CVES]}, ensure_ascii=True).encode()],
        {}, ""),
    "patches-paginated": (
        PATCHES,
        [body({"Patches": [PATCH_WITH_CVES], "NextToken": "p2"}),
         body({"Patches": [PATCH_NO_CVES], "NextToken": "p3"}),
         body({"Patches": []})],
        {}, ""),
    "patches-empty-object": (PATCHES, [b"{}"], {}, ""),
    "patches-null-element": (
        PATCHES, [b'{"Patches": [null, ' + body(PATCH_WITH_CVES) + b']}'], {}, ""),
    "states-null-list": (STATES, [b'{"InstancePatchStates": null}'], {}, ""),
    "patches-timestamps-wire-format": (
        PATCHES, [body({"Patches": TS_PATCHES})], {},
        "[default]\ncli_timestamp_format = wire\n"),
}
for tz in TZ_CASES:
    slug = tz.replace("/", "-")
    CASES[f"patches-timestamps-TZ-{slug}"] = (
        PATCHES, [body({"Patches": TS_PATCHES})], {"TZ": tz}, "")
    CASES[f"states-full-TZ-{slug}"] = (
        STATES, [body({"InstancePatchStates": [FULL_STATE]})], {"TZ": tz}, "")
del CASES["states-full-TZ-UTC"]  # same as states-full (which runs with TZ=UTC)

BASE_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "y",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
KEPT_HEADERS = ["X-Amz-Target", "Content-Type"]


class State:
    pages = []
    requests = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            parsed = json.loads(raw.decode("utf-8"))
        except ValueError:
            parsed = None
        State.requests.append({
            "method": "POST",
            "path": self.path,
            "headers": {h: self.headers.get(h) for h in KEPT_HEADERS},
            "body": raw.decode("utf-8", "replace"),
            "body_parsed": parsed,
        })
        if State.pages:
            status, payload = 200, State.pages.pop(0)
        else:
            status = 400
            payload = b'{"__type":"RecorderError","message":"no canned page left"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def run_case(name, spec, aws, out, port, scratch):
    argv, pages, env_over, config = spec
    State.pages = list(pages)
    State.requests = []
    home = os.path.join(scratch, name)
    os.makedirs(home)
    cfg = os.path.join(home, "config")
    with open(cfg, "w") as fh:
        fh.write(config)
    env = dict(BASE_ENV, HOME=home, AWS_CONFIG_FILE=cfg,
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "credentials"))
    env.update(env_over)
    full = [aws, "--endpoint-url", "http://127.0.0.1:%d" % port] + argv + ["--output", "json"]
    proc = subprocess.run(full, env=env, capture_output=True, timeout=120)
    d = os.path.join(out, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    shown = ["aws" if full[0] == aws else full[0]] + [
        a.replace(str(port), "{PORT}") for a in full[1:]]
    with open(os.path.join(d, "cmd.txt"), "w") as fh:
        fh.write("argv: %s\n" % json.dumps(shown))
        fh.write("env (complete; HOME, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE "
                 "point into an empty temp dir): %s\n"
                 % json.dumps({k: v for k, v in env.items() if k not in
                               ("HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")},
                              sort_keys=True))
        fh.write("config file contents: %s\n" % json.dumps(config))
        fh.write("exit code: %d\n" % proc.returncode)
        fh.write("http requests served: %d (canned pages left unused: %d)\n"
                 % (len(State.requests), len(State.pages)))
    with open(os.path.join(d, "request.json"), "w") as fh:
        fh.write(json.dumps(State.requests, indent=2, ensure_ascii=False) + "\n")
    if len(pages) == 1:
        with open(os.path.join(d, "response.json"), "wb") as fh:
            fh.write(pages[0])
    else:
        for i, p in enumerate(pages, 1):
            with open(os.path.join(d, "response.page%d.json" % i), "wb") as fh:
                fh.write(p)
    with open(os.path.join(d, "stdout.json"), "wb") as fh:
        fh.write(proc.stdout)
    if proc.stderr:
        with open(os.path.join(d, "stderr.txt"), "wb") as fh:
            fh.write(proc.stderr)
    print("%-45s rc=%d requests=%d stdout=%dB" % (
        name, proc.returncode, len(State.requests), len(proc.stdout)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aws", default="/tmp/awsvenv/bin/aws")
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "aws", "cli-v2"))
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    version = subprocess.run([args.aws, "--version"], capture_output=True,
                             env=dict(BASE_ENV), timeout=60)
    with open(os.path.join(out, "VERSION.txt"), "wb") as fh:
        fh.write(version.stdout + version.stderr)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scratch = tempfile.mkdtemp(prefix="aws-record-")
    try:
        for name, spec in CASES.items():
            if args.only and name not in args.only:
                continue
            run_case(name, spec, args.aws, out, port, scratch)
    finally:
        server.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
