import io

import pytest

from calibration.simulate import random_scene, render_scene
from server import create_app


@pytest.fixture()
def client(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")})
    return app.test_client()


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_measure_endpoint(client):
    ph = render_scene(random_scene(9100, illuminant="D65"))
    resp = client.post(
        "/api/v1/measure",
        data={"photo": (io.BytesIO(ph.jpeg), "p.jpg"), "roi": ",".join(map(str, ph.roi))},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    assert resp.json["chart"]["detected"] is True


def test_bad_upload_is_problem_json(client):
    resp = client.post(
        "/api/v1/measure",
        data={"photo": (io.BytesIO(b"GIF89a nope"), "p.gif"), "roi": "0,0,1,1"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 415
    assert resp.mimetype == "application/problem+json"
    assert resp.json["type"].endswith("/unsupported-media-type")
    ph = render_scene(random_scene(9101, illuminant="D65"))
    truncated = client.post(
        "/api/v1/measure",
        data={"photo": (io.BytesIO(ph.jpeg[: len(ph.jpeg) // 2]), "p.jpg"), "roi": "0,0,1,1"},
        content_type="multipart/form-data",
    )
    assert truncated.status_code == 422 and truncated.json["type"].endswith("/invalid-image")
    missing = client.post("/api/v1/measure", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "photo" in missing.json["detail"]


@pytest.mark.parametrize("fields, said", [
    ({"tolerance": "nan", "reference_lab": "50,0,0"}, "tolerance as a finite number > 0"),  # 500
    ({"tolerance": "-1"}, "tolerance as a finite number > 0"),  # unused, it was let through
    ({"roi": "inf,0,1,1"}, "ROI as X,Y,W,H: four numbers"),  # a 500 before
    ({"reference_lab": "50,0"}, "three finite numbers"),
])  # fmt: skip
def test_a_measurements_bad_numbers_are_refused(client, fields, said):
    ph = render_scene(random_scene(9100, illuminant="D65"))
    form = {"photo": (io.BytesIO(ph.jpeg), "p.jpg"), "roi": ",".join(map(str, ph.roi)), **fields}
    resp = client.post("/api/v1/measure", data=form, content_type="multipart/form-data")
    assert resp.status_code == 422 and said in resp.json["detail"], resp.json


def test_every_response_carries_the_security_headers_and_pages_their_policy(client):
    """No MIME sniffing, no Referer, no framing on every response; the pages also carry the
    Content-Security-Policy under which the browser tests run them (tests/webar/conftest.py
    fails a test on anything it refuses), so a script injected into a page cannot run."""
    from server import PAGE_CSP, SECURITY_HEADERS

    for path in ("/tryon", "/claim", "/review", "/brand", "/api/v1/shades", "/healthz",
                 "/api/v1/claims", "/webar/js/api.js", "/nowhere"):  # fmt: skip
        resp = client.get(path)
        assert {k: resp.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, path
        html = resp.mimetype == "text/html"
        assert (resp.headers.get("Content-Security-Policy") == PAGE_CSP) == html, path
    policy = dict(d.split(" ", 1) for d in PAGE_CSP.split("; "))
    assert "'unsafe-eval'" not in policy["script-src"].split()
    assert "'unsafe-inline'" not in policy["script-src"].split()
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


def test_the_pages_assets_and_the_apis_json_go_compressed_to_a_client_that_accepts_it(
    client, monkeypatch
):
    """onnxruntime-web's 14 MB of WebAssembly goes as about 3.7 MB of gzip, byte for byte
    the file once unpacked, and revalidates with 304 by its tag; the API's JSON too; a client
    that does not ask gets the bytes as they are, and images and the face model (a zip) go as
    they are. Before, every byte went as it was: about 30 MB for the capture page's models on
    a shopper's phone."""
    import gzip
    import json

    import server

    wasm = "/vendor/onnxruntime/ort-wasm-simd-threaded.wasm"
    plain = client.get(wasm)
    packed = client.get(wasm, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.vary
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    tag = packed.headers["ETag"]
    assert tag.startswith('W/"')  # another encoding of the same file
    again = client.get(wasm, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    spec = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(spec.data))["openapi"].startswith("3.")
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # under a packet: as it is
    model = client.get("/models/face_landmarker.task", headers={"Accept-Encoding": "gzip"})
    assert model.status_code == 200 and "Content-Encoding" not in model.headers
    monkeypatch.setattr(server, "GZIP_MIN_BYTES", 100)  # the measurement's answer, 1.3 KB
    ph = render_scene(random_scene(9100, illuminant="D65"))
    posted = client.post(
        "/api/v1/measure", headers={"Accept-Encoding": "gzip"}, content_type="multipart/form-data",
        data={"photo": (io.BytesIO(ph.jpeg), "p.jpg"), "roi": ",".join(map(str, ph.roi))},
    )  # fmt: skip
    assert posted.status_code == 200 and len(posted.data) > 100
    assert "Content-Encoding" not in posted.headers  # a POST's answer: never
