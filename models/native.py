"""What native libraries print on stderr while a model is built.

MediaPipe (absl logging), TensorFlow Lite and OpenCV's DNN write informational lines and
warnings straight to file descriptor 2 when a model is loaded, past Python's ``sys.stderr``
and ``GLOG_minloglevel``: five lines for the face landmarker, one for the face detector,
before every command's own output (``hueproof analyze`` printed six). They say nothing a user
can act on. :func:`quiet_start` holds them back; any other line, an error above all, is
written on once the model is built.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager

__all__ = ["CHATTER", "quiet_start"]

#: Lines held back, as the libraries print them (MediaPipe 0.10 / 1.2, OpenCV 5.1): absl's
#: notice that it logs before initialisation, its informational and warning lines (an
#: ``I`` or ``W``, the date as MMDD, the time, the thread and the source file; ``E`` and
#: ``F``, errors, pass), TensorFlow Lite's delegate notice, OpenCV's informational and
#: warning lines.
CHATTER = re.compile(
    rb"WARNING: Logging before InitGoogle\(\) is written to STDERR"
    rb"|[IW]\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\] "
    rb"|INFO: Created TensorFlow Lite \w+ delegate"
    rb"|\[ ?(?:INFO|WARN):\d+@[\d.]+\] "
)


@contextmanager
def quiet_start():
    """Build a native model with :data:`CHATTER` on file descriptor 2 held back.

    What is written to descriptor 2 meanwhile (by any thread) goes to a temporary file; when
    the block ends, whether it raised or not, every line that is not chatter is written to
    descriptor 2, in order. Without a descriptor 2 (a daemon that closed it) nothing is held.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                held.seek(0)
                kept = [line for line in held.read().splitlines(keepends=True)
                        if not CHATTER.match(line)]  # fmt: skip
                if kept:
                    os.write(2, b"".join(kept))
    finally:
        os.close(saved)
