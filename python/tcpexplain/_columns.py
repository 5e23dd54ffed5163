"""The native module's columns (``src/python/export.rs``) as pyarrow, pandas
or NumPy arrays.

Each column comes as ``(name, kind, dictionary, chunks)``, a tuple of NumPy
arrays per chunk in Arrow's layout: the columns the trace keeps are lent
(read-only arrays over the trace's own buffers), the columns computed when
asked are given. pyarrow arrays are made over those buffers without copying
(``Array.from_buffers``); pandas and NumPy get copies of their own.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

Spec = Tuple[str, str, Optional[List[str]], List[Any]]

#: Columns that always have a value (``int64`` in pandas; the other integer
#: columns are the nullable ``Int64``).
NOT_NULL = {
    "line",
    "conn",
    "len",
    "first_line",
    "last_line",
    "segments",
    "bytes_client",
    "bytes_server",
    "problems",
    "icmp_errors",
}


def not_null(name: str) -> bool:
    return name in NOT_NULL or name.startswith(("events_", "problems_"))


def need(module: str, what: str, extra: str) -> Any:
    """Imports ``module``, or raises an ImportError that says how to install it."""
    try:
        # (`__import__`, which the import statement calls: whatever stands in
        # for it is asked, as for any import.)
        return __import__(module, fromlist=["__name__"])
    except ImportError as e:
        raise ImportError(
            f"{what} needs {module.split('.')[0]}: pip install {module.split('.')[0]} "
            f"(or pip install 'tcpexplain[{extra}]')"
        ) from e


# -- pyarrow -------------------------------------------------------------


def arrow_type(pa: Any, kind: str) -> Any:
    """The Arrow type of a column of ``kind``."""
    return {
        "int64": pa.int64(),
        "uint32": pa.uint32(),
        "uint64": pa.uint64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "dict8": pa.dictionary(pa.int8(), pa.string()),
        "dict16": pa.dictionary(pa.int16(), pa.string()),
        "dict_str": pa.dictionary(pa.int32(), pa.string()),
        "list_str": pa.list_(pa.string()),
        "list_str_py": pa.list_(pa.string()),
        "sack": pa.list_(pa.struct([("first", pa.uint32()), ("last", pa.uint32())])),
        "text": pa.large_string(),
        "str": pa.string(),
    }[kind]


def _buffer(pa: Any, array: Any) -> Any:
    return None if array is None else pa.py_buffer(array)


def arrow_chunk(pa: Any, kind: str, dictionary: Any, chunk: Any) -> Any:
    """One chunk of a column as a pyarrow array (over the same buffers when
    the layout allows: every kind but ``bool`` and the Python lists)."""
    if kind in ("int64", "uint32", "uint64", "float64"):
        validity, values = chunk
        return pa.Array.from_buffers(
            arrow_type(pa, kind), len(values), [_buffer(pa, validity), pa.py_buffer(values)]
        )
    if kind == "bool":
        validity, values = chunk
        mask = None if validity is None else ~_unpack(validity, len(values))
        return pa.array(values.astype(bool), type=pa.bool_(), mask=mask)
    if kind in ("dict8", "dict16"):
        (codes,) = chunk
        index = pa.int8() if kind == "dict8" else pa.int16()
        indices = pa.Array.from_buffers(index, len(codes), [None, pa.py_buffer(codes)])
        return pa.DictionaryArray.from_arrays(indices, dictionary)
    if kind == "list_str":
        lists, offsets, data = chunk
        values = pa.Array.from_buffers(
            pa.string(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        return pa.ListArray.from_arrays(_int32(pa, lists), values)
    if kind == "sack":
        lists, first, last = chunk
        blocks = pa.StructArray.from_arrays(
            [
                pa.Array.from_buffers(pa.uint32(), len(first), [None, pa.py_buffer(first)]),
                pa.Array.from_buffers(pa.uint32(), len(last), [None, pa.py_buffer(last)]),
            ],
            names=["first", "last"],
        )
        return pa.ListArray.from_arrays(_int32(pa, lists), blocks)
    if kind == "text":
        offsets, data = chunk
        return pa.LargeStringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
        )
    if kind == "dict_str":
        return pa.array(chunk, type=pa.string()).dictionary_encode()
    return pa.array(chunk, type=arrow_type(pa, kind))


def _int32(pa: Any, offsets: Any) -> Any:
    return pa.Array.from_buffers(pa.int32(), len(offsets), [None, pa.py_buffer(offsets)])


def arrow_table(specs: Sequence[Spec], extra: Optional[Dict[str, Any]] = None) -> Any:
    """A ``pyarrow.Table`` of the columns (``extra``: columns to add first,
    name to a value for every row)."""
    pa = need("pyarrow", "to_arrow()", "arrow")
    columns: Dict[str, Any] = {}
    rows = None
    for name, kind, dictionary, chunks in specs:
        names = None if dictionary is None else pa.array(dictionary, type=pa.string())
        arrays = [arrow_chunk(pa, kind, names, chunk) for chunk in chunks]
        column = pa.chunked_array(arrays, type=arrow_type(pa, kind))
        columns[name] = column
        rows = len(column)
    if extra:
        first = {
            name: pa.array([value] * (rows or 0), type=pa.string()) for name, value in extra.items()
        }
        columns = {**first, **columns}
    return pa.table(columns)


# -- NumPy and pandas ------------------------------------------------------


def _unpack(validity: Any, length: int) -> Any:
    """Arrow's validity bitmap as booleans (True: a value)."""
    import numpy as np

    return np.unpackbits(validity, bitorder="little", count=length).astype(bool)


