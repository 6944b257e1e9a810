"""``edi-gateway accounts add|list|remove``: technical accounts and OAuth2 clients of the API.

``accounts add LOGIN --structure SIRET:ROLE[:SERVICE,...]`` (several ``--structure`` allowed)
creates a technical account; ``accounts add --client CLIENT_ID`` an OAuth2 client. The password
or secret is asked twice on a terminal, read from the first line of stdin otherwise, or made
up and printed once with ``--generate``; only its Argon2id hash is written. ``accounts list``
prints accounts and their rights (never a hash); ``accounts remove NAME`` removes one. The file is
``[api] accounts`` of config.toml. Exit codes: 0 done, 2 usage or file error.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.terminal import json_text
from edi_gateway.web import accounts_file
from edi_gateway.web.accounts import AccountBook


def add_parser(subparsers: Any) -> None:
    """Register ``accounts add|list|remove``."""
    parser = subparsers.add_parser(
        "accounts",
        help="add, list or remove the API's technical accounts and OAuth2 clients",
        description="Technical accounts (cpro-account header) and OAuth2 clients (token) of the "
        "Service mode, in the [api] accounts file.",
    )
    sub = parser.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="add a technical account (or --client an OAuth2 client)")
    add.add_argument("name", metavar="LOGIN", help="login (or client id with --client)")
    add.add_argument(
        "--structure",
        action="append",
        default=[],
        metavar="SIRET:ROLE[:SERVICES]",
        help="a structure it acts for: role supplier, recipient or both; services comma-separated",
    )
    add.add_argument("--client", action="store_true", help="add an OAuth2 client instead")
    add.add_argument("--generate", action="store_true", help="make up the secret and print it")
    add_config_argument(add)
    add.set_defaults(handler=run_add)
    listing = sub.add_parser("list", help="list accounts, clients and rights")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    add_config_argument(listing)
    listing.set_defaults(handler=run_list)
    remove = sub.add_parser("remove", help="remove an account or a client")
    remove.add_argument("name", metavar="NAME")
    add_config_argument(remove)
    remove.set_defaults(handler=run_remove)


def _file(args: argparse.Namespace) -> Any:
    config = config_module.load(args.config)
    if config.api.accounts is None:
        raise ConfigError(f"{config.path}: [api] accounts is empty: no accounts file")
    return config.api.accounts


def _secret(generate: bool) -> str:
    if generate:
        made = secrets.token_urlsafe(18)
        print(f"secret (shown once): {made}")
        return made
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise ConfigError("the two passwords differ")
    else:
        first = sys.stdin.readline().rstrip("\n")
    if len(first) < 8:
        raise ConfigError("the password must have at least 8 characters")
    return first


def run_add(args: argparse.Namespace) -> int:
    """Add an account or a client. Exit 0, or 2 (ConfigError, printed by the CLI)."""
    path = _file(args)
    if args.client:
        accounts_file.add_client(path, args.name, _secret(args.generate))
        print(f"client {args.name} added to {path}")
        return 0
    rights = [accounts_file.parse_right(text) for text in args.structure]
    if not rights:
        raise ConfigError("give at least one --structure SIRET:ROLE")
    accounts_file.add_account(path, args.name, _secret(args.generate), rights)
    print(f"account {args.name} added to {path}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print accounts and clients (no hash)."""
    book = AccountBook(_file(args)).current()
    items = [
        {
            "login": a.login,
            "structures": [
                {"siret": r.siret, "role": r.role, "services": list(r.services)}
                for r in a.structures
            ],
        }
        for a in book.accounts.values()
    ]
    clients = sorted(book.clients)
    if args.format == "json":
        print(json_text({"accounts": items, "clients": clients}, indent=2))
        return 0
    for account in book.accounts.values():
        rights = ", ".join(
            f"{r.siret} {r.role}" + (f" ({'/'.join(r.services)})" if r.services else "")
            for r in account.structures
        )
        print(f"account {account.login}: {rights}")
    for client in clients:
        print(f"client {client}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Remove an account or a client."""
    path = _file(args)
    kind = accounts_file.remove(path, args.name)
    print(f"{kind} {args.name} removed from {path}")
    return 0
