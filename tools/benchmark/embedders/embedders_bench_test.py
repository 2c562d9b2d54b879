"""embedders_bench's own logic on a small OCI layout made up here: sizes, filling a volume, the table."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import tempfile
import unittest
from pathlib import Path

from embedders_bench import Figures, fill_volume, sizes, table

FILES = {"models/m/main/config.json": b'{"a": 1}', "models/m/main/weights.bin": bytes(range(256)) * 40}


def _add_blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def make_layout(root: Path) -> tuple[Path, int]:
    """A one-layer image holding FILES (directories owned by 65532); returns it and its tar's size."""
    layout = root / "layout"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for directory in ("models", "models/m", "models/m/main"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o755, 65532, 65532
            tar.addfile(info)
        for name, data in FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    layer = _add_blob(layout, gzip.compress(raw.getvalue(), mtime=0))
    config = _add_blob(layout, b"{}")
    manifest = _add_blob(layout, json.dumps({"config": config, "layers": [layer]}).encode())
    (layout / "index.json").write_text(json.dumps({"manifests": [manifest]}))
    return layout, len(raw.getvalue())


def figures(uncompressed: float, start: float, throughput: float, p50: float, rss: float) -> Figures:
    embed: dict[str, object] = {"texts_per_second": throughput, "query_p50_ms": p50, "query_p90_ms": p50 * 2}
    embed |= {"load_seconds": 1.0, "tokens_per_text": 128.0, "texts": 256, "ready": "ready"}
    slower_round = {**embed, "texts_per_second": throughput / 2, "query_p50_ms": p50 * 3}
    return Figures(
        compressed=uncompressed / 3,
        uncompressed=uncompressed,
        warmup_start=start * 2,
        starts=[start, start + 0.1, start - 0.1],
        uncached_starts=[start * 3],
        rss=rss,
        rss_in_use=rss * 1.5,
        embeds=[slower_round, embed],
    )


class EmbeddersBenchTest(unittest.TestCase):
    def test_sizes_are_the_blobs_and_the_tar_streams(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            layout, tar_size = make_layout(Path(tmp))
            compressed, uncompressed = sizes(layout)
            layer = json.loads((layout / "index.json").read_text())
            self.assertEqual(uncompressed, tar_size)
            self.assertLess(compressed, uncompressed)
            self.assertTrue(layer["manifests"])

    def test_volume_holds_the_model_image_files(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            layout, _ = make_layout(Path(tmp))
            volume = Path(tmp) / "volume"
            volume.mkdir()
            fill_volume(layout, volume)
            for name, data in FILES.items():
                self.assertEqual((volume / name.removeprefix("models/")).read_bytes(), data)
            self.assertEqual((volume / "m" / "main").stat().st_uid, 65532)
            self.assertEqual(volume.stat().st_uid, 65532)

    def test_table_compares_with_the_targets(self) -> None:
        ml = figures(780e6, 3.6, 30.0, 20.0, 600e6)
        onnx = figures(160e6, 1.2, 60.0, 10.0, 150e6)
        self.assertEqual((onnx.embed["texts_per_second"], onnx.embed["query_p50_ms"]), (60.0, 10.0))  # best rounds
        text = table(ml, onnx)
        self.assertIn("160.0 MB", text)
        self.assertIn("2.00x", text)  # throughput ratio, the best rounds
        self.assertNotIn("NOT met", text)
        slow = figures(160e6, 2.0, 40.0, 25.0, 300e6)
        rows = {line.split(" | ")[0].strip(): line for line in table(ml, slow).splitlines()}
        for row in ("podman run -> /readyz 200, model in the volume (median of starts)",
                    "throughput, batches of 32 texts of ~128 tokens", "single-query embed latency p50 (p90)",
                    "service resident memory once ready (VmRSS)"):  # fmt: skip
            self.assertTrue(rows[row].rstrip().endswith("NOT met"), rows[row])


if __name__ == "__main__":
    unittest.main()
