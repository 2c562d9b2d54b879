"""Quantise an exported ONNX model's weights to int8, as a Bazel action.

    quantize_onnx.py --input model.onnx --output model.onnx

Dynamic quantisation (ONNX Runtime's ``quantize_dynamic``): every MatMul's
weights become signed int8 with one scale per output channel, activations
are quantised at run time. The graph keeps its inputs and outputs, so the
onnx embedder runs it unchanged. The vectors move: the parity test prints
their cosine to sentence-transformers' and the recall@10 of their rankings
(//service:onnx_int8_quality_test). The output is the same bytes on every
run (models/manifest.json pins its sha256).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Read when ONNX Runtime starts: no usage telemetry from a build action.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

from onnxruntime.quantization import QuantType, quantize_dynamic


def quantize(source: Path, output: Path) -> None:
    """Write ``source`` with int8 per-channel MatMul weights to ``output``."""
    quantize_dynamic(source, output, weight_type=QuantType.QInt8, per_channel=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and quantise; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="the float32 .onnx file")
    parser.add_argument("--output", type=Path, required=True, help="the int8 .onnx file to write")
    args = parser.parse_args(argv)
    if not args.input.is_file():
        parser.error(f"{args.input} does not exist: pass the exported model.onnx")
    # quantize_dynamic's advice to pre-process the graph first is a warning only; the quality test measures the result.
    logging.getLogger().setLevel(logging.ERROR)
    quantize(args.input, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
