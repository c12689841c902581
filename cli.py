"""The ``hueproof`` command line. Every command prints JSON on stdout with ``--json``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from calibration.errors import HueproofError

EXIT_BAD_INPUT = 2
#: A command stopped by Ctrl+C (128 + SIGINT, as shells report it); serve and worker exit 0.
EXIT_INTERRUPTED = 130
JSON_HELP = "print the result as JSON on stdout"
#: ``simulate --size``: below a tenth of the default's 1600 × 1200 the swatch is a few pixels
MIN_SIMULATED_SIDE = 160


def _floats(text: str, n: int, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != n or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(
            f"expected {what} as {n} comma-separated numbers; got {text!r}"
        )
    return values


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0; got {text!r}")
    return seed


def _size(text: str) -> tuple[int, int]:
    w, h = _floats(text, 2, "W,H")
    return round(w), round(h)


def _lab(text: str) -> list[float]:
    return _floats(text, 3, "L,A,B")


def _print(result: dict, as_json: bool, lines) -> None:
    if as_json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for line in lines(result):
            print(line)


def _measure_lines(r: dict):
    lab = r["lab"]
    state = {"chart": "calibrated", "chart-free model": "chart-free estimate"}.get(
        r.get("colour_source"), "uncalibrated"
    )
    yield f"Lab: {lab[0]:.2f}, {lab[1]:.2f}, {lab[2]:.2f} ({state})"
    c = r["chart"]
    if c["detected"] and "residual_de00_mean" in c:
        yield (
            f"Chart: found; leave-one-out residual ΔE00 mean {c['residual_de00_mean']}, "
            f"max {c['residual_de00_max']}"
        )
    else:
        yield "Chart: not found" if not c["detected"] else "Chart: found but not usable"
    if r["uncertainty_de00"] is not None:
        yield f"Uncertainty U (k=2): {r['uncertainty_de00']} ΔE00"
    if r["verdict"]:
        yield f"Verdict: {r['verdict']} (ΔE00 {r['delta_e00']}, tolerance {r['tolerance']})"
    if r["explanation"]:
        yield r["explanation"]


def cmd_measure(args) -> int:
    from calibration.measure import measure_shade
    from calibration.region import parse_roi
    from calibration.verdict import DEFAULT_TOLERANCE
    from vision.ingest import load_image

    if args.roi is not None and args.region is not None:
        raise HueproofError("expected --roi (a product in the photo) or --region (on the face), "
                            "not both")  # fmt: skip
    reference = None
    if args.sku or args.shade:
        if args.reference_lab is not None:
            raise HueproofError("expected --reference-lab or --sku and --shade, not both")
        if not (args.sku and args.shade):
            raise HueproofError("expected --sku and --shade together")
        reference = _catalog_reference(args.data, args.brand, args.sku, args.shade)
    image = load_image(args.image)
    tolerance = args.tolerance
    if tolerance is None:
        tolerance = reference["tolerance"] if reference else DEFAULT_TOLERANCE
    options = dict(
        reference_lab=reference["lab"] if reference else args.reference_lab,
        reference_expanded_u=reference["expanded_u"] if reference else args.reference_u,
        tolerance=tolerance,
        method=args.method,
        chart_reference_name=args.chart_reference,
    )
    face = None
    if args.roi is None:  # no region given: the lips of the face in the photo
        from vision.landmarks import FaceLandmarker
        from vision.shade import face_shade

        with FaceLandmarker() as landmarker:
            from models.illuminant import default_model as colour_model

            m, face = face_shade(image.rgb_lin, landmarker=landmarker,
                                 region=args.region or "lips", colour_model=colour_model(),
                                 **options)  # fmt: skip
    else:
        roi = parse_roi(args.roi, width=image.width, height=image.height)
        m = measure_shade(image.rgb_lin, roi=roi, **options)
        if not m.calibrated:  # no chart: a face in the frame still gives a chart-free reading
            from models.illuminant import default_model as colour_model
            from vision.landmarks import FaceLandmarker
            from vision.shade import chart_free_swatch

            with FaceLandmarker() as landmarker:
                found = landmarker.detect(image.rgb_lin)
            if found:
                face = found[0]
                m = chart_free_swatch(m, image.rgb_lin, face, colour_model(), roi, **options)
    result = m.to_dict()
    result["image"] = image.facts()
    if reference is not None:
        result["reference"] = reference
    if face is not None:
        result["face"] = face.to_dict()
    if args.roi is None:
        result["region_name"] = args.region or "lips"
    _print(result, args.json, _measure_lines)
    return 0


def _catalog_reference(data_dir, brand_slug, sku_code, shade_code) -> dict:
    """The newest calibration of a catalog shade (``measure --sku --shade``), as a claim's
    analysis takes it: its Lab, its U, the shade's tolerance, which version."""
    from claims.catalog import find_shade, find_sku, get_brand, latest_calibration
    from claims.errors import NotFound
    from claims.models import Brand

    store, _, _ = _open(data_dir)
    try:
        with store.read() as s:
            try:
                brand = get_brand(s, brand_slug) if brand_slug else None
                shade = find_shade(s, find_sku(s, sku_code, brand), shade_code)
            except NotFound as exc:
                raise HueproofError(f"{exc} in the catalog of {data_dir}") from None
            cal = latest_calibration(s, shade)
            if cal is None:
                raise HueproofError(f"shade {shade_code!r} of {sku_code!r} has no calibration "
                                    "yet")  # fmt: skip
            return {"brand": s.get(Brand, shade.sku.brand_id).slug, "sku": sku_code,
                    "shade": shade.code, "version": cal.version, "source": cal.source,
                    "lab": [float(v) for v in cal.lab], "expanded_u": float(cal.expanded_u),
                    "tolerance": float(shade.tolerance)}  # fmt: skip
    finally:
        store.dispose()


