"""The base of every request body of the Service mode: strict types, and text that can be stored.

Job: :class:`CproModel` is pydantic's ``BaseModel`` with strict types (a number is not taken for
a string), unknown fields ignored (as Chorus Pro does), and every text field refused when it
holds a lone UTF-16 surrogate (``"\\ud800"`` in JSON): such text cannot be encoded as UTF-8, so
the ledger and the XML flows could not store it; the request is a 400 instead of a 500.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class CproModel(BaseModel):
    """A request body: strict, unknown fields ignored, no unencodable text."""

    model_config = ConfigDict(strict=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _encodable(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():  # C speed: a deposit is ~70 KB
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:  # only a lone surrogate fails here
                raise ValueError(
                    "caractère invalide (surrogate) | invalid character (lone surrogate)"
                ) from exc
        return value
