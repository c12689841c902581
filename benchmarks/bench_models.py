"""Phone-class speed of the project's ONNX models (figures printed, not asserted).

onnxruntime with one thread at 256×256 and 512×512 (per call; the redness analysis makes two
calls), beside the NumPy reference of the same computation measured in the same run; peak
memory of a process that loads the model and runs it at 512×512; onnxruntime-web (wasm, one
thread) in headless Chromium at 256×256; a float16 variant of the redness model, judged by
its parity with the float32 one; the chart-free colour model on held-out illuminants, the
held-out (Sigma) camera and a second unseen camera (the typical camera of a database of real
ones, ``models.illuminant.train.DATABASE_CAMERA``). Last, the issue's targets that these
figures measure, each checked at full precision (:func:`targets`).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import chromium, have_chromium, live_server  # noqa: E402
from simset import peak_rss_mib, print_targets, save_json, target  # noqa: E402

from vision.testset import astronaut_face  # noqa: E402


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _inputs(size):
    img = astronaut_face(size / 128.0 * 1.1)
    img = np.ascontiguousarray(img[:size, :size])
    skin = np.zeros((size, size), np.float32)
    skin[size // 8 : 7 * size // 8, size // 8 : 7 * size // 8] = 1
    return img, skin


def _time(fn, n, rounds=5):
    """Median and p90 of ``n`` calls (ms), and the median of the quietest of ``rounds`` equal
    rounds: this VM's speed drifts by up to 1.7× between rounds of the same work."""
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    ms = 1000 * np.array(times)
    quiet = min(np.median(r) for r in np.array_split(ms, min(rounds, n)))
    return float(np.median(ms)), float(np.percentile(ms, 90)), float(quiet)


def _levels(registry, img, skin, runs) -> dict:
    """The registry's session (``registry``) against one at onnxruntime's default level (ALL),
    calls alternated so that both see the same machine at the same moment."""
    import onnxruntime as ort

    from models.redness import MODEL_PATH

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sessions = {"registry": registry,
                "all": ort.InferenceSession(str(MODEL_PATH), opts,
                                            providers=["CPUExecutionProvider"])}  # fmt: skip
    feeds = {"rgb_lin": np.ascontiguousarray(img.transpose(2, 0, 1)[None]),
             "skin": skin[None, None]}  # fmt: skip
    ms = {k: [] for k in sessions}
    for _ in range(runs):
        for k, s in sessions.items():
            t0 = time.perf_counter()
            s.run(None, feeds)
            ms[k].append(1000 * (time.perf_counter() - t0))
    ratio = float(np.median(np.array(ms["all"]) / np.array(ms["registry"])))
    out = {k: float(np.median(v)) for k, v in ms.items()} | {"all_over_registry": ratio}
    print(f"graph optimisation, {runs} alternated calls at 256×256: the registry's level "
          f"(EXTENDED) {out['registry']:.2f} ms median, onnxruntime's default (ALL) "
          f"{out['all']:.2f} ms; paired ratio ALL ÷ EXTENDED {ratio:.2f}")  # fmt: skip
    return out


