"""Interchange: DLPack round trips (values and zero-copy aliasing), ``.npy``/``.npz``
round trips through ``ng.save``/``ng.load``, transfers, pickling, namespace info,
synchronize. All exact."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..case import Case
from ..inputs import Input
from ._util import ALL, arr, dt, mk, rng, strided

__all__ = ["cases"]

G = "interchange"
_DL = "from nigiri.conformance.case import DLPackView\n"
_NPY = ("import os, tempfile\nwith tempfile.TemporaryDirectory() as d:\n"
        "    p = os.path.join(d, 'a.npy')\n    ng.save(p, x1)\n    out = ng.load(p, device=x1.device)")
_NPZ = ("import os, tempfile\nwith tempfile.TemporaryDirectory() as d:\n"
        "    p = os.path.join(d, 'a.npz')\n    ng.save(p, {'a': x1, 'b': x2})\n"
        "    got = ng.load(p, device=x1.device)\n    out = [got['a'], got['b']]")
_BAD = ("import os, tempfile\nwith tempfile.TemporaryDirectory() as d:\n"
        "    p = os.path.join(d, 'bad.npy')\n    open(p, 'wb').write(b'\\x93NUMPY\\x01\\x00garbage')\n"
        "    out = ng.load(p, device=x1.device)")


def cases() -> Iterator[Case]:
    dl = ("to_dlpack", "dlpack_device", "from_dlpack")
    for dtype in ALL:
        r = rng(f"interchange{dtype}")
        q = dtype in (dt("float32"), dt("int32"))
        x, xs, v = arr(r, dtype, (3, 4)), strided(r, dtype, (3, 4)), arr(r, dtype, ())
        n = dtype.name
        yield mk(f"dlpack[{n},round-trip]", "dlpack", G, (x,),
                 _DL + "out = ng.from_dlpack(DLPackView(x1), device=x1.device)", needs=dl, quick=q)
        yield mk(f"dlpack[{n},aliases]", "dlpack", G, (x, v),
                 _DL + "y = ng.from_dlpack(DLPackView(x1), device=x1.device)\nx1[1] = x2\nout = y",
                 needs=dl, quick=q)
        yield mk(f"dlpack[{n},strided]", "dlpack", G, (xs,),
                 _DL + "out = ng.from_dlpack(DLPackView(x1), device=x1.device)", needs=dl)
        yield mk(f"npy[{n},round-trip]", "npy", G, (x,), _NPY, quick=q)
        yield mk(f"npy[{n},strided]", "npy", G, (xs,), _NPY)
        yield mk(f"npy[{n},0d]", "npy", G, (v,), _NPY)
        yield mk(f"npz[{n},two-arrays]", "npy", G, (x, Input(np.zeros((0, 2), dtype))), _NPZ)
        yield mk(f"to_device[{n},numpy-and-back]", "to_device", G, (xs,),
                 "out = x1.to_device('numpy').to_device(x1.device)", quick=q)
        yield mk(f"to_numpy[{n},strided]", "to_numpy", G, (xs,), "ng.asarray(ng.to_numpy(x1), device=x1.device)")
        yield mk(f"pickle[{n},round-trip]", "pickle", G, (xs,),
                 "import pickle\nout = pickle.loads(pickle.dumps(x1))")
    r = rng("interchange-misc")
    x = arr(r, dt("float32"), (3,))
    yield mk("npy[float32,malformed]", "npy", G, (x,), _BAD, raises=ValueError)
    yield mk("synchronize[float32]", "synchronize", G, (x,), "ng.synchronize(x1.device)\nout = x1 + 1")
    yield mk("namespace_info[default_dtypes]", "namespace_info", G, (x,),
             "info = ng.__array_namespace_info__()\n"
             "out = repr(sorted((k, str(v)) for k, v in info.default_dtypes(device=x1.device).items()))")
    yield mk("device[attribute]", "device", G, (x,), "out = (x1 + 1).device == x1.device")
