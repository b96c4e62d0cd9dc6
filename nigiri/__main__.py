"""``python -m nigiri`` runs the ``nigiri`` command."""

import sys

from .cli import main

sys.exit(main())