def _analyze_lines(r: dict):
    face = r["face"]
    if not face["detected"]:
        yield "Face: not found"
        return
    yield f"Face: {face['landmarks']} landmarks, box {face['bbox']}"
    problems = r["quality"]["problems"]
    yield "Quality: " + (", ".join(problems) if problems else "ok")
    if not r["redness"]["measurable"]:  # (a face found: redness is always reported)
        yield "Redness: not measurable (the photo has no colour)"
    for name, z in r["redness"]["zones"].items():
        yield (
            f"  {name:<12} flagged {100 * z['area_fraction']:5.1f}%  mean {z['mean_excess']:5.2f}  "
            f"peak {z['peak_excess']:5.2f}"
        )
    if r["lips"]:
        yield f"Lips Lab: {r['lips']['lab']}"
    yield r["note"]


def cmd_analyze(args) -> int:
    from vision.analysis import analyze_selfie
    from vision.ingest import load_image
    from vision.landmarks import FaceLandmarker

    image = load_image(args.selfie)
    baseline = load_image(args.baseline) if args.baseline else None
    out_dir = _writable_dir(args.out)  # before the analysis, not after it
    with FaceLandmarker() as landmarker:
        from models.face_matcher import default_matcher
        from models.illuminant import default_model as colour_model
        from models.redness import default_model

        result = analyze_selfie(
            image.rgb_lin, landmarker=landmarker, redness_model=default_model(),
            colour_model=colour_model(), jpeg_quality=image.jpeg_quality,
            baseline_rgb_lin=None if baseline is None else baseline.rgb_lin,
            baseline_jpeg_quality=None if baseline is None else baseline.jpeg_quality,
            origin=image.origin, baseline_origin=None if baseline is None else baseline.origin,
            face_matcher=None if baseline is None else default_matcher(),
        )  # fmt: skip
    out = result.to_dict()
    out["image"] = image.facts()
    if baseline is not None:
        out["baseline_image"] = baseline.facts()
    if result.face is None:
        _print(out, args.json, _analyze_lines)
        print(f"hueproof analyze: no face found in {args.selfie}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result.write_images(out_dir)
    _print(out, args.json, _analyze_lines)
    return 0


def cmd_simulate(args) -> int:
    from dataclasses import asdict

    from calibration.simulate import random_scene, render_scene
    from vision.ingest import DEFAULT_MAX_PIXELS

    overrides = {}
    if args.illuminant:
        overrides["illuminant"] = args.illuminant
    if args.product:
        overrides["product"] = args.product
    if args.camera:
        overrides["camera"] = args.camera
    if args.size:
        w, h = args.size
        if min(w, h) < MIN_SIMULATED_SIDE or w * h > DEFAULT_MAX_PIXELS:
            raise HueproofError(
                f"expected --size W,H of {MIN_SIMULATED_SIDE} px or more a side and "
                f"{DEFAULT_MAX_PIXELS // 10**6} MP at most; got {w},{h}"
            )
        overrides.update(width=w, height=h)
    scene = random_scene(args.seed, **overrides)
    if args.size:
        scale = scene.width / 1600
        from dataclasses import replace

        scene = replace(
            scene,
            chart_width_px=scene.chart_width_px * scale,
            swatch_size_px=scene.swatch_size_px * scale,
        )
    photo = render_scene(scene)
    try:
        Path(args.out).write_bytes(photo.jpeg)
    except OSError as exc:
        raise HueproofError(f"expected a path to write the photo to; got {args.out}: "
                            f"{exc.strerror or exc}") from None  # fmt: skip
    result = {
        "path": str(args.out),
        "roi": list(photo.roi),
        "roi_arg": ",".join(str(v) for v in photo.roi),
        "product_lab": [round(float(v), 3) for v in photo.product_lab],
        "scene": asdict(scene),
    }
    _print(
        result,
        args.json,
        lambda r: [f"wrote {r['path']}", f"--roi {r['roi_arg']}", f"true Lab {r['product_lab']}"],
    )
    return 0


def cmd_reference(args) -> int:
    from calibration import swatch
    from calibration.region import parse_roi
    from vision.ingest import load_image

    if args.photo:
        image = load_image(args.photo)
        if not args.roi:
            raise HueproofError("--roi X,Y,W,H is required with --photo")
        roi = parse_roi(args.roi, width=image.width, height=image.height)
        records = (swatch.calibrate_from_photo(image, roi=roi, shade=args.shade or ""),)
    elif args.lab_csv:
        records = swatch.calibrate_from_lab_csv(_read_bytes(args.lab_csv, "CSV"))
    else:
        records = swatch.calibrate_from_spectral_csv(_read_bytes(args.spectral_csv, "CSV"))
    result = {"references": [r.to_dict() for r in records]}
    _print(
        result,
        args.json,
        lambda r: [
            f"{x['shade'] or '(shade)'}: Lab {x['lab']} ± {x['uncertainty_de00']} ΔE00 "
            f"({x['source']})"
            for x in r["references"]
        ],
    )
    return 0


def _writable_dir(path) -> Path:
    """``path`` as a directory this process can write into, made when missing."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise HueproofError(f"expected a directory to write into; got {path}, a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HueproofError(f"expected a directory to write into; got {path}: "
                            f"{exc.strerror or exc}") from None  # fmt: skip
    if not os.access(out, os.W_OK | os.X_OK):
        raise HueproofError(f"expected a directory to write into; got {path}: not writable")
    return out


def _read_bytes(path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise HueproofError(f"expected a readable {what} file; got {path}: "
                            f"{exc.strerror or exc}") from None  # fmt: skip


def _open(data_dir, *, create: bool = False):
    """Store, key ring and service of a data directory (without the web app). Without
    ``create`` the directory must hold a store already: a mistyped ``--data`` would get a new,
    empty store with new signing keys, and ``audit verify`` would call its chain OK."""
    from claims.db import missing_store, open_store
    from claims.keys import KeyRing
    from claims.service import ClaimsService

    lacking = None if create else missing_store(data_dir)
    if lacking:
        raise HueproofError(
            f"expected a hueproof data directory; {data_dir} holds no store ({lacking}): "
            f"`hueproof serve --data {data_dir}` or `hueproof users add --data {data_dir}` "
            "makes one"
        )
    store = open_store(data_dir)
    keys = KeyRing(Path(data_dir) / "keys")
    return store, keys, ClaimsService(store, keys)


def cmd_serve(args) -> int:
    from waitress.server import create_server

    from server import create_app

    app = create_app({"DATA_DIR": args.data})
    ext = app.extensions["hueproof"]
    try:  # listen first: a port in use stops here, before a first start's tokens are shown
        server = create_server(app, host=args.host, port=args.port, threads=8, ident="hueproof")
    except OSError as exc:
        ext["close"]()
        raise HueproofError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc} "
                            "(--port takes another)") from None  # fmt: skip
    base = f"http://{args.host}:{args.port}"
    if ext["service"].user_count() == 0:
        from claims import audit
        from claims.demo import DEMO_BRAND, seed_demo

        with ext["store"].write() as s:
            tokens = seed_demo(s)
            audit.append(s, actor="system", action="demo.seeded", subject=f"brand:{DEMO_BRAND}",
                         payload={"roles": sorted(tokens)}, keys=ext["keys"])  # fmt: skip
        print(f"First start: demo brand {DEMO_BRAND!r} with a calibrated catalog, and one user "
              "per role. Tokens (shown once; keep them):")  # fmt: skip
        for role, token in tokens.items():
            print(f"  {role:<12} {token}")
    else:
        print("Users exist already; `hueproof users add --role ROLE` prints a new token.")
    done = ext["metadata_stripped"]
    if done["stripped"] or done["failed"]:
        print(_stripped_lines(done)[0])
    if ext["linking"].thread is not None:
        print("stored photos are fingerprinted and claims linked to their related claims "
              "beside the service (`hueproof claims link` does it before a start)")  # fmt: skip
    print(f"hueproof serving on {base} (data in {args.data}); Ctrl+C stops it")
    print(f"  try-on {base}/tryon   claim {base}/claim   review {base}/review   "
          f"brand {base}/brand   admin {base}/admin")  # fmt: skip
    print(f"  API {base}/api/v1/openapi.json   shades {base}/api/v1/shades", flush=True)
    if ext["pool"] is None:  # a broker, or no analysis threads: the workers analyse
        print("  analyses: by `hueproof worker` processes (none in this one)", flush=True)

    def stop(signum, frame):  # SIGTERM (a service manager's stop) as Ctrl+C
        raise KeyboardInterrupt

    try:
        with _on_stop_signals(stop, interrupt=False):
            server.run()
    except KeyboardInterrupt:
        pass
    print("hueproof serve: stopping" + ("; analyses under way finish first" if ext["pool"]
                                        else ""), file=sys.stderr, flush=True)  # fmt: skip
    ext["close"]()
    print("hueproof serve: stopped", file=sys.stderr)
    return 0


@contextmanager
def _on_stop_signals(handler, *, interrupt: bool = True):
    """``handler`` for SIGTERM and, with ``interrupt``, SIGINT (Ctrl+C) while the block runs;
    the handlers before are restored after it. Outside the main thread, where Python takes
    no signal handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGTERM, signal.SIGINT) if interrupt else (signal.SIGTERM,)
    before = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)


