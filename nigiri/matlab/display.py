"""How a Matrix prints: its size, class and device, then the values in MATLAB order
(pages ``(:,:,k)`` for N-d arrays)."""

from __future__ import annotations

import itertools
import textwrap

import numpy as np

import nigiri as ng

from ._layout import size_of

__all__ = ["matrix_repr"]

_MAX_SHOWN = 1000  # elements printed before the values are summarised


def _page(host: np.ndarray) -> str:
    text = np.array2string(host, separator="  ").replace("[", " ").replace("]", "")
    return textwrap.indent(textwrap.dedent(text), "    ")


def matrix_repr(a: "Matrix") -> str:  # noqa: F821  (imported lazily by matrix.py)
    size = size_of(a._a)
    head = f"Matrix({'x'.join(map(str, size))} {a.klass} on {a.device})"
    if a.numel() == 0:
        return head + " []"
    if a.numel() > _MAX_SHOWN:
        return head
    host = np.asarray(ng.to_numpy(a._a)).T  # MATLAB order
    if host.ndim == 2:
        return head + "\n" + _page(host)
    parts = [head]
    for idx in itertools.product(*(range(d) for d in size[2:])):
        label = ",".join(str(i + 1) for i in idx)
        parts.append(f"(:,:,{label}) =\n" + _page(host[(slice(None), slice(None)) + idx]))
    return "\n".join(parts)
