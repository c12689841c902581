"""hueproof's Flask app factory. Views decode the request, call a package, serialise.

Every route is declared through :func:`_route`, which also records it for the OpenAPI 3
document served at ``/api/v1/openapi.json`` (request bodies are the pydantic models of
``claims/api.py``, responses those of ``claims/responses.py``). Every error is
``application/problem+json`` with a specific ``type``.
"""

from __future__ import annotations

import atexit
import gzip
import os
from pathlib import Path

from flask import Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from calibration.errors import (
    CalibrationError,
    HueproofError,
    ImageTooLarge,
    InvalidImageError,
    InvalidInputError,
    UnsupportedImageType,
)
from claims import api, responses
from claims.errors import (
    ConsentRequired,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    RateLimited,
    StateConflict,
    Unauthorized,
)

#: error class → (problem type, HTTP status); the first match in this order wins.
PROBLEM_TYPES = (
    (Unauthorized, "unauthorized", 401),
    (Forbidden, "forbidden", 403),
    (NotFound, "not-found", 404),
    (StateConflict, "conflict", 409),
    (RateLimited, "too-many-requests", 429),
    (IdempotencyConflict, "idempotency-key-reused", 422),
    (ConsentRequired, "consent-required", 422),
    (ImageTooLarge, "too-large", 413),
    (UnsupportedImageType, "unsupported-media-type", 415),
    (InvalidImageError, "invalid-image", 422),
    (InvalidInputError, "invalid-input", 422),
    (CalibrationError, "calibration-failed", 422),
    (HueproofError, "invalid-input", 422),
)
PROBLEM_BASE = "https://hueproof.example/problems/"
API = "/api/v1"


def _problem(kind: str, status: int, detail: str, **extra):
    body = {"type": PROBLEM_BASE + kind, "title": kind.replace("-", " "), "status": status,
            "detail": detail, **extra}  # fmt: skip
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="hueproof"'
    return resp


def _not_a_number(constant: str):
    raise ValueError(f"{constant} is no JSON number (RFC 8259)")


