"""Native libraries' start-up chatter on stderr, held back while models are built."""

from __future__ import annotations

import os
import threading

import pytest

from models.native import CHATTER, quiet_start

#: Lines as MediaPipe, TensorFlow Lite and OpenCV printed them when the models were built.
PRINTED = (
    b"WARNING: Logging before InitGoogle() is written to STDERR\n",
    b"W0000 00:00:1796598786.636444   13610 face_landmarker_graph.cc:181] Sets "
    b"FaceBlendshapesGraph acceleration to xnnpack by default.\n",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    b"I0000 00:00:1796598786.654172   13614 inference_feedback_manager.cc:121] Feedback "
    b"manager requires a model with a single signature inference.\n",
    b"[ WARN:0@0.722] global net_impl_backend.cpp:388 setPreferableTarget Targets are not "
    b"supported by the new graph engine for now\n",
)
#: Lines that must pass: absl's error, OpenCV's error, Python's logging and a request log.
KEPT = (
    b"E0000 00:00:1796598786.7   13614 face_landmarker_graph.cc:90] model file is broken\n",
    b"[ERROR:0@0.9] global onnx_importer.cpp:1034 cannot parse the model\n",
    b'INFO:werkzeug:127.0.0.1 - - [06/Dec/2026 23:30:00] "GET /claim HTTP/1.1" 200 -\n',
    b"WARNING:root:the job queue is full\n",
)


def test_chatter_is_held_back_and_every_other_line_written_on(capfd):
    def other_thread():
        os.write(2, KEPT[2])

    with quiet_start():
        for line in PRINTED[:3]:
            os.write(2, line)
        os.write(2, KEPT[0])
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        for line in (*PRINTED[3:], KEPT[1], KEPT[3]):
            os.write(2, line)
    os.write(2, b"after\n")
    err = capfd.readouterr().err.encode()
    assert err == KEPT[0] + KEPT[2] + KEPT[1] + KEPT[3] + b"after\n"
    assert all(CHATTER.match(line) for line in PRINTED)
    assert not any(CHATTER.match(line) for line in KEPT)


def test_an_error_while_building_keeps_what_was_printed(capfd):
    with pytest.raises(RuntimeError, match="broken"), quiet_start():
        os.write(2, PRINTED[1] + KEPT[0])
        raise RuntimeError("the model is broken")
    assert capfd.readouterr().err.encode() == KEPT[0]
    os.write(2, b"stderr is back\n")
    assert capfd.readouterr().err == "stderr is back\n"


def test_building_the_models_prints_nothing(capfd):
    """The face landmarker (five lines before) and the face detector in a new thread (one
    line: it is built once per thread)."""
    import models.face_detector as detector
    from vision.landmarks import FaceLandmarker

    capfd.readouterr()
    with FaceLandmarker():
        pass
    t = threading.Thread(target=detector._detector)
    t.start()
    t.join()
    assert capfd.readouterr().err == ""