def cmd_users_add(args) -> int:
    from claims import audit
    from claims.auth import create_user

    store, keys, _ = _open(args.data, create=True)
    with store.write() as s:
        user, token = create_user(s, role=args.role, name=args.name or "", brand=args.brand)
        audit.append(s, actor="cli", action="user.created", subject=f"user:{user.id}",
                     payload={"role": user.role, "brand": args.brand}, keys=keys)  # fmt: skip
        uid = user.id
    result = {"id": uid, "role": args.role, "brand": args.brand, "token": token}
    _print(result, args.json, lambda r: [f"user {r['id']} ({r['role']}) token: {r['token']}"])
    return 0


def cmd_users_list(args) -> int:
    from claims.auth import list_users

    store, _, _ = _open(args.data)
    with store.read() as s:
        users = list_users(s)
    _print({"users": users}, args.json, lambda r: [
        f"{u['id']:>4}  {u['role']:<11} {u['brand'] or '':<20} {u['created_at']}"
        f"{'  disabled' if u['disabled'] else ''}  {u['name']}".rstrip()
        for u in r["users"]] or ["no users"])  # fmt: skip
    return 0


def cmd_users_change(args) -> int:
    """``users disable ID`` and ``users token ID``, each a link of the chain."""
    from claims import audit
    from claims.auth import disable_user, replace_token

    store, keys, _ = _open(args.data)
    with store.write() as s:
        try:
            if args.users_cmd == "disable":
                user, token, action = disable_user(s, args.id), None, "user.disabled"
            else:
                (user, token), action = replace_token(s, args.id), "user.token_replaced"
        except LookupError as exc:
            raise HueproofError(str(exc)) from None
        audit.append(s, actor="cli", action=action, subject=f"user:{user.id}",
                     payload={"role": user.role}, keys=keys)  # fmt: skip
        result = {"id": user.id, "role": user.role, "disabled": user.disabled}
    if token is None:
        _print(result, args.json, lambda r: [f"user {r['id']} ({r['role']}) disabled: its "
                                             f"token no longer works"])  # fmt: skip
    else:
        result["token"] = token
        _print(result, args.json, lambda r: [f"user {r['id']} ({r['role']}) new token, the "
                                             f"old one no longer works: {r['token']}"])  # fmt: skip
    return 0


