"""hueproof's Flask app factory. Views decode the request, call a package, serialise."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify, request

from calibration.errors import HueproofError, InvalidImageError, InvalidInputError

PROBLEM_TYPES = {
    InvalidImageError: ("invalid-image", 422),
    InvalidInputError: ("invalid-input", 422),
}


def _problem(kind: str, status: int, detail: str):
    resp = jsonify(
        {"type": f"https://hueproof.example/problems/{kind}", "title": kind.replace("-", " "),
         "status": status, "detail": detail}
    )  # fmt: skip
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then ``HUEPROOF_*`` environment variables, then test_config."""
    app = Flask(__name__)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("HUEPROOF_DATA", "./var"), MAX_CONTENT_LENGTH=40 * 2**20
    )
    app.config.from_prefixed_env("HUEPROOF")
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)

    @app.errorhandler(HueproofError)
    def _hueproof_error(exc):
        kind, status = next(
            (v for k, v in PROBLEM_TYPES.items() if isinstance(exc, k)), ("calibration-failed", 422)
        )
        return _problem(kind, status, str(exc))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/api/v1/measure")
    def measure():
        from calibration.measure import measure_shade
        from calibration.region import parse_roi
        from vision.ingest import ingest_image

        photo = request.files.get("photo")
        if photo is None:
            raise InvalidInputError("expected a multipart field 'photo'; got none")
        image = ingest_image(photo.read())
        roi = parse_roi(request.form.get("roi", ""), width=image.width, height=image.height)
        ref = request.form.get("reference_lab")
        ref_lab = None
        if ref:
            try:
                ref_lab = [float(v) for v in ref.split(",")]
            except ValueError:
                raise InvalidInputError(f"expected reference_lab as L,A,B; got {ref!r}") from None
        tol = float(request.form.get("tolerance", 3.0))
        m = measure_shade(image.rgb_lin, roi=roi, reference_lab=ref_lab, tolerance=tol)
        return {**m.to_dict(), "image": image.facts()}

    return app
