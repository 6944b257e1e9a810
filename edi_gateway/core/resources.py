"""Where the gateway's own data files are: ``rules/``, ``xslt/``, ``xsd/`` and the demo config.

Job: give every module one way to name a file the project ships, so that a normal (wheel) install
and a source checkout behave the same. An installed wheel carries the files inside the package, in
``edi_gateway/_data/`` (the ``package-dir`` mapping of ``pyproject.toml`` puts the repository's
``rules/``, ``xslt/``, ``xsd/`` and ``config.toml`` there), found through
:mod:`importlib.resources`. A source checkout (an editable install, the tests) has no
``_data/``: the files are read from the checkout's own folders, beside the package. Input: a
folder name and a file name; output: an absolute :class:`~pathlib.Path` (Saxon and lxml want real
files, so a zipped install is not supported). It never copies, downloads or writes anything.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

#: The folders a file can be asked from, as they are named in the repository.
FOLDERS = ("rules", "xslt", "xsd")


@functools.cache
def data_root() -> Path:
    """The folder holding ``rules/``, ``xslt/``, ``xsd/`` and ``config.toml``: the package's
    ``_data`` in an installed wheel, else the source checkout's root."""
    packaged = resources.files("edi_gateway") / "_data"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged.resolve()
    return Path(__file__).resolve().parents[2]


def data_file(folder: str, name: str) -> Path:
    """The shipped file ``<folder>/<name>`` (``folder`` one of :data:`FOLDERS`), e.g.
    ``data_file("rules", "lifecycle.toml")``. The path may not exist; readers report that.

    Raises:
        ValueError: ``folder`` is not one of :data:`FOLDERS`.
    """
    if folder not in FOLDERS:
        raise ValueError(f"no shipped data folder {folder!r}; one of {', '.join(FOLDERS)}")
    return data_root() / folder / name


def demo_config() -> Path:
    """The shipped demo ``config.toml`` (demo structures, embedded SQLite)."""
    return data_root() / "config.toml"