def cmd_users_erase(args) -> int:
    """``users erase ID``: a shopper's account erased on her request (she lost her token, or
    asked another way), as ``DELETE /api/v1/me`` does; the chain names the command line."""
    from claims.auth import Principal, get_user

    store, _, service = _open(args.data)
    with store.read() as s:
        try:
            user = get_user(s, args.id)
        except LookupError as exc:
            raise HueproofError(str(exc)) from None
        if user.role != "shopper":
            raise HueproofError(f"user {args.id} is {user.role!r}, not a shopper: `hueproof "
                                f"users disable {args.id}` stops a staff account")  # fmt: skip
        principal = Principal(id=user.id, role=user.role)
    result = {"id": args.id, **service.erase_account(principal, actor="cli")}
    _print(
        result,
        args.json,
        lambda r: [
            f"user {r['id']} erased: consent withdrawn on {r['consents_withdrawn']} of "
            f"{r['claims']} claims, every photo erased, the name erased, the token refused"
        ],
    )
    return 0


def cmd_backup(args) -> int:
    from claims.backup import backup

    result = backup(args.data, args.dest)
    _print(result, args.json, lambda r: [
        f"backup OK in {r['backup']}: {r['claims']} claims, {r['image_files']} photo files "
        f"({r['image_bytes'] / 2**20:.1f} MiB), audit chain of {r['audit_entries']} entries "
        "verified" + (f"; {r['images_missing']} photos erased while copying, not copied"
                      if r["images_missing"] else "")])  # fmt: skip
    return 0


