"""The ml_onnx image embeds with its own files only, and holds no torch, transformers, scipy,
scikit-learn or sympy.

    ml_onnx_test.py IMAGE_LAYOUT MODEL_IMAGE_LAYOUT REDIS_SERVER

Both images are unpacked into one root, the model image's /models as the volume it fills (no
container runtime can run inside the build; chroot as the image's user 65532 comes closest).
The service runs as the image's entrypoint and environment say, against a real Redis 8, with
the model already in /models; then the onnx embedder runs alone in the image's Python, fetching
and verifying the model from the model image as a mirror, and reports every module imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from image_root import UnpackedImageTest, image_config, unpack
from loopback_ports import free_port

# Never to be found in the image, nor imported by the embedder: the point of this image.
FORBIDDEN = ("torch", "transformers", "sentence_transformers", "scipy", "sklearn", "sympy", "mpmath")
# Declared by onnxruntime and tokenizers, never imported on the runtime path.
LEFT_OUT = ("huggingface_hub", "hf_xet", "google", "flatbuffers", "packaging")
SITE_PACKAGES = "usr/local/lib/python3.11/dist-packages"
MODEL = "all-MiniLM-L6-v2-onnx"

EMBED_SCRIPT = """
import json, sys
from docintel.core.config import Settings
from docintel.embeddings.onnx_backend import OnnxEmbedder
settings = Settings()
embedder = OnnxEmbedder(model_name=settings.onnx_model, model_dir=settings.model_dir, batch_size=8)
vectors = embedder.embed(sys.argv[1:])
print(json.dumps({"embedder": settings.embedder, "ready": embedder.check_ready(timeout=60), "vectors": vectors.tolist(),
                  "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""

CATS = "Cats are small domesticated felines. A cat purrs, sleeps most of the day and chases mice."
TAX = "Income tax law sets brackets, deductions and the deadlines for filing returns."
QUERY = "which pet hunts rodents?"


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class MlOnnxImageTest(UnpackedImageTest):
    """Runs the unpacked ml_onnx image's service and embedder, the model from the model image."""

    model_layout: Path
    redis_server: Path

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        unpack(cls.model_layout, cls.root)  # /models, as a volume seeded from the model image
        unpack(cls.model_layout, cls.root / "tmp" / "seed")  # and as a mirror
        Path(cls.tmp.name).chmod(0o755)  # the image's user must reach its root

    def test_image_says_onnx(self) -> None:
        config = image_config(self.layout)
        self.assertIn("DOCINTEL_EMBEDDER=onnx", config["Env"])
        self.assertIn("ORT_DISABLE_TELEMETRY=1", config["Env"])
        self.assertEqual(config["Entrypoint"], ["/usr/bin/python3.11", "-m", "docintel"])

    def test_no_forbidden_package_is_installed(self) -> None:
        installed = {path.name.split("-")[0].lower() for path in (self.root / SITE_PACKAGES).iterdir()}
        self.assertEqual(sorted(installed & {*FORBIDDEN, *LEFT_OUT}), [])
        self.assertTrue({"onnxruntime", "tokenizers", "numpy"} <= installed, sorted(installed))

    def test_the_embedder_runs_in_the_image(self) -> None:
        process = self.run_in_image(
            "/usr/bin/python3.11",
            "-c",
            EMBED_SCRIPT,
            CATS,
            QUERY,
            TAX,
            # HOME where nothing can be written: telemetry, if on, says it cannot keep its device id there.
            env={"DOCINTEL_MODEL_DIR": "/tmp/cache", "DOCINTEL_MODEL_MIRROR": "/tmp/seed/models", "HOME": "/proc"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        stdout, stderr = process.communicate(timeout=300)
        self.assertEqual(process.returncode, 0, stderr)
        self.assertIn(f"{MODEL}: fetching 10 file(s)", stderr)
        self.assertNotIn("telemetry", stderr)  # ORT_DISABLE_TELEMETRY: ONNX Runtime's telemetry never started
        report: dict[str, Any] = json.loads(stdout)
        self.assertEqual(report["embedder"], "onnx")
        self.assertRegex(report["ready"], rf"^onnx model {MODEL}, \d+ threads \(384 dimensions\)$")
        cats, query, tax = report["vectors"]
        self.assertAlmostEqual(_dot(cats, cats), 1.0, places=4)
        self.assertGreater(_dot(query, cats), _dot(query, tax) + 0.3)
        self.assertEqual(sorted(set(report["modules"]) & {*FORBIDDEN, *LEFT_OUT}), [])
        self.assertIn("onnxruntime", report["modules"])

    def test_the_service_ingests_and_searches(self) -> None:
        redis_socket = self.root / "tmp" / "redis.sock"
        options = ["--port", "0", "--unixsocket", str(redis_socket), "--unixsocketperm", "777", "--save", ""]
        redis = subprocess.Popen([str(self.redis_server), *options], cwd=self.root / "tmp", stdout=subprocess.DEVNULL)
        port = free_port()
        # The model is already in /models, the image's DOCINTEL_MODEL_DIR; no mirror.
        env = {"PORT": str(port), "DOCINTEL_REDIS_URL": "unix:///tmp/redis.sock"}
        service = self.run_in_image(
            *image_config(self.layout)["Entrypoint"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            ready = self.wait_ready(port, service)
            self.assertRegex(ready["checks"]["embedder"], rf"^onnx model {MODEL}, \d+ threads \(384 dimensions")
            for doc_id, text in (("cats", CATS), ("tax", TAX)):
                self.post(port, "/v1/documents", {"id": doc_id, "title": doc_id, "text": text})
            hits = self.post(port, "/v1/search", {"query": QUERY, "k": 2})["hits"]
            self.assertEqual([hit["document_id"] for hit in hits], ["cats", "tax"])
        finally:
            service.terminate()
            output, _ = service.communicate(timeout=30)
            redis.terminate()
            redis.wait(timeout=10)
        self.assertNotIn("Traceback", output)
        self.assertNotIn("fetching", output)  # the volume already held the model

    def wait_ready(self, port: int, service: subprocess.Popen[str]) -> dict[str, Any]:
        """/readyz's answer once it is 200 (the model fetched, verified and loaded)."""
        deadline = time.monotonic() + 120
        last = ""
        while time.monotonic() < deadline:
            if service.poll() is not None:
                self.fail(f"the service exited: {service.communicate()[0][-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as response:
                    answer: dict[str, Any] = json.load(response)
                    return answer
            except urllib.error.HTTPError as exc:
                last = exc.read().decode()
            except OSError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise self.failureException(f"/readyz never answered 200: {last}")

    def post(self, port: int, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON, return the JSON answer (an HTTP error fails the test with its body)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer: dict[str, Any] = json.load(response)
                return answer
        except urllib.error.HTTPError as exc:
            self.fail(f"POST {path}: {exc.code} {exc.read().decode()}")


if __name__ == "__main__":
    MlOnnxImageTest.layout = Path(sys.argv[1])
    MlOnnxImageTest.model_layout = Path(sys.argv[2])
    MlOnnxImageTest.redis_server = Path(
        sys.argv[3]
    ).absolute()  # not resolve(): redis-server is a symlink to redis-check-rdb, and argv[0] picks the mode
    unittest.main(argv=sys.argv[:1])
