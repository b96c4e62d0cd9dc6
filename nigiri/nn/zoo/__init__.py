"""The model zoo: JSON network definitions shipped with nigiri.

``lenet`` (Caffe's MNIST LeNet), ``vgg16``, ``resnet18``, ``resnet50``, ``resnet152``.
Each file carries a ``recipe`` (default optimizer, learning rate, schedule, batch
size, epochs) used by ``nigiri train`` unless overridden. ``tools/make_zoo.py``
generates them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["zoo_names", "zoo_definition", "zoo_path"]

_DIR = Path(__file__).resolve().parent


def zoo_names() -> list[str]:
    """Names of the zoo's networks."""
    return sorted(p.stem for p in _DIR.glob("*.json"))


def zoo_path(name: str) -> Path:
    """The JSON file of zoo network ``name`` (``ValueError`` listing the names)."""
    path = _DIR / f"{name}.json"
    if not name or "/" in name or "\\" in name or not path.is_file():
        raise ValueError(f"{name!r} is neither a JSON file nor a zoo network; zoo networks: "
                         f"{', '.join(zoo_names())}")
    return path


def zoo_definition(name: str) -> dict[str, Any]:
    """The parsed definition of zoo network ``name``."""
    return json.loads(zoo_path(name).read_text())
