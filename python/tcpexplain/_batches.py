"""A file's segments a record batch at a time: :func:`iter_batches`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Union

from ._columns import arrow_table, need
from ._tcpexplain import FileBatches

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow


class BatchReader:
    """The segments of a file as :class:`pyarrow.RecordBatch` es, read as
    they are asked for (see :func:`iter_batches`).

    Iterating gives the batches; :meth:`connections` the summaries of the
    connections that ended since it was last called; :attr:`lines` how many
    lines were read so far. Memory holds one batch and the connections still
    open, whatever the size of the file.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        rows: int = 65_536,
        columns: Optional[Sequence[str]] = None,
        text: bool = False,
        lang: Optional[str] = None,
    ) -> None:
        need("numpy", "iter_batches()", "arrow")
        need("pyarrow", "iter_batches()", "arrow")
        from ._trace import COLUMNS

        names: List[str] = list(COLUMNS) if columns is None else list(columns)
        if text and "text" not in names:
            names.append("text")
        self._native = FileBatches(path, rows, names, lang)

    def __iter__(self) -> Iterator["pyarrow.RecordBatch"]:
        return self

    def __next__(self) -> "pyarrow.RecordBatch":
        specs = self._native.next_chunk()
        if specs is None:
            raise StopIteration
        (batch,) = arrow_table(specs).to_batches()
        return batch

    def connections(self, text: bool = False) -> "pyarrow.Table":
        """The summaries of the connections that ended since the last call, as
        a :class:`pyarrow.Table` with :meth:`Trace.connections_frame`'s
        columns (every summary once; at the end of the file, the connections
        still open)."""
        return arrow_table(self._native.take_connections(text))

    @property
    def lines(self) -> int:
        """Number of input lines read so far."""
        return self._native.lines

    @property
    def done(self) -> bool:
        """Whether the whole file has been read and given."""
        return self._native.done


def iter_batches(
    path: Union[str, "os.PathLike[str]"],
    *,
    rows: int = 65_536,
    columns: Optional[Sequence[str]] = None,
    text: bool = False,
    lang: Optional[str] = None,
) -> BatchReader:
    """Reads and explains a file ``rows`` segments at a time, as
    :class:`pyarrow.RecordBatch` es: the way through files bigger than memory.

    Each batch has :meth:`Trace.to_arrow`'s columns (``columns`` picks some;
    ``text=True`` adds the explanations, in ``lang`` as for :func:`explain`); the reader's
    :meth:`~BatchReader.connections` gives the summaries of the connections
    that have ended. Only one batch and the connections still open are held
    at a time, so memory does not grow with the file::

        reader = tcpexplain.iter_batches("huge.txt")
        for batch in reader:
            df = batch.to_pandas()              # 65,536 segments
            ...
        summaries = reader.connections()        # a pyarrow.Table

    The work of each batch is done without the GIL. Needs pyarrow (``pip
    install 'tcpexplain[arrow]'``).
    """
    return BatchReader(path, rows, columns, text, lang)
