"""``python -m models.face_matcher [--force]``: fetch and verify the face matcher."""

from models.face_matcher import main

raise SystemExit(main())
