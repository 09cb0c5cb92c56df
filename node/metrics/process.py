"""The process's own figures and the host's network bytes, read with psutil when asked.

- `ProcessFigures`: CPU seconds (user + system, this process only, not its children), resident
  memory in bytes, open file descriptors, start time and uptime.
  ``open_files`` counts every descriptor (regular files, LevelDB's, sockets, pipes): what the
  ``ulimit -n`` of the node is spent on, and what runs out first under many links and clients.
  psutil's ``open_files()`` lists regular files only and reads every descriptor's details, too
  dear to run at each scrape; where the system has no descriptors (Windows) it is the handle count.
- `HostNetwork`: bytes sent and received by every network interface of the host
  (``psutil.net_io_counters``). They are **system-wide**: no operating system reports them per
  process without privileges, so a host running other programs, or several nodes, shows their
  traffic too. The node's own traffic is what its links carry (`node.metrics.sources.LinkFigures`:
  bytes per peer, counted by `node.net`), which the metrics report beside these.

A `ProcessReader` holds one ``psutil.Process`` (its start time is read once); each read is a few
reads of /proc on Linux, cheap enough for every scrape and every ``GET /api/v1/node``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class ProcessFigures:
    cpu_seconds: float
    memory_bytes: int
    open_files: int
    started_at: float  # seconds since 1970
    uptime_s: float


@dataclass(frozen=True, slots=True)
class HostNetwork:
    sent_bytes: int
    received_bytes: int


class ProcessReader:
    """This process's figures (or another's, by pid: tests)."""

    def __init__(self, pid: int | None = None) -> None:
        self._process = psutil.Process(os.getpid() if pid is None else pid)
        self._started_at = self._process.create_time()

    def read(self) -> ProcessFigures:
        p = self._process
        with p.oneshot():
            cpu = p.cpu_times()
            memory = p.memory_info().rss
            descriptors = p.num_fds() if hasattr(p, "num_fds") else p.num_handles()
        return ProcessFigures(cpu_seconds=cpu.user + cpu.system, memory_bytes=memory, open_files=descriptors,
                              started_at=self._started_at, uptime_s=max(0.0, time.time() - self._started_at))

    @staticmethod
    def host_network() -> HostNetwork | None:
        """The host's network bytes (system-wide, see the module docstring); None where unknown."""
        counters = psutil.net_io_counters()
        if counters is None:  # a system without network interfaces
            return None
        return HostNetwork(counters.bytes_sent, counters.bytes_recv)
