"""``edi-gateway invoices``: placeholder until its issue lands (exit 2)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register the command on the top-level parser."""
    parser = subparsers.add_parser("invoices", help="(not available yet)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Say the command is not available yet."""
    print("edi-gateway invoices: not available yet", file=sys.stderr)
    return 2