def native(runs: int) -> dict:
    from models.redness import RednessModel
    from models.redness.reference import redness_maps

    model = RednessModel()
    out = {}
    print(f"\n== Redness model, onnxruntime, 1 thread, {_cpu_name()} ==")
    for size in (256, 512):
        img, skin = _inputs(size)
        med, p90, quiet = _time(lambda img=img, skin=skin: model.run(img, skin), runs)
        ref, _, _ = _time(lambda img=img, skin=skin: redness_maps(img, skin), max(3, runs // 10))
        out[str(size)] = {"onnx_ms_median": med, "onnx_ms_p90": p90, "onnx_ms_quietest_round":
                          quiet, "numpy_ms_median": ref}  # fmt: skip
        target = " (target ≤ 4 ms)" if size == 256 else ""
        print(f"{size}×{size}: {med:.2f} ms median, p90 {p90:.2f} ms, quietest round "
              f"{quiet:.2f} ms{target}; NumPy reference {ref:.1f} ms ({ref / med:.1f}× "
              "slower)")  # fmt: skip
    out["levels_256"] = _levels(model.session, *_inputs(256), runs * 10)
    return out


def illuminant(runs: int) -> dict:
    """The chart-free model: speed (one thread) and its held-out accuracy, re-measured."""
    from calibration.colorimetry import delta_e00
    from models.illuminant import default_model, white_corrected_lab
    from models.illuminant import train as T

    model = default_model()
    rng, swatch_rng = np.random.default_rng(123), np.random.default_rng(124)

    def scenes(illuminants, camera):  # with swatches the model never saw
        return T.simulate(300, list(illuminants), [camera], rng, swatch_rng=swatch_rng,
                          held_out_swatches=True)  # fmt: skip

    train_ill = [n for n in T._illuminants() if n not in T.HELD_OUT_ILLUMINANTS]
    held = scenes(T.HELD_OUT_ILLUMINANTS, T.TRAIN_CAMERA)
    cam = scenes(train_ill, T.HELD_OUT_CAMERA)
    typical = scenes(train_ill, T.database_camera())
    region = held[0].region_rgb
    med, p90, _ = _time(lambda: model.predict(region), runs)
    print(f"\n== Chart-free colour model, onnxruntime, 1 thread ==\none face: {med:.3f} ms "
          f"median, p90 {p90:.3f} ms (target ≤ 2 ms)")  # fmt: skip
    out = {"ms_median": med, "ms_p90": p90, "u_de00": model.expanded_u}
    for name, scenes in (
        ("held-out illuminants", held),
        ("held-out camera", cam),
        ("database camera", typical),
    ):
        preds = [model.predict(s.region_rgb, s.swatch_rgb) for s in scenes]
        ang = [T.angular_error(p.white, s.white) for p, s in zip(preds, scenes, strict=True)]
        pairs = list(zip(preds, scenes, strict=True))
        de = np.array([delta_e00(s.lips_lab_d65, p.lips_lab) for p, s in pairs])
        sw = np.array([delta_e00(s.swatch_lab_d65, p.swatch_lab) for p, s in pairs])
        sw_white = [delta_e00(s.swatch_lab_d65, white_corrected_lab(s.swatch_rgb, p.white))
                    for p, s in pairs]  # fmt: skip
        gw = [T.angular_error(T.grey_world(s), s.white) for s in scenes]
        wp = [T.angular_error(T.white_patch(s), s.white) for s in scenes]
        cover = float(np.mean(de <= model.expanded_u))
        swatch_cover = float(np.mean(sw <= model.swatch_u))
        print(
            f"{name}: white angular error median {np.median(ang):.2f}° (grey-world "
            f"{np.median(gw):.2f}°, white-patch {np.median(wp):.2f}°); lips ΔE00 median "
            f"{np.median(de):.2f}, U {model.expanded_u:.1f} covers {100 * cover:.0f} %"
        )
        print(
            f"  a swatch beside the face (held-out colours): ΔE00 median {np.median(sw):.2f} "
            f"(divided by the white alone {np.median(sw_white):.2f}), U {model.swatch_u:.1f} "
            f"covers {100 * swatch_cover:.0f} %"
        )
        out[name] = {"angular_median": float(np.median(ang)), "lips_de00_median":
                     float(np.median(de)), "u_coverage": cover,
                     "grey_world_angular_median": float(np.median(gw)),
                     "white_patch_angular_median": float(np.median(wp)),
                     "swatch_de00_median": float(np.median(sw)),
                     "swatch_by_white_de00_median": float(np.median(sw_white)),
                     "swatch_u_coverage": swatch_cover}  # fmt: skip
    for name in (T.TRAIN_CAMERA, T.HELD_OUT_CAMERA):
        share = T.span_residual(T._camera(name)[0])
        out[f"span_residual/{name}"] = share.tolist()
        print(
            f"{name}: share of its R, G, B sensitivities outside the span of the camera "
            f"database's principal components: {', '.join(f'{100 * x:.1f} %' for x in share)}"
        )
    return out


def peak_memory() -> dict:
    run = (
        "import numpy as np; from models.redness import RednessModel; m = RednessModel();"
        "m.run(np.full((512, 512, 3), 0.3, np.float32), np.ones((512, 512), np.float32))"
    )
    base = "import numpy as np, onnxruntime"
    out = {name: peak_rss_mib([sys.executable, "-c", code], ROOT)
           for name, code in (("baseline_mib", base), ("model_512_mib", run))}  # fmt: skip
    print(
        f"peak memory: {out['model_512_mib']:.0f} MiB loading and running at 512×512 (a "
        f"process importing numpy and onnxruntime only: {out['baseline_mib']:.0f} MiB)"
    )
    return out


def browser(runs: int) -> dict:
    if not have_chromium():
        return {}
    img, skin = _inputs(256)
    with live_server(seed=False) as base, chromium() as b:
        page = b.new_page()
        page.route(re.compile(r"^http://127\.0\.0\.1:\d+/blank$"),
                   lambda r: r.fulfill(status=200, body="<!doctype html><title>b</title>",
                                       content_type="text/html"))  # fmt: skip
        page.goto(base + "/blank")
        ms = page.evaluate(
            """async ([rgb, skin, runs]) => {
                const m = await import('/webar/js/redness.js');
                const r = Float32Array.from(rgb), s = Float32Array.from(skin);
                await m.runModel(r, s, 256, 256);
                const t = [];
                for (let k = 0; k < runs; k++) {
                    const t0 = performance.now();
                    await m.runModel(r, s, 256, 256);
                    t.push(performance.now() - t0);
                }
                // the preview's flagging of the maps (both pairs of scales, in JavaScript)
                const maps = await m.runModel(r, s, 256, 256), f = [];
                for (let k = 0; k < runs; k++) {
                    const t0 = performance.now();
                    m.flagMaps(maps, s, 256, 256);
                    f.push(performance.now() - t0);
                }
                return [t, f];
            }""",
            [img.transpose(2, 0, 1).ravel().tolist(), skin.ravel().tolist(), runs],
        )
    ms, flag_ms = ms
    out = {"web_ms_median": float(np.median(ms)), "web_ms_p90": float(np.percentile(ms, 90)),
           "flag_ms_median": float(np.median(flag_ms))}  # fmt: skip
    print(f"onnxruntime-web (wasm, 1 thread), headless Chromium, 256×256: "
          f"{out['web_ms_median']:.2f} ms median, p90 {out['web_ms_p90']:.2f} ms "
          "(target ≤ 10 ms)")  # fmt: skip
    print(f"  the preview's flagging of its maps (JavaScript, both pairs of scales): "
          f"{out['flag_ms_median']:.2f} ms median, "
          f"{out['flag_ms_median'] / out['web_ms_median']:.2f}× a model run")  # fmt: skip
    return out


def _float16(model):
    """``model`` (an onnx ModelProto) computing in float16 behind float32 inputs and outputs:
    every float initializer halved except Resize's scales (float32 by the operator's
    definition), a Cast after each input and before each output."""
    from onnx import TensorProto, helper, numpy_helper

    g = model.graph
    keep = {n.input[2] for n in g.node if n.op_type == "Resize"}
    for k, init in enumerate(g.initializer):
        if init.data_type == TensorProto.FLOAT and init.name not in keep:
            half = numpy_helper.to_array(init).astype(np.float16)
            g.initializer[k].CopyFrom(numpy_helper.from_array(half, init.name))
    ins, outs = {i.name for i in g.input}, {o.name for o in g.output}
    for n in g.node:
        for k, x in enumerate(n.input):
            n.input[k] = x + "_h" if x in ins | outs else x
        for k, x in enumerate(n.output):
            n.output[k] = x + "_h" if x in outs else x
    head = [helper.make_node("Cast", [x], [x + "_h"], to=TensorProto.FLOAT16) for x in ins]
    tail = [helper.make_node("Cast", [x + "_h"], [x], to=TensorProto.FLOAT) for x in outs]
    nodes = [*head, *g.node, *tail]
    del g.node[:]
    g.node.extend(nodes)
    return model


def half_precision(runs: int) -> dict:
    """A float16 variant of the redness model, built here and judged by the issue's rule: it
    would ship only if ONNX-vs-reference parity (1e-4) still held."""
    import onnx
    import onnxruntime as ort

    from models.redness import MODEL_PATH

    half = _float16(onnx.load(str(MODEL_PATH))).SerializeToString()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sessions = {name: ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])
                for name, src in (("float32", str(MODEL_PATH)), ("float16", half))}  # fmt: skip
    img, skin = _inputs(256)
    feeds = {"rgb_lin": np.ascontiguousarray(img.transpose(2, 0, 1)[None]),
             "skin": skin[None, None]}  # fmt: skip
    full, reduced = (sessions[k].run(None, feeds) for k in ("float32", "float16"))
    names = [o.name for o in sessions["float32"].get_outputs()]
    diff = {n: float(np.max(np.abs(a - b))) for n, a, b in zip(names, full, reduced, strict=True)}
    ms = {k: _time(lambda s=s: s.run(None, feeds), runs)[0] for k, s in sessions.items()}
    worst = max(diff, key=diff.get)
    print(f"\n== Redness model in float16 (onnxruntime CPU, 1 thread, 256×256) ==\n"
          f"{len(half)} bytes; largest difference from float32 {diff[worst]:.1e} ({worst}; "
          f"parity bound 1e-4); {ms['float16']:.2f} ms vs {ms['float32']:.2f} ms in float32 → "
          f"{'shippable' if diff[worst] <= 1e-4 else 'not shipped'}")  # fmt: skip
    return {"max_abs_diff": diff, "ms_median": ms, "bytes": len(half)}


