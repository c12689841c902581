"""A peak of claims through the whole service (figures printed, not asserted).

Shoppers file claims at once over HTTP (shade claims with the README's sample photo, redness
claims with a face and a photo from before); each claim's wait, from filing to its analysis
ready, is read off its own timestamps. Measured on:

- ``embedded``: ``hueproof serve`` as ``make run`` starts it (SQLite, one analysis thread);
- ``embedded-2``: the same with two analysis threads (``HUEPROOF_ANALYSIS_WORKERS=2``);
- ``scale-out``: two gunicorn web processes and two ``hueproof worker`` processes (Celery) on
  PostgreSQL and Redis, when the machine has them.

The baseline, measured in the same run: one claim's analysis in this process, one after the
other (the median of each kind's); the ratio says how many such analyses a setup completes
in the time one takes, per claim filed at the peak (1.0: as fast as one analysis after the
other; the machine's cores bound it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from simset import save_json  # noqa: E402

BIN = Path(sys.executable).parent
SAMPLE_ROI = "218,455,90,72"
PG_ADMIN = os.environ.get("HUEPROOF_BENCH_POSTGRES",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")  # fmt: skip
REDIS = os.environ.get("HUEPROOF_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def _face_jpegs() -> tuple[bytes, bytes]:
    """The astronaut's face (2.5× upscaled) and another photo of it, as a pair's JPEGs."""
    from PIL import Image

    from calibration.colorimetry import rgb_lin_to_srgb_u8
    from vision.testset import astronaut_face, second_photo

    out = []
    for img in (astronaut_face(2.5), second_photo(astronaut_face(2.5))):
        buf = io.BytesIO()
        Image.fromarray(rgb_lin_to_srgb_u8(img)).save(buf, format="JPEG", quality=92)
        out.append(buf.getvalue())
    return out[0], out[1]


def _claims(n_shade: int, n_redness: int) -> list[tuple[dict, dict]]:
    """(form fields, files) of each claim of the peak."""
    from claims.consent import NOTICE_VERSION

    photo = (ROOT / "samples/swatch_with_chart.jpg").read_bytes()
    after, before = _face_jpegs()
    base = {"consent_version": NOTICE_VERSION, "consent_facial": "true"}
    shade = ({**base, "type": "shade", "sku": "LIP-VELVET", "shade": "R01", "roi": SAMPLE_ROI},
             {"photo": photo})  # fmt: skip
    redness = ({**base, "type": "redness", "sku": "SERUM-RETINOL", "consent_health": "true"},
               {"photo": after, "baseline": before})  # fmt: skip
    return [shade] * n_shade + [redness] * n_redness


def baseline(claims) -> dict:
    """Each kind's analysis in this process, one after the other (median of three)."""
    from claims.analysis import analyse_claim
    from models.illuminant import default_model
    from vision.landmarks import FaceLandmarker

    times = {}
    with FaceLandmarker() as lm:
        default_model()
        for form, files in {c[0]["type"]: c for c in claims}.values():
            roi = tuple(int(v) for v in form["roi"].split(",")) if "roi" in form else None
            runs = []
            for _ in range(4):  # the first warms the models up
                t0 = time.perf_counter()
                analyse_claim(form["type"], files["photo"], landmarker=lm,
                              baseline=files.get("baseline"), roi=roi)  # fmt: skip
                runs.append(time.perf_counter() - t0)
            times[form["type"]] = float(np.median(runs[1:]))
    per_claim = float(np.mean([times[c[0]["type"]] for c in claims]))
    print("baseline: one analysis in this process, " + ", ".join(
        f"{k} {1000 * v:.0f} ms" for k, v in times.items()) + f"; {per_claim:.3f} s a claim "
        f"on average over the peak's mix")  # fmt: skip
    return {"analysis_s": times, "per_claim_s": per_claim}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url, timeout=60.0):
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not up yet, or still starting
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def peak(base: str, tokens: dict, claims, clients: int) -> dict:
    """File ``claims`` from ``clients`` shoppers at once; wait until every one is analysed,
    asking after each as its shopper does (the capture page asks after her claim; until
    session 24 the benchmark asked as an adjudicator, whose view also reads the claims beside
    each: load of the benchmark's own that no client makes 5 times a second); each claim's
    wait from its own timestamps (filed → ready)."""
    import requests

    shopper = {"Authorization": f"Bearer {tokens['shopper']}"}
    run = uuid.uuid4().hex[:8]

    def file(i):
        form, files = claims[i]
        r = requests.post(f"{base}/api/v1/claims", data=form, timeout=120,
                          files={k: (f"{k}.jpg", v, "image/jpeg") for k, v in files.items()},
                          headers={**shopper, "Idempotency-Key": f"{run}-{i}"})  # fmt: skip
        r.raise_for_status()
        return r.json()["id"]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        ids = list(pool.map(file, range(len(claims))))
    filed_s = time.perf_counter() - t0
    pending = set(ids)
    views = {}
    while pending:
        for cid in list(pending):
            v = requests.get(f"{base}/api/v1/claims/{cid}", headers=shopper, timeout=60).json()
            if v["status"] in ("ready", "failed"):
                views[cid] = v
                pending.discard(cid)
        time.sleep(0.2)
    created = [dt.datetime.fromisoformat(v["created_at"]) for v in views.values()]
    done = [dt.datetime.fromisoformat(v["updated_at"]) for v in views.values()]
    waits = np.array([(d - c).total_seconds() for c, d in zip(created, done, strict=True)])
    span = (max(done) - min(created)).total_seconds()
    failed = sum(v["status"] == "failed" for v in views.values())
    return {"claims": len(ids), "failed": failed, "filing_s": round(filed_s, 2),
            "span_s": round(span, 2), "claims_per_minute": round(60 * len(ids) / span, 1),
            "wait_p50_s": round(float(np.median(waits)), 2),
            "wait_p95_s": round(float(np.percentile(waits, 95)), 2),
            "wait_max_s": round(float(waits.max()), 2)}  # fmt: skip


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def embedded(claims, clients, threads: int) -> dict:
    """``hueproof serve`` on a new data directory, ``threads`` analysis threads."""
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = {**os.environ, "HUEPROOF_ANALYSIS_WORKERS": str(threads),
               "HUEPROOF_CLAIMS_PER_HOUR": "100000"}  # fmt: skip
        env.pop("DATABASE_URL", None), env.pop("BROKER_URL", None)
        serve = subprocess.Popen([str(BIN / "hueproof"), "serve", "--port", str(port), "--data",
                                  tmp], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)  # fmt: skip
        try:
            tokens = {}
            for line in serve.stdout:  # the first start prints one token per role
                words = line.split()
                if len(words) == 2 and words[1].startswith("hp_"):
                    tokens[words[0]] = words[1]
                if line.startswith("hueproof serving"):
                    break
            _wait_up(f"http://127.0.0.1:{port}/healthz")
            return peak(f"http://127.0.0.1:{port}", tokens, claims, clients)
        finally:
            _stop(serve)


