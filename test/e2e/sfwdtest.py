"""Shared by the Python drivers of the end-to-end tests (stdlib only)."""

import argparse


def send_check_args(send=(), check=()):
    """The command line of a driver with two subcommands: "send" (--kam,
    --port, --out and SEND's) and "check" (--sent, --recv and CHECK's);
    SEND and CHECK: (name, add_argument keywords) pairs. The parsed
    arguments; a.cmd is "send" or "check"."""
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("send")
    s.add_argument("--kam", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--out", required=True)
    for name, kw in send:
        s.add_argument(name, **kw)
    c = sp.add_parser("check")
    c.add_argument("--sent", required=True)
    c.add_argument("--recv", required=True)
    for name, kw in check:
        c.add_argument(name, **kw)
    return ap.parse_args()