def cmd_audit_verify(args) -> int:
    from claims.audit import verify_chain

    store, keys, _ = _open(args.data)
    with store.read() as s:
        v = verify_chain(s, keys.public_keys())
    _print(v.to_dict(), args.json, lambda r: [
        f"audit chain: {r['entries']} entries, {r['checkpoints']} signed checkpoints: "
        + ("OK" if r["ok"] else "BROKEN"), *r["problems"]])  # fmt: skip
    return 0 if v.ok else 1


def cmd_verify(args) -> int:
    from claims.keys import PublicKey, load_public_keys
    from claims.reports import verify_report

    data = _read_bytes(args.report, "report")
    try:
        report = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HueproofError(f"expected a JSON report in {args.report}: {exc}") from None
    if args.key:
        try:
            pk = PublicKey.from_dict(json.loads(_read_bytes(args.key, "public key")))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            why = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise HueproofError(f"expected a public key in {args.key}, JSON with key_id and "
                                f"public_key as GET /api/v1/keys lists them: "
                                f"{why}") from None  # fmt: skip
        keys = {pk.key_id: pk}
    else:
        keys = load_public_keys(Path(args.data) / "keys")
    session_ctx = None
    has_db = (Path(args.data) / "hueproof.sqlite3").exists() or os.environ.get("DATABASE_URL")
    if not args.key and has_db:
        from claims.db import open_store

        session_ctx = open_store(args.data).read()
    if session_ctx is not None:
        with session_ctx as s:
            problems = verify_report(report, keys, s)
    else:
        problems = verify_report(report, keys)
    chain = report.get("chain") if isinstance(report, dict) else None
    chain = chain if isinstance(chain, dict) else {}  # any JSON: a list, a number...
    result = {"ok": not problems, "problems": problems, "claim_id": report.get("claim_id")
              if isinstance(report, dict) else None, "chain_seq": chain.get("seq"),
              "chain_checked": session_ctx is not None}  # fmt: skip
    _print(result, args.json, lambda r: [
        ("report OK" if r["ok"] else "report INVALID")
        + f" (claim {r['claim_id']}, chain entry {r['chain_seq']}"
        + (", checked against the chain)" if r["chain_checked"] else ", signature only)"),
        *r["problems"]])  # fmt: skip
    return 0 if not problems else 1


def cmd_worker(args) -> int:
    from claims.broker import broker_url, run_worker
    from claims.jobs import poll_forever
    from vision.landmarks import LazyFaceLandmarker

    broker = args.broker or broker_url()
    if broker and args.once:
        raise HueproofError("--once polls the database: not with a broker (--broker or "
                            "BROKER_URL)")  # fmt: skip
    _, _, service = _open(args.data)
    service.landmarker = LazyFaceLandmarker()
    if broker:
        try:
            n = run_worker(service, broker, queue=args.queue, concurrency=args.concurrency,
                           sweep_every=args.sweep_every,
                           resend_after=dt.timedelta(seconds=args.resend_after))  # fmt: skip
        finally:
            service.landmarker.close()
        print(json.dumps({"analysed": n}))
        return 0
    stop = threading.Event()

    def finish(signum, frame):  # the first Ctrl+C or SIGTERM lets the claim under way finish
        if stop.is_set():
            raise KeyboardInterrupt  # the second: at once (the claim is run again later)
        print("hueproof worker: stopping after the claim under way", file=sys.stderr,
              flush=True)  # fmt: skip
        stop.set()

    try:
        with _on_stop_signals(finish):
            n = poll_forever(service, interval=args.interval, once=args.once, stop=stop)
    finally:
        service.landmarker.close()
    print(json.dumps({"analysed": n}))
    return 0


