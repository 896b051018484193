"""``python -m bench [sections]``: the same as ``python -m bench.run`` (``make bench``)."""

import sys

from .run import main

sys.exit(main())