#: The chart-free model's targets on each held-out set (issue 6): the figure's key, what it
#: is, its limit, and whether it must be at least the limit rather than at most.
COLOUR_TARGETS = (
    ("angular_median", "the white's angular error median (°)", 3.0, False),
    ("lips_de00_median", "lips ΔE00 median", 3.0, False),
    ("swatch_de00_median", "swatch ΔE00 median", 3.0, False),
    ("u_coverage", "share of the lips' errors U covers", 0.9, True),
    ("swatch_u_coverage", "share of the swatches' errors U covers", 0.9, True),
)


def targets(result: dict) -> list[tuple[str, str, bool]]:
    """(what, measured against the target, met) for each target of the issue that this
    benchmark measures (parity is the tests')."""
    colour = result["illuminant"]
    rows = [target(f"chart-free, {name}: {what}", colour[name][key], limit, at_least)
            for name in ("held-out illuminants", "held-out camera", "database camera")
            for key, what, limit, at_least in COLOUR_TARGETS]  # fmt: skip
    speeds = (  # (what, ms median, its target)
        ("redness, onnxruntime, 256×256", result["redness"]["256"]["onnx_ms_median"], 4.0),
        ("redness, onnxruntime-web, 256×256", result["web"].get("web_ms_median"), 10.0),
        ("chart-free model, one face", colour["ms_median"], 2.0),
    )
    rows += [target(f"{what} (ms, median)", ms, limit, False)
             for what, ms, limit in speeds if ms is not None]  # fmt: skip
    return rows


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="bench-out/models.json")
    p.add_argument("--runs", type=int, default=50)
    args = p.parse_args(argv)
    result = {"cpu": _cpu_name(), "redness": native(args.runs)}
    result["float16"] = half_precision(args.runs)
    result["illuminant"] = illuminant(args.runs)
    result["memory"] = peak_memory()
    result["web"] = browser(args.runs)
    print_targets("The issue's targets: held-out simulated scenes, speed", targets(result))
    save_json(result, args.out)
    print(json.dumps({"cpu": result["cpu"]}))
    return result


if __name__ == "__main__":
    main()