def cmd_models(args) -> int:
    from models.registry import MODELS, ModelVerificationError, verify

    rows, ok = [], True
    for name, entry in MODELS.items():
        row = entry.to_dict()
        if args.models_cmd == "verify":
            try:
                verify(name)
                row["status"] = "ok"
            except ModelVerificationError as exc:
                row["status"], ok = f"FAILED: {exc}", False
        rows.append(row)
    _print({"models": rows, "ok": ok}, args.json, lambda r: [
        f"{m['name']:<16} {m['version']:<10} {m['sha256'][:16]}…  {m['file']}"
        + (f"  {m['status']}" if "status" in m else "") for m in r["models"]])  # fmt: skip
    return 0 if ok else 1


def _stripped_lines(r: dict) -> list[str]:
    return [f"stored photos without their metadata now: {r['stripped']} rewritten "
            f"({r['bytes_removed']} bytes removed), {r['unchanged']} had none, "
            f"{r['waiting']} being analysed (next run), {r['missing']} erased or missing, "
            f"{len(r['failed'])} refused",
            *(f"  refused {sha}: {why}" for sha, why in r["failed"].items())]  # fmt: skip


def cmd_images_strip(args) -> int:
    _, _, service = _open(args.data)
    r = service.strip_stored_metadata()
    _print(r, args.json, _stripped_lines)
    return 1 if r["failed"] else 0


def cmd_claims_link(args) -> int:
    _, _, service = _open(args.data)
    start = time.perf_counter()
    prints = service.fingerprint_stored_photos()
    faces = service.face_print_stored_photos()
    linked = service.link_stored_claims()
    report = {"fingerprinted": prints["fingerprinted"], "flat": prints["flat"],
              "missing": prints["missing"], "unreadable": prints["failed"],
              "faces": faces["faces"], "no_face": faces["no_face"],
              "faces_missing": faces["missing"], "faces_unreadable": faces["failed"],
              "linked": linked, "seconds": round(time.perf_counter() - start, 1),
              "left": service.unlinked_claims()}  # fmt: skip
    _print(report, args.json, lambda r: [
        f"stored photos fingerprinted: {r['fingerprinted']} ({r['flat']} with too little "
        f"structure, {r['missing']} missing, {len(r['unreadable'])} unreadable)",
        *(f"  unreadable {sha}: {why}" for sha, why in r["unreadable"].items()),
        f"their faces fingerprinted: {r['faces']} ({r['no_face']} without a face, "
        f"{r['faces_missing']} missing, {len(r['faces_unreadable'])} unreadable)",
        *(f"  unreadable {sha}: {why}" for sha, why in r["faces_unreadable"].items()),
        f"claims linked to their related claims: {r['linked']} in {r['seconds']} s; "
        f"{r['left']} left"])  # fmt: skip
    return 0


