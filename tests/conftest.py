"""Shared fixtures: repository paths and the optional ../shared material."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The shared corpus and reference schemas: ``../shared`` beside the clone, or the folder named by
#: the environment variable EDI_GATEWAY_SHARED.
SHARED = Path(os.environ.get("EDI_GATEWAY_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus"
REFERENCE = SHARED / "reference"
STATUT_XSD = REFERENCE / "cpp" / "CPPStatutPivot_V1_19.xsd"
PIVOT_XSD = REFERENCE / "cpp" / "CPPFacturePivot_V2_02.xsd"


def need_shared(path: Path) -> Path:
    """Return ``path`` or skip the calling test when ../shared (or that file) is absent."""
    if not path.exists():
        pytest.skip(
            f"needs {path} (the shared corpus/reference folder: ../shared beside the clone, "
            "or set EDI_GATEWAY_SHARED)"
        )
    return path