class _StrictJSON(DefaultJSONProvider):
    """Request bodies read as JSON is written (RFC 8259): Python's json reads NaN and
    Infinity, which no field of this API means (a NaN reflectance gave a NaN Lab that no
    report could record)."""

    def loads(self, s, **kwargs):
        return super().loads(s, parse_constant=_not_a_number, **kwargs)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then ``HUEPROOF_*`` environment variables, then test_config."""
    from claims.broker import BrokerDispatch, broker_url
    from claims.db import open_store
    from claims.jobs import Linking, WorkerPool
    from claims.keys import KeyRing
    from claims.service import ClaimsService, ServiceConfig
    from vision.landmarks import LandmarkerOptions, LazyFaceLandmarker

    app = Flask(__name__)
    app.json = _StrictJSON(app)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("HUEPROOF_DATA", "./var"),
        MAX_CONTENT_LENGTH=40 * 2**20,
        WEBHOOK_RETRY_SECONDS=30.0,
        DATABASE_URL=None,
        # with a broker (redis://… or amqp://…; else the BROKER_URL environment variable)
        # `hueproof worker` processes analyse, not this one (claims/broker.py)
        BROKER_URL=None,
        BROKER_QUEUE="hueproof.analysis",
        ANALYSIS_WORKERS=1,
        REVEAL_SECONDS=300,
        REVEAL_ALERT_PER_HOUR=10,
        CLAIMS_PER_HOUR=20,
        PURGE_AFTER_DAYS=30,
        APPEAL_DAYS=30,
        FACE_MODEL=None,
    )
    app.config.from_prefixed_env("HUEPROOF")
    if test_config:
        app.config.from_mapping(test_config)
    data_dir = Path(app.config["DATA_DIR"])
    store = open_store(data_dir, app.config["DATABASE_URL"])
    keys = KeyRing(data_dir / "keys")
    config = ServiceConfig(
        reveal_seconds=int(app.config["REVEAL_SECONDS"]),
        reveal_alert_per_hour=int(app.config["REVEAL_ALERT_PER_HOUR"]),
        claims_per_hour=int(app.config["CLAIMS_PER_HOUR"]),
        purge_after_days=int(app.config["PURGE_AFTER_DAYS"]),
        appeal_days=int(app.config["APPEAL_DAYS"]),
        max_image_bytes=int(app.config["MAX_CONTENT_LENGTH"]),
        webhook_retry_base=float(app.config["WEBHOOK_RETRY_SECONDS"]),
    )
    landmarker = LazyFaceLandmarker(LandmarkerOptions(model_path=app.config["FACE_MODEL"]))
    service = ClaimsService(store, keys, config, landmarker)
    # files stored before uploads lost their metadata lose it now, before any worker reads one
    stripped = service.strip_stored_metadata()
    # and beside the service, photos stored before fingerprints were taken get theirs
    # (claims/related.py; 18 ms a 12 MP photo), then claims filed before related claims were
    # written down get theirs (4-50 ms a claim): a large store's would hold its start for
    # minutes; until then the queue finds a claim's as it lists it
    linking = Linking(service)
    pool = dispatch = None
    broker = app.config["BROKER_URL"] or broker_url()
    if broker:
        dispatch = BrokerDispatch(broker, queue=app.config["BROKER_QUEUE"])
        service.submit = dispatch.submit
    elif int(app.config["ANALYSIS_WORKERS"]) > 0:
        pool = WorkerPool(service, int(app.config["ANALYSIS_WORKERS"]))
        service.submit, service.on_event = pool.submit, pool.wake
        pool.resume()
    app.extensions["hueproof"] = {"store": store, "service": service, "pool": pool,
                                  "keys": keys, "landmarker": landmarker,
                                  "metadata_stripped": stripped,
                                  "linking": linking}  # fmt: skip

    def _close():  # once: `hueproof serve` closes at Ctrl+C, and then the exit would again
        atexit.unregister(_close)
        linking.stop()
        if pool is not None:
            pool.shutdown()
        if dispatch is not None:
            dispatch.close()
        landmarker.close()
        store.dispose()

    atexit.register(_close)
    app.extensions["hueproof"]["close"] = _close
    _register_errors(app)
    _register_security_headers(app)
    _register_compression(app)
    _register_routes(app, service, keys)
    _register_pages(app)
    return app


WEBAR = Path(__file__).resolve().parent / "webar"
PAGES = ("tryon", "claim", "review", "brand", "report", "admin")
#: /vendor/<package>/… → the npm package folder (webar/package-lock.json) it is served from
VENDOR = {"mediapipe": "@mediapipe/tasks-vision", "onnxruntime": "onnxruntime-web/dist"}
MEDIA_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
               ".css": "text/css", ".task": "application/octet-stream"}  # fmt: skip


def _register_pages(app):
    """The browser pages and everything they load, all from this server (no CDN)."""
    from flask import abort, send_from_directory

    def send(folder: Path, name: str):
        path = (folder / name).resolve()
        if not path.is_file() or folder.resolve() not in path.parents:
            abort(404)
        resp = send_from_directory(folder, name, mimetype=MEDIA_TYPES.get(path.suffix))
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    for page in PAGES:
        app.add_url_rule(f"/{page}", f"page_{page}",
                         lambda page=page: send(WEBAR / "pages", f"{page}.html"))  # fmt: skip

    @app.get("/")
    def index():
        from flask import redirect

        return redirect("/tryon")

    @app.get("/webar/<path:name>")
    def webar_asset(name):
        if not name.startswith(("js/", "css/")):
            abort(404)
        return send(WEBAR, name)

    @app.get("/vendor/<package>/<path:name>")
    def vendor_asset(package, name):
        if package not in VENDOR:
            abort(404)
        return send(WEBAR / "node_modules" / VENDOR[package], name)

    @app.get("/models/redness.onnx")
    def redness_model():
        from models.registry import verify

        path = verify("redness")  # checksum-verified before it is served
        return send(path.parent, path.name)

    @app.get("/models/face_landmarker.task")
    def face_model():
        from models.face_landmarker.provision import face_model_path

        path = face_model_path()
        return send(path.parent, path.name)


#: Every response: no MIME sniffing (an uploaded photo is never run as a script), no Referer
#: (a revealed photo's short-lived link must not leak to another site), no framing.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
#: The pages' Content-Security-Policy: everything from this server, as it is (no CDN); the
#: face model and onnxruntime-web compile WebAssembly ('wasm-unsafe-eval', not 'unsafe-eval');
#: images, the camera and workers may be object URLs; style attributes stay allowed. A script
#: injected into a page (a shade's name, a claim's field) cannot run.
PAGE_CSP = "; ".join((
    "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self' blob:",
    "img-src 'self' blob: data:", "media-src 'self' blob: mediastream:",
    "connect-src 'self' blob: data:", "style-src 'self' 'unsafe-inline'", "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
))  # fmt: skip


#: Media types of GET answers sent gzip-compressed to a client that accepts it: the pages'
#: WebAssembly (the face landmarker's 13 MB and onnxruntime-web's 14 MB, about 3.4-3.9 times
#: smaller), scripts, and the API's JSON (a page of 50 claims, 309 KB). Not images, nor the
#: face model (a zip); nor a POST's answer, which may carry a secret (a reveal's link) beside
#: text the client chose, which compression would let a response's length tell.
GZIP_TYPES = {"application/json", "application/problem+json", "application/wasm",
              "text/javascript", "text/css", "text/html"}  # fmt: skip
#: Below this many bytes a response goes as it is (one packet either way).
GZIP_MIN_BYTES = 1400


def _register_compression(app):
    packed: dict[str, bytes] = {}  # a file's ETag → its gzip bytes: compressed once per version

    @app.after_request
    def compress(resp):
        if (
            resp.status_code != 200
            or request.method != "GET"  # a POST's answer may hold a secret (a reveal's link)
            or resp.mimetype not in GZIP_TYPES
            or "Content-Encoding" in resp.headers
            or not request.accept_encodings["gzip"]
        ):
            return resp
        resp.vary.add("Accept-Encoding")
        resp.direct_passthrough = False  # a file's response: its body is read or replaced here
        etag, _ = resp.get_etag()
        if etag in packed:  # a file compressed before: not read again
            if hasattr(resp.response, "close"):
                resp.call_on_close(resp.response.close)
            body = packed[etag]
        else:
            data = resp.get_data()
            if len(data) < GZIP_MIN_BYTES:
                return resp
            body = gzip.compress(data, 6, mtime=0)
            if etag:  # a file: the same bytes for that tag, compressed once
                packed[etag] = body
        if etag:  # another encoding of the same file: its tag turns weak, so that a
            # revalidation by it still gets 304 from send_file
            resp.set_etag(etag, weak=True)
        resp.set_data(body)
        resp.headers["Content-Encoding"] = "gzip"
        return resp


def _register_security_headers(app):
    @app.after_request
    def secure(resp):
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
            resp.headers.setdefault("Permissions-Policy", "camera=(self), microphone=()")
        return resp


def _register_errors(app):
    @app.errorhandler(HueproofError)
    def _hueproof_error(exc):
        kind, status = next((k, s) for cls, k, s in PROBLEM_TYPES if isinstance(exc, cls))
        resp = _problem(kind, status, str(exc))
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(ValidationError)
    def _validation(exc):
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors)
        return _problem("invalid-input", 422, detail, errors=errors)

    @app.errorhandler(HTTPException)
    def _http(exc):
        kinds = {404: "not-found", 405: "method-not-allowed", 413: "too-large",
                 415: "unsupported-media-type", 400: "bad-request"}  # fmt: skip
        return _problem(kinds.get(exc.code, "http-error"), exc.code, exc.description or exc.name)


def _principal():
    from claims.auth import authenticate

    if "principal" not in g:
        with _ext()["store"].read() as s:
            g.principal = authenticate(s, request.headers.get("Authorization"))
    return g.principal


def _ext():
    from flask import current_app

    return current_app.extensions["hueproof"]


def _json_body(model):
    return model.model_validate(_json_data())


def _json_data():
    """The request's JSON body, parsed once (RFC 8259: _StrictJSON), or a clear 415 / 422."""
    if not request.is_json:
        raise _UnsupportedMedia("expected a JSON body (Content-Type: application/json)")
    try:
        data = current_app.json.loads(request.get_data())
    except ValueError as exc:  # not JSON, or a NaN (_StrictJSON): said where
        raise InvalidInputError(f"expected a JSON body; it could not be parsed: {exc}") from None
    if data is None:
        raise InvalidInputError("expected a JSON body; got null")
    return data