def scale_out(claims, clients, web: int = 2, workers: int = 2) -> dict | None:
    """gunicorn (``web`` processes) and ``workers`` Celery workers on PostgreSQL and Redis;
    None when the machine has neither."""
    import sqlalchemy
    from kombu import Connection

    from claims.db import open_store
    from claims.demo import seed_demo

    name = f"hueproof_bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        with Connection(REDIS, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        print(f"scale-out: not measured (no PostgreSQL at {PG_ADMIN} or Redis at {REDIS}: "
              f"{exc})")  # fmt: skip
        return None
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    queue = f"hueproof-bench-{uuid.uuid4().hex[:8]}"
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "BROKER_URL": REDIS,
                "HUEPROOF_DATA": tmp,
                "HUEPROOF_BROKER_QUEUE": queue,
                "HUEPROOF_CLAIMS_PER_HOUR": "100000",
            }
            store = open_store(tmp, url)
            with store.write() as s:
                tokens = seed_demo(s)
            store.dispose()
            port = _free_port()
            procs.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "-w", str(web), "-b", f"127.0.0.1:{port}",
                 "server:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))  # fmt: skip
            procs += [subprocess.Popen([str(BIN / "hueproof"), "worker", "--data", tmp,
                                        "--queue", queue], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                      for _ in range(workers)]  # fmt: skip
            _wait_up(f"http://127.0.0.1:{port}/healthz")
            return peak(f"http://127.0.0.1:{port}", tokens, claims, clients)
    finally:
        for p in procs:
            _stop(p)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()
        with Connection(REDIS) as conn:
            try:
                conn.default_channel.queue_delete(queue)
            except Exception:
                pass
            conn.default_channel.client.delete(f"_kombu.binding.{queue}")


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shade", type=int, default=24, help="shade claims in the peak")
    p.add_argument("--redness", type=int, default=8, help="redness claims in the peak")
    p.add_argument("--clients", type=int, default=8, help="shoppers filing at once")
    p.add_argument("--out", default="bench-out/service.json")
    args = p.parse_args(argv)
    claims = _claims(args.shade, args.redness)
    print(f"\n== A peak of {len(claims)} claims ({args.shade} shade, {args.redness} redness), "
          f"{args.clients} shoppers filing at once, {os.cpu_count()} cores ==")  # fmt: skip
    result = {"baseline": baseline(claims)}
    per_claim = result["baseline"]["per_claim_s"]
    setups = {"embedded": lambda: embedded(claims, args.clients, 1),
              "embedded-2": lambda: embedded(claims, args.clients, 2),
              "scale-out": lambda: scale_out(claims, args.clients)}  # fmt: skip
    for name, measure in setups.items():
        r = measure()
        if r is None:
            continue
        r["ratio"] = round(len(claims) * per_claim / r["span_s"], 2)
        result[name] = r
        print(f"{name:<11} {r['claims']} claims ({r['failed']} failed) analysed in "
              f"{r['span_s']:.1f} s: {r['claims_per_minute']:.0f} a minute, "
              f"{r['ratio']:.2f}× one analysis after the other; wait p50 {r['wait_p50_s']:.1f} "
              f"s, p95 {r['wait_p95_s']:.1f} s, max {r['wait_max_s']:.1f} s (filing took "
              f"{r['filing_s']:.1f} s)")  # fmt: skip
    save_json(result, args.out)
    return result


if __name__ == "__main__":
    main()
