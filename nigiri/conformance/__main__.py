"""``python -m nigiri.conformance``."""

import sys

from .cli import main

sys.exit(main())
