"""The pinned MediaPipe face landmarker model (see ``provision.py``)."""
