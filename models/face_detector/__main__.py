"""``python -m models.face_detector [--force]``: fetch and verify the face detector."""

from models.face_detector import main

raise SystemExit(main())