def cmd_purge(args) -> int:
    _, _, service = _open(args.data)
    n = service.purge()
    _print({"purged_claims": n}, args.json, lambda r: [f"purged raw photos of {r['purged_claims']} "
                                                        "decided claims"])  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    from calibration.chart import CHART_REFERENCES, DEFAULT_CHART_REFERENCE
    from calibration.correction import CORRECTION_METHODS, DEFAULT_CORRECTION_METHOD
    from calibration.verdict import DEFAULT_TOLERANCE

    p = argparse.ArgumentParser(prog="hueproof", description="hueproof's command line: every "
                                "command prints JSON on stdout with --json")  # fmt: skip
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("measure", help="measure a product colour in a photo: corrected by the "
                       "colour chart in it, or chart-free from the face in it")  # fmt: skip
    m.add_argument("image", help="the photo (JPEG, PNG, WebP or HEIC)")
    m.add_argument("--roi", help="product region X,Y,W,H in pixels of the upright image")
    m.add_argument(
        "--region",
        help="face region measured instead of an --roi: lips (the default), upper_lip, "
        "lower_lip, left_cheek, right_cheek",
    )
    m.add_argument("--reference-lab", type=_lab, help="brand reference L,A,B (D65, 2°)")
    m.add_argument("--reference-u", type=float, default=0.0, help="the reference's own U (ΔE00)")
    m.add_argument("--sku", help="the reference from the catalog (--data): this SKU's --shade")
    m.add_argument("--shade", help="the catalog shade whose newest calibration is the reference")
    m.add_argument("--brand", help="the SKU's brand, when several brands sell its code")
    m.add_argument("--tolerance", type=float, default=None,
                   help=f"ΔE00 tolerance T (default: the catalog shade's, else "
                   f"{DEFAULT_TOLERANCE})")  # fmt: skip
    m.add_argument("--method", default=DEFAULT_CORRECTION_METHOD,
                   choices=sorted(CORRECTION_METHODS),
                   help="the colour correction fitted on the chart: " + "; ".join(
                       f"{k}, {v[0]}" for k, v in CORRECTION_METHODS.items())
                   + f" (default: {DEFAULT_CORRECTION_METHOD})")  # fmt: skip
    m.add_argument("--chart-reference", default=DEFAULT_CHART_REFERENCE,
                   choices=sorted(CHART_REFERENCES),
                   help="the chart's published patch values (default: "
                   f"{DEFAULT_CHART_REFERENCE})")  # fmt: skip
    m.add_argument("--json", action="store_true", help=JSON_HELP)
    m.add_argument("--data", default=os.environ.get("HUEPROOF_DATA", "./var"),
                   help="the data directory whose catalog --sku and --shade name")  # fmt: skip
    m.set_defaults(func=cmd_measure)

    a = sub.add_parser("analyze", help="face landmarks, quality, redness heatmaps, lip colour")
    a.add_argument("selfie", help="the photo of the face (JPEG, PNG, WebP or HEIC)")
    a.add_argument("--baseline", help="an earlier photo: flag the redness that increased")
    a.add_argument("--out", required=True, help="folder for redness_mask.png and heatmaps")
    a.add_argument("--json", action="store_true", help=JSON_HELP)
    a.set_defaults(func=cmd_analyze)

    s = sub.add_parser("simulate", help="render a physically simulated swatch + chart photo")
    s.add_argument("out", help="the JPEG to write")
    s.add_argument("--seed", type=_seed, default=0,
                   help="the scene's draw: the same seed, the same photo (default 0)")  # fmt: skip
    s.add_argument("--illuminant", help="the light (default: drawn), e.g. D65, A, FL2, LED-B1, "
                   "'CCT 5000', 'Planck 2700'")  # fmt: skip
    s.add_argument("--product", help="the swatch's shade (default: drawn), e.g. 'classic red', "
                   "nude, 'foundation medium'")  # fmt: skip
    s.add_argument("--camera", help="the camera's spectral sensitivities (default: drawn): "
                   "'Nikon 5100 (NPL)' or 'Sigma SDMerill (NPL)'")  # fmt: skip
    s.add_argument("--size", type=_size, help="W,H in pixels (default 1600,1200)")
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.set_defaults(func=cmd_simulate)

    r = sub.add_parser("reference", help="calibrate a brand shade reference")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--photo", help="swatch photo with a ColorChecker")
    src.add_argument("--lab-csv", help="CSV: shade,L,a,b,illuminant,observer")
    src.add_argument("--spectral-csv", help="CSV: wavelength,<shade>,<shade>...")
    r.add_argument("--roi", help="the swatch X,Y,W,H in pixels of the upright photo (with "
                   "--photo)")  # fmt: skip
    r.add_argument("--shade", help="the shade's code, recorded with the reference (with --photo)")
    r.add_argument("--json", action="store_true", help=JSON_HELP)
    r.set_defaults(func=cmd_reference)

    data_default = os.environ.get("HUEPROOF_DATA", "./var")

    def data_arg(parser):
        parser.add_argument(
            "--data",
            default=data_default,
            help="data directory: database, images, keys (env HUEPROOF_DATA)",
        )

    v = sub.add_parser("serve", help="run the service on the embedded default")
    v.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: this machine only)")  # fmt: skip
    v.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    data_arg(v)
    v.set_defaults(func=cmd_serve)

    u = sub.add_parser("users", help="manage users").add_subparsers(dest="users_cmd", required=True)
    ua = u.add_parser("add", help="add a user and print a bearer token (the last word)")
    ua.add_argument("--role", required=True, choices=["shopper", "adjudicator", "brand", "admin"],
                    help="file claims (shopper), decide them (adjudicator), calibrate a "
                    "brand's shades and read its statistics (brand), run the service "
                    "(admin)")  # fmt: skip
    ua.add_argument("--brand", help="brand slug (created when new); required for --role brand")
    ua.add_argument("--name", help="a name to tell the user by in `hueproof users list`")
    ua.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(ua)
    ua.set_defaults(func=cmd_users_add, command="users add")
    ul = u.add_parser("list", help="every user: id, role, brand, created, disabled (no tokens)")
    ul.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(ul)
    ul.set_defaults(func=cmd_users_list, command="users list")
    for name, text in (("disable", "stop a user's token from working (a lost device, someone "
                                   "who left)"),
                       ("token", "give a user a new token (the last word), the old one no "
                                 "longer working; a disabled user is active again")):  # fmt: skip
        uc = u.add_parser(name, help=text)
        uc.add_argument("id", type=int, help="the user's id (`hueproof users list`)")
        uc.add_argument("--json", action="store_true", help=JSON_HELP)
        data_arg(uc)
        uc.set_defaults(func=cmd_users_change, command=f"users {name}")
    ue = u.add_parser("erase", help="erase a shopper's account on her request, as DELETE "
                      "/api/v1/me does: every claim's consent withdrawn and photos erased, the "
                      "name erased, the token refused")  # fmt: skip
    ue.add_argument("id", type=int, help="the shopper's id (`hueproof users list`)")
    ue.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(ue)
    ue.set_defaults(func=cmd_users_erase, command="users erase")

    im = sub.add_parser("images", help="the stored photos").add_subparsers(
        dest="images_cmd", required=True
    )
    ims = im.add_parser("strip-metadata", help="remove the metadata of photos stored before "
                        "uploads lost it (serve does this at start)")  # fmt: skip
    ims.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(ims)
    ims.set_defaults(func=cmd_images_strip, command="images strip-metadata")

    cl = sub.add_parser("claims", help="the stored claims").add_subparsers(
        dest="claims_cmd", required=True
    )
    cll = cl.add_parser("link", help="fingerprint the stored photos not fingerprinted yet, "
                        "and link the claims filed before related claims were written down "
                        "(or found by an older search) to theirs (serve does this on a thread "
                        "as it starts; here, before it starts)")  # fmt: skip
    cll.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(cll)
    cll.set_defaults(func=cmd_claims_link, command="claims link")

    au = sub.add_parser("audit", help="the audit chain").add_subparsers(
        dest="audit_cmd", required=True
    )
    av = au.add_parser("verify", help="check every link and signed checkpoint of the chain")
    av.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(av)
    av.set_defaults(func=cmd_audit_verify, command="audit verify")

    vr = sub.add_parser("verify", help="check a decision report's signature and chain entry")
    vr.add_argument("report", help="the report's JSON file (GET /api/v1/claims/ID/report)")
    vr.add_argument("--key", help="a public key file (JSON from /api/v1/keys) instead of DATA")
    vr.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(vr)
    vr.set_defaults(func=cmd_verify)

    w = sub.add_parser("worker", help="run analyses beside the web processes (scale-out): "
                       "a Celery worker on a broker, or without one from the database")  # fmt: skip
    w.add_argument("--broker", default=None,
                   help="redis://… or amqp://… (default: BROKER_URL); without one the worker "
                   "polls the database")  # fmt: skip
    w.add_argument("--queue", default="hueproof.analysis", help="the broker's queue")
    w.add_argument("--concurrency", type=int, default=1,
                   help="analyses at a time (threads; with a broker)")  # fmt: skip
    w.add_argument(
        "--sweep-every",
        type=float,
        default=60.0,
        help="seconds between looks for claims to send again (with a broker)",
    )
    w.add_argument(
        "--resend-after",
        type=float,
        default=300.0,
        help="seconds after which a queued claim is sent again (with a broker)",
    )
    w.add_argument("--interval", type=float, default=2.0,
                   help="seconds between polls of the database (without a broker)")  # fmt: skip
    w.add_argument("--once", action="store_true",
                   help="run what is pending, then exit (without a broker)")  # fmt: skip
    data_arg(w)
    w.set_defaults(func=cmd_worker)

    md = sub.add_parser("models", help="the model registry").add_subparsers(
        dest="models_cmd", required=True
    )
    for name, text in (("list", "name, file, sha256, version of every model"),
                       ("verify", "check every model file's SHA-256")):  # fmt: skip
        mp = md.add_parser(name, help=text)
        mp.add_argument("--json", action="store_true", help=JSON_HELP)
        mp.set_defaults(func=cmd_models, command=f"models {name}")

    bk = sub.add_parser(
        "backup",
        help="copy the data directory while the service runs "
        "(database snapshot, photos, keys), checked; restore by serving the copy",
    )
    bk.add_argument("dest", help="a new or empty directory for the copy")
    bk.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(bk)
    bk.set_defaults(func=cmd_backup, command="backup")

    pg = sub.add_parser("purge", help="erase raw photos past their retention")
    pg.add_argument("--json", action="store_true", help=JSON_HELP)
    data_arg(pg)
    pg.set_defaults(func=cmd_purge)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (HueproofError, ValueError, OSError, RuntimeError) as exc:
        print(f"hueproof {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"hueproof {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
