"""``python -m vision.people [--force]``: fetch and verify the held-out photos."""

from vision.people import main

raise SystemExit(main())