class _UnsupportedMedia(UnsupportedImageType):
    """A request body of the wrong media type (mapped to 415 like an image of one)."""


def _register_routes(app: Flask, service, keys):
    route = api.Registry(app, API)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @route.get("/openapi.json", summary="This OpenAPI document", auth=False)
    def openapi():
        return route.openapi(title="hueproof", version="1")

    @route.get("/consent", summary="The current consent notice", auth=False,
               response=responses.ConsentNotice)  # fmt: skip
    def consent():
        from claims.consent import notice

        return notice()

    @route.get("/me", summary="Who the bearer token belongs to", response=responses.MeOut)
    def me():
        return service.whoami(_principal())

    @route.get("/me/export", summary="Everything held about you: account, consents, claims, "
               "and each view of your original photos (any signed-in user)",
               response=responses.Export)  # fmt: skip
    def export():
        resp = jsonify(service.export(_principal()))
        resp.headers["Content-Disposition"] = 'attachment; filename="hueproof-my-data.json"'
        resp.headers["Cache-Control"] = "private, no-store"
        return resp

    @route.delete("/me", summary="Erase your account (shopper): consent withdrawn on every "
                  "claim and every photo erased, your name erased, your token disabled; each "
                  "claim's record and a decision's signed report stay, without photos",
                  response=responses.ErasureOut)  # fmt: skip
    def erase_me():
        return service.erase_account(_principal())

    @route.get("/keys", summary="Public Ed25519 keys that sign reports and checkpoints",
               auth=False, response=responses.KeyList)  # fmt: skip
    def public_keys():
        return {"keys": [k.to_dict() for k in keys.public_keys().values()]}

    @route.post("/measure", summary="Measure a product colour in a photo with a chart",
                auth=False, multipart=api.MEASURE_FORM,
                response=responses.MeasureOut)  # fmt: skip
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
        try:
            tol = float(request.form.get("tolerance", 3.0))
        except ValueError:
            raise InvalidInputError("expected tolerance as a number") from None
        m = measure_shade(image.rgb_lin, roi=roi, reference_lab=ref_lab, tolerance=tol)
        return {**m.to_dict(), "image": image.facts()}

    @route.post("/claims", summary="File a claim (shopper)", multipart=api.CLAIM_FORM,
                response=responses.ClaimView, status=202,
                headers={"Idempotency-Key": ({"type": "string", "minLength": 1, "maxLength": 200},
                                             "same key + same request → same claim")},
                errors={429: "more claims this hour than a shopper may file (CLAIMS_PER_HOUR); "
                             "Retry-After says when the next is accepted"})  # fmt: skip
    def file_claim():
        photo = request.files.get("photo")
        baseline = request.files.get("baseline")
        view, created = service.file_claim(
            _principal(), request.form.to_dict(),
            photo.read() if photo else None, baseline.read() if baseline else None,
            request.headers.get("Idempotency-Key"),
        )  # fmt: skip
        resp = jsonify(view)
        resp.status_code = 202 if created else 200
        resp.headers["Location"] = view["links"]["self"]
        return resp

    @route.get("/claims", summary="List claims (own for shoppers; all for adjudicators)",
               response=responses.ClaimList, query=api.CLAIM_LIST_QUERY)  # fmt: skip
    def list_claims():
        a = request.args
        return service.list_claims(_principal(), status=a.getlist("status"),
                                   claim_type=a.get("type"), limit=a.get("limit", "50"),
                                   offset=a.get("offset", "0"),
                                   order=a.get("order", "newest"), order_ref=a.get("order_ref"),
                                   sku=a.get("sku"), related=a.get("related", ""))  # fmt: skip

    @route.get("/claims/<claim_id>", summary="One claim", response=responses.ClaimView)
    def get_claim(claim_id):
        return service.get_claim(_principal(), claim_id)

    @route.get("/claims/<claim_id>/photo.png", summary="The photo, face pixelated",
               produces="image/png")  # fmt: skip
    def claim_photo(claim_id):
        return _png(service.picture(_principal(), claim_id, "photo"))

    @route.get(
        "/claims/<claim_id>/heatmap.png",
        summary="The redness heatmap over the pixelated face",
        produces="image/png",
    )
    def claim_heatmap(claim_id):
        return _png(service.picture(_principal(), claim_id, "heatmap"))

    @route.get(
        "/claims/<claim_id>/baseline.png",
        summary="The baseline (before) photo, face pixelated",
        produces="image/png",
    )
    def claim_baseline(claim_id):
        return _png(service.picture(_principal(), claim_id, "baseline"))

    @route.post("/claims/<claim_id>/reveal", summary="A short-lived URL to the raw photo "
                "(adjudicator; the reason is logged)", body=api.RevealIn,
                response=responses.RevealOut)  # fmt: skip
    def reveal(claim_id):
        body = _json_body(api.RevealIn)
        return service.reveal(_principal(), claim_id, reason=body.reason, which=body.which)

    @route.get("/raw/<token>", summary="The raw photo behind a reveal URL",
               produces="image/*")  # fmt: skip
    def raw(token):
        data, media = service.raw_picture(_principal(), token)
        resp = Response(data, mimetype=media)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @route.post("/claims/<claim_id>/decision", summary="Decide a claim (adjudicator); "
                "returns the signed report", body=api.DecisionIn, response=responses.SignedReport,
                status=201)  # fmt: skip
    def decide(claim_id):
        body = _json_body(api.DecisionIn)
        report = service.decide(_principal(), claim_id, outcome=body.outcome,
                                reason_code=body.reason_code, note=body.note)  # fmt: skip
        return jsonify(report), 201

    @route.post("/claims/<claim_id>/hold", summary="Hold a ready claim for 10 minutes while "
                "deciding it (adjudicator; 409 when another reviewer holds it)",
                response=responses.HoldOut)  # fmt: skip
    def hold(claim_id):
        return service.hold(_principal(), claim_id)

    @route.post("/claims/<claim_id>/release", summary="Let go of one's hold on a claim "
                "(adjudicator)", response=responses.ReleaseOut)  # fmt: skip
    def release(claim_id):
        return service.release(_principal(), claim_id)

    @route.get("/claims/<claim_id>/report", summary="The signed decision report",
               response=responses.SignedReport, query=api.REPORT_QUERY)  # fmt: skip
    def report(claim_id):
        return service.report(_principal(), claim_id,
                              which=request.args.get("decision", "current"))  # fmt: skip

    @route.post("/reports/verify", summary="Check a decision report: its signature by this "
                "service, its audit-chain entry, and that the chain holds that entry (anyone: a "
                "report travels)", auth=False, body=responses.ReportIn,
                response=responses.ReportCheck)  # fmt: skip
    def verify_report():
        report = _json_data()
        responses.ReportIn.model_validate(report)  # a report's fields, or a clear 422
        return service.check_report(report)  # as sent: checked byte for byte

    @route.post("/claims/<claim_id>/appeal", summary="Appeal the claim's decision (shopper; once, "
                "within HUEPROOF_APPEAL_DAYS of it, 30 by default): another adjudicator decides "
                "the appeal",
                body=api.AppealIn, response=responses.ClaimView)  # fmt: skip
    def appeal(claim_id):
        body = _json_body(api.AppealIn)
        return service.appeal(_principal(), claim_id, statement=body.statement)

    @route.post("/claims/<claim_id>/withdraw", summary="Withdraw consent: processing stops, "
                "photos are erased (shopper)", response=responses.ClaimView)  # fmt: skip
    def withdraw(claim_id):
        return service.withdraw(_principal(), claim_id)

    @route.get("/shades", summary="Calibrated shades with AR render parameters", auth=False,
               response=responses.ShadeList, query=api.SHADES_QUERY)  # fmt: skip
    def shades():
        return {"shades": service.shades(request.args.get("sku") or None)}

    @route.post("/brands/<brand>/shades", summary="Calibrate a shade: JSON Lab or spectral "
                "values, or a multipart swatch photo with a chart (brand)", body=api.ShadeIn,
                multipart=api.SHADE_FORM, response=responses.ShadeCalibrationOut, status=201,
                query=api.DRY_RUN_QUERY)  # fmt: skip
    def add_shade(brand):
        from calibration import swatch

        principal = _principal()
        if request.is_json:
            body = _json_body(api.ShadeIn)
            record = api.shade_record(body)
            sku, shade, name, tol = body.sku, body.shade, body.name, body.tolerance
        elif request.mimetype == "multipart/form-data":
            from calibration.region import parse_roi
            from vision.ingest import ingest_image

            form = api.ShadeFormIn.model_validate(request.form.to_dict())
            photo = request.files.get("photo")
            if photo is None:
                raise InvalidInputError("expected a multipart file field 'photo'")
            image = ingest_image(photo.read())
            roi = parse_roi(form.roi, width=image.width, height=image.height)
            record = swatch.calibrate_from_photo(image, roi=roi, shade=form.shade)
            sku, shade, name, tol = form.sku, form.shade, form.name, form.tolerance
        else:
            raise _UnsupportedMedia("expected application/json or multipart/form-data")
        dry_run = request.args.get("dry_run", "false").lower() in ("1", "true")
        out = service.add_shade(principal, brand, sku=sku, shade=shade, record=record,
                                name=name, tolerance=tol, dry_run=dry_run)  # fmt: skip
        return jsonify(out), 200 if dry_run else 201

    @route.post("/brands/<brand>/skus/<sku>/shades", summary="Calibrate many shades of a SKU "
                "from a spectrophotometer's CSV, all or none (brand)", raw=api.SHADES_CSV,
                response=responses.ShadeBatchOut, status=201,
                query=api.DRY_RUN_QUERY)  # fmt: skip
    def add_shades(brand, sku):
        if request.mimetype != "text/csv":
            raise _UnsupportedMedia("expected a CSV body (Content-Type: text/csv)")
        dry_run = request.args.get("dry_run", "false").lower() in ("1", "true")
        out = service.add_shades_csv(_principal(), brand, sku=sku, data=request.get_data(),
                                     dry_run=dry_run)  # fmt: skip
        return jsonify(out), 200 if dry_run else 201

    @route.get("/brands/<brand>/skus/<sku>/shades/<shade>/calibrations",
               summary="Every version of a shade's reference, newest first, each with how far "
               "it moved from the one before (brand, adjudicator)",
               response=responses.CalibrationHistory)  # fmt: skip
    def shade_history(brand, sku, shade):
        return service.shade_history(_principal(), brand, sku, shade)

    @route.get("/brands/<brand>/skus", summary="The brand's products: name, INCI ingredients "
               "(those known to irritate flagged), batch codes (brand)",
               response=responses.SkuList)  # fmt: skip
    def list_skus(brand):
        return {"skus": service.skus(_principal(), brand)}

    @route.put("/brands/<brand>/skus/<sku>", summary="Create or update a SKU: its name, INCI "
               "ingredient list and batch codes (brand)", body=api.SkuIn,
               response=responses.SkuOut)  # fmt: skip
    def put_sku(brand, sku):
        body = _json_body(api.SkuIn)
        return service.put_sku(_principal(), brand, {"sku": sku, **body.model_dump()})

    @route.put("/brands/<brand>/policy", summary="The brand's claim policy (brand)",
               body=api.PolicyIn, response=responses.PolicyOut)  # fmt: skip
    def put_policy(brand):
        body = _json_body(api.PolicyIn)
        return service.set_policy(_principal(), brand, body.model_dump(exclude_none=True))

    @route.get("/brands/<brand>/stats", summary="De-identified aggregates per SKU, batch, "
               "shade and month, with alerts (brand)", response=responses.BrandStats)  # fmt: skip
    def brand_stats(brand):
        return service.stats(_principal(), brand)

    @route.get("/brands/<brand>/stats.csv", summary="The same aggregates as CSV, a row a cell "
               "(brand, SKU, batch, shade, month), for a spreadsheet (brand)",
               produces="text/csv")  # fmt: skip
    def brand_stats_csv(brand):
        from claims.stats import stats_csv

        resp = Response(stats_csv(service.stats(_principal(), brand)),
                        content_type="text/csv; charset=utf-8")  # fmt: skip
        resp.headers["Content-Disposition"] = f'attachment; filename="hueproof-stats-{brand}.csv"'
        return resp

    @route.get("/alerts", summary="Alerts, e.g. unusual raw-photo viewing (admin)",
               response=responses.AlertList)  # fmt: skip
    def alerts():
        return {"alerts": service.alerts(_principal())}

    @route.get("/metrics", summary="Claims waiting by state and for how long, analysis and "
               "decision times, webhook deliveries, in Prometheus' text format (admin)",
               produces="text/plain")  # fmt: skip
    def metrics():
        from claims.metrics import CONTENT_TYPE

        resp = Response(service.metrics(_principal()), content_type=CONTENT_TYPE)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    # webhooks (claims/webhooks.py): what they are sent is the WebhookEvent schema
    route.document(responses.WebhookEvent)

    @route.get("/webhooks", summary="The endpoints told of claims' events (admin)",
               response=responses.WebhookList)  # fmt: skip
    def list_webhooks():
        return {"webhooks": service.webhooks(_principal())}

    @route.post("/webhooks", summary="Register an endpoint for claims' events, signed "
                "deliveries retried until answered 2xx (admin)", body=api.WebhookIn,
                response=responses.WebhookOut, status=201)  # fmt: skip
    def add_webhook():
        body = _json_body(api.WebhookIn)
        return service.add_webhook(_principal(), body.url, body.events, body.brand), 201

    @route.post("/webhooks/<webhook_id>/disable", summary="Send an endpoint nothing more "
                "(admin)", response=responses.WebhookOut)  # fmt: skip
    def disable_webhook(webhook_id):
        return service.disable_webhook(_principal(), webhook_id)

    @route.get("/webhooks/<webhook_id>/deliveries", summary="An endpoint's deliveries, newest "
               "first (admin)", response=responses.DeliveryList,
               query=api.DELIVERIES_QUERY)  # fmt: skip
    def webhook_deliveries(webhook_id):
        a = request.args
        return {"deliveries": service.webhook_deliveries(
            _principal(), webhook_id, a.get("state"), a.get("limit", "50"))}  # fmt: skip

    @route.post("/webhooks/deliveries/<delivery_id>/retry", summary="Send a delivery that was "
                "given up again (admin)", response=responses.DeliveryOut)  # fmt: skip
    def retry_delivery(delivery_id):
        return service.retry_delivery(_principal(), delivery_id)


def _png(data: bytes) -> Response:
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
