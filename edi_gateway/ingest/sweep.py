"""The sweep: the channel folders are the truth, events are only hints.

Job: list what lies directly in each channel folder and note every entry in the
:class:`~edi_gateway.ingest.claim.Settler` (it decides when a file is complete). Sub-folders are
never taken; one that is not itself a channel folder is logged once per name
(``channel.subfolder_ignored``, warning), not on every sweep. Input: the channels -> output:
candidates noted in the settler, and log lines. It never opens, claims or moves a file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edi_gateway.core.config import Channel
from edi_gateway.ingest.claim import Settler, readable


class ChannelSweep:
    """Sweeps the channel folders into a settler.

    Args:
        channels: the configured inbound channels. settler: where candidates are noted.
        log: a structlog logger (``channel.swept``, ``channel.subfolder_ignored``).
    """

    def __init__(self, channels: Sequence[Channel], settler: Settler, log: Any) -> None:
        self.channels = tuple(channels)
        self.settler = settler
        self.log = log
        self.channel_folders = {str(c.folder) for c in channels}
        self.subfolders_seen: set[str] = set()

    def sweep(self) -> int:
        """Note every entry directly in each channel folder; return how many were noted. A
        folder that cannot be listed is logged (``channel.swept``, error) and skipped."""
        noted = 0
        for channel in self.channels:
            try:
                with os.scandir(channel.folder) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            self._subfolder(channel, entry.path)
                        else:
                            self.settler.note(entry.path, channel)
                            noted += 1
            except OSError as exc:
                self.log.error("channel.swept", channel=channel.name, message=str(exc))
        self.log.debug("channel.swept", files=noted, pending=len(self.settler))
        return noted

    def _subfolder(self, channel: Channel, path: str) -> None:
        """Log a sub-folder of a channel folder the first time it is seen (channel folders of
        other channels, such as ``inbound/recipient-status``, are expected and not logged)."""
        if path in self.subfolders_seen or path in self.channel_folders:
            return
        self.subfolders_seen.add(path)
        self.log.warning(
            "channel.subfolder_ignored",
            channel=channel.name,
            folder=readable(Path(path).name),
            message="sub-folders are not watched: drop files directly in the channel folder",
        )