def _joined(np: Any, arrays: List[Any], dtype: Any) -> Any:
    if not arrays:
        return np.empty(0, dtype=dtype)
    if len(arrays) == 1:
        return np.array(arrays[0], dtype=dtype)  # a copy, to be changed at will
    return np.concatenate(arrays).astype(dtype, copy=False)


def values_and_mask(np: Any, kind: str, chunks: List[Any]) -> Tuple[Any, Any]:
    """A numeric column's values (int64 or float64, a copy) and where they are
    missing (``None`` when none is)."""
    dtype = np.float64 if kind == "float64" else np.int64
    values = _joined(np, [c[1] for c in chunks], dtype)
    if all(c[0] is None for c in chunks):
        return values, None
    missing = np.concatenate(
        [
            np.zeros(len(v), dtype=bool) if valid is None else ~_unpack(valid, len(v))
            for valid, v in chunks
        ]
    )
    return values, missing


def numpy_column(np: Any, kind: str, dictionary: Any, chunks: List[Any]) -> Any:
    """A column as one NumPy array: numbers as float64 with NaN where
    missing, categories as an array of str (for plots)."""
    if kind in ("int64", "uint32", "uint64", "float64", "bool"):
        values, missing = values_and_mask(np, "float64", chunks)
        if missing is not None:
            values[missing] = np.nan
        return values
    if kind in ("dict8", "dict16"):
        codes = _joined(np, [c[0] for c in chunks], np.int64)
        return np.asarray(dictionary, dtype=object)[codes]
    return np.asarray(python_lists(kind, chunks), dtype=object)


def python_lists(kind: str, chunks: List[Any]) -> List[Any]:
    """A list column (events, SACK blocks) as one tuple per row (rows with
    the same list share it)."""
    out: List[Any] = []
    empty: Tuple[Any, ...] = ()
    for chunk in chunks:
        if kind in ("list_str_py", "str", "dict_str"):
            out.extend(chunk)
            continue
        lists = chunk[0].tolist()
        items: List[Any]
        if kind == "list_str":
            offsets, data = chunk[1].tolist(), bytes(chunk[2])
            items = [data[a:b].decode() for a, b in zip(offsets, offsets[1:])]
        else:
            items = list(zip(chunk[1].tolist(), chunk[2].tolist()))
        seen: Dict[Tuple[Any, ...], Tuple[Any, ...]] = {}
        for a, b in zip(lists, lists[1:]):
            if a == b:
                out.append(empty)
            else:
                value = tuple(items[a:b])
                out.append(seen.setdefault(value, value))
    return out


