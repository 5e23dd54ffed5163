"""Whether a whole trace of a file fits in memory: :func:`explain_file`'s warning."""

from __future__ import annotations

import os
import warnings
from typing import Optional, Union

#: What a whole trace keeps per segment, about (the columns of facts, with
#: room for the rare ones; ``python/bench/bench_pandas.py`` measures it on
#: a million-line dump).
BYTES_PER_SEGMENT = 120

#: The share of the memory available a trace may take before
#: :func:`explain_file` warns: what analysis makes of it (a DataFrame holds
#: about twice as much again) needs the rest.
SHARE = 0.5

#: Bytes read from the start of a file to guess how many lines it holds.
SAMPLE = 1 << 20


class MemoryWarning(ResourceWarning):
    """:func:`tcpexplain.explain_file` would keep more than the memory it has:
    ``keep="summary"``, :func:`tcpexplain.iter_batches` or
    :func:`tcpexplain.explain_files` read a file of any size."""


def available_memory() -> Optional[int]:
    """Bytes of memory this process may still use, as far as the system
    says: the memory available (Linux's ``MemAvailable``), less when a cgroup
    (a container) or an address-space limit (``ulimit -v``) allows less;
    ``None`` when unknown."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    cgroup = _cgroup_room()
    if cgroup is not None:
        limits.append(cgroup)
    address_space = _address_space_room()
    if address_space is not None:
        limits.append(address_space)
    if not limits:
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, OSError, ValueError):
            pass
    return min(limits) if limits else None


def _address_space_room() -> Optional[int]:
    """What an address-space limit (``ulimit -v``) leaves this process."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status", encoding="ascii") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (ImportError, OSError, ValueError, StopIteration):
        return None
    return max(0, soft - size)


def _cgroup_room() -> Optional[int]:
    """What the cgroup v2 (or v1) memory limit of this process leaves."""
    pairs = [
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ]
    for limit_path, usage_path in pairs:
        try:
            with open(limit_path, encoding="ascii") as f:
                limit = f.read().strip()
            with open(usage_path, encoding="ascii") as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or int(limit) >= 1 << 60:
            return None
        return max(0, int(limit) - usage)
    return None


def estimated_segments(path: Union[str, "os.PathLike[str]"], size: int) -> int:
    """About how many lines (so, at most, segments) a file of ``size`` bytes
    holds, from the mean length of the lines of its first MiB."""
    with open(path, "rb") as f:
        sample = f.read(SAMPLE)
    lines = sample.count(b"\n")
    if lines == 0:
        return 1 if size else 0
    return int(size * lines / len(sample))


def warn_if_too_big(path: Union[str, "os.PathLike[str]"], stacklevel: int = 3) -> None:
    """Warns (:class:`MemoryWarning`) when the whole trace of the regular
    file ``path`` would take more than :data:`SHARE` of the memory available."""
    try:
        stat = os.stat(path)
    except OSError:
        return  # explain_file says why
    import stat as st

    if not st.S_ISREG(stat.st_mode) or stat.st_size < SAMPLE:
        return
    available = available_memory()
    if available is None:
        return
    try:
        segments = estimated_segments(path, stat.st_size)
    except OSError:
        return
    needed = segments * BYTES_PER_SEGMENT
    if needed <= available * SHARE:
        return
    warnings.warn(
        MemoryWarning(
            f"explain_file({os.fspath(path)!r}): about {segments:,} segments, whose trace "
            f"takes about {needed / 2**30:.1f} GiB, and {available / 2**30:.1f} GiB of memory "
            "is available. To read it whatever its size: explain_file(path, keep='summary') "
            "(the connections' summaries only), tcpexplain.iter_batches(path) (the segments "
            "a record batch at a time), or tcpexplain.explain_files([path], out=DIR) (to Parquet)."
        ),
        stacklevel=stacklevel,
    )
