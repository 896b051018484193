"""``python -m consent.offline``: verify-export, as the README shows it."""

from consent.offline.verify import main

raise SystemExit(main())