def pandas_frame(specs: Sequence[Spec], order: Sequence[str]) -> Any:
    """A ``pandas.DataFrame`` of the columns, in ``order``."""
    import numpy as np
    import pandas as pd

    arrow = _has_pyarrow()
    data: Dict[str, Any] = {}
    for name, kind, dictionary, chunks in specs:
        if kind in ("np_int64", "np_float64"):
            # (Joined and widened by the native module: one array, given.)
            ((missing, values),) = chunks
            if kind == "np_float64" or (missing is None and not_null(name)):
                data[name] = values
            else:
                if missing is None:
                    missing = np.zeros(len(values), dtype=bool)
                data[name] = pd.arrays.IntegerArray(values, missing)
        elif kind in ("int64", "uint32", "uint64"):
            values, missing = values_and_mask(np, kind, chunks)
            if not_null(name) and missing is None:
                data[name] = values
            else:
                if missing is None:
                    missing = np.zeros(len(values), dtype=bool)
                data[name] = pd.arrays.IntegerArray(values, missing)
        elif kind == "float64":
            values, missing = values_and_mask(np, kind, chunks)
            if missing is not None:
                values[missing] = np.nan
            data[name] = values
        elif kind == "bool":
            values, missing = values_and_mask(np, "int64", chunks)
            values = values.astype(bool)
            data[name] = values if missing is None else pd.arrays.BooleanArray(values, missing)
        elif kind in ("dict8", "dict16"):
            codes = _joined(np, [c[0] for c in chunks], np.int64)
            data[name] = pd.Categorical.from_codes(codes, categories=dictionary)
        elif kind == "dict_str":
            data[name] = pd.Categorical(python_lists(kind, chunks))
        elif kind == "text":
            if arrow:
                data[name] = _arrow_strings(pd, np, chunks)
            else:
                data[name] = np.array(
                    [
                        bytes(d[a:b]).decode()
                        for offsets, d in chunks
                        for a, b in zip(offsets.tolist(), offsets[1:].tolist())
                    ],
                    dtype=object,
                )
        elif kind in ("list_str", "sack") and arrow:
            import pyarrow as pa

            names = None if dictionary is None else pa.array(dictionary, type=pa.string())
            column = pa.chunked_array(
                [arrow_chunk(pa, kind, names, c) for c in chunks], type=arrow_type(pa, kind)
            )
            data[name] = pd.arrays.ArrowExtensionArray(column)
        elif kind == "str":
            data[name] = pd.array(python_lists(kind, chunks), dtype=_str_dtype(pd, np))
        else:
            values = np.empty(sum(_rows(kind, c) for c in chunks), dtype=object)
            values[:] = python_lists(kind, chunks)
            data[name] = values
    return pd.DataFrame(data, columns=list(order), copy=False)


def _rows(kind: str, chunk: Any) -> int:
    if kind in ("list_str_py", "str", "dict_str"):
        return len(chunk)
    return len(chunk[0]) - 1


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _str_dtype(pd: Any, np: Any) -> Any:
    if _has_pyarrow():
        try:
            return pd.StringDtype("pyarrow", na_value=np.nan)
        except TypeError:  # pragma: no cover - pandas before 2.3
            return pd.StringDtype("pyarrow")
    return object


def _arrow_strings(pd: Any, np: Any, chunks: List[Any]) -> Any:
    """A pandas string array over Arrow buffers, one chunk per (int64 offsets,
    UTF-8 bytes) pair, without copying them."""
    import pyarrow as pa

    array = pa.chunked_array(
        [arrow_chunk(pa, "text", None, chunk) for chunk in chunks],
        type=pa.large_string(),
    )
    try:
        # pandas' own `str` dtype (the default for strings from pandas 3 on).
        dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pragma: no cover - pandas before 2.3
        dtype = pd.StringDtype("pyarrow")
    return pd.array(array, dtype=dtype)
