"""A BERT encoder's forward pass in plain torch: the Transformer module of a BERT sentence-transformers model.

The ml image's local embedder runs this instead of importing
sentence-transformers for the models it fits (all-MiniLM-L6-v2 among them):
that import pulls transformers, scipy and scikit-learn, 5 to 8 s of every
start, while torch alone takes about 2 s. What it computes is BertModel's
last hidden state: word + position + token-type embeddings and their
LayerNorm, then per layer multi-head self-attention (padded keys masked out)
and the GELU feed-forward, each followed by its residual LayerNorm. Weights
come from the model's ``model.safetensors``, the shape from its
``config.json``; anything else gets :class:`UnsupportedModelError`, and the
embedder falls back to sentence-transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from docintel.embeddings.sentence_pipeline import TokenBatch

__all__ = ["BertConfig", "BertEncoder", "UnsupportedModelError", "read_config"]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
_PREFIX = "bert."
"""What a BertFor... checkpoint puts before the encoder's weight names."""


class UnsupportedModelError(ValueError):
    """The model is not a plain BERT encoder this module can run; the message says why."""


@dataclass(frozen=True)
class BertConfig:
    """The shape of a BERT encoder, from its ``config.json``."""

    layers: int
    heads: int
    hidden: int
    layer_norm_eps: float


def read_config(model_dir: Path) -> BertConfig:
    """The encoder's shape; :class:`UnsupportedModelError` unless it is BERT with absolute positions and GELU."""
    path = model_dir / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnsupportedModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(config, dict):
        raise UnsupportedModelError(f"{path}: expected a JSON object")
    found = {
        "model_type": config.get("model_type"),
        "hidden_act": config.get("hidden_act"),
        "position_embedding_type": config.get("position_embedding_type", "absolute"),
    }
    if found != {"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute"}:
        raise UnsupportedModelError(f"{path}: {found}, not a BERT encoder with absolute positions and GELU")
    try:
        shape = BertConfig(
            layers=int(config["num_hidden_layers"]),
            heads=int(config["num_attention_heads"]),
            hidden=int(config["hidden_size"]),
            layer_norm_eps=float(config["layer_norm_eps"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UnsupportedModelError(f"{path}: missing or malformed {exc}") from exc
    if min(shape.layers, shape.heads, shape.hidden) < 1 or shape.hidden % shape.heads:
        raise UnsupportedModelError(f"{path}: hidden_size {shape.hidden} is not a multiple of {shape.heads} heads")
    return shape


class BertEncoder:
    """A BERT encoder's weights on the CPU and its forward pass (no dropout, no gradients)."""

    def __init__(self, torch: Any, config: BertConfig, weights: dict[str, Any]) -> None:
        """Check that ``weights`` (name -> tensor, as in ``model.safetensors``) hold every tensor ``config`` needs."""
        self._torch = torch
        self.config = config
        named = {name.removeprefix(_PREFIX): tensor for name, tensor in weights.items()}
        needed = _weight_names(config.layers)
        missing = [name for name in needed if name not in named]
        if missing:
            raise UnsupportedModelError(f"{WEIGHTS_FILE} lacks {len(missing)} BERT weights, {missing[0]} first")
        self._weights = {name: named[name].float() for name in needed}
        positions = self._weights["embeddings.position_embeddings.weight"]
        self.max_positions = int(positions.shape[0])

    @classmethod
    def open(cls, torch: Any, safetensors_torch: Any, model_dir: Path, config: BertConfig) -> BertEncoder:
        """The encoder of shape ``config`` (:func:`read_config`) with ``model_dir``'s ``model.safetensors``."""
        path = model_dir / WEIGHTS_FILE
        if not path.is_file():
            raise UnsupportedModelError(f"{path} does not exist")
        return cls(torch, config, safetensors_torch.load_file(str(path), device="cpu"))

    def hidden_states(self, inputs: TokenBatch) -> npt.NDArray[np.float32]:
        """The last layer's token embeddings (batch x sequence x hidden) for a tokenized, padded batch."""
        torch, w, config = self._torch, self._weights, self.config
        functional = torch.nn.functional
        ids = torch.from_numpy(inputs["input_ids"])
        mask = torch.from_numpy(inputs["attention_mask"])
        types = torch.from_numpy(inputs["token_type_ids"])
        batch, length = ids.shape
        if length > self.max_positions:
            raise ValueError(f"{length} tokens, more than the model's {self.max_positions} positions")

        def norm(x: Any, name: str) -> Any:
            return functional.layer_norm(
                x, (config.hidden,), w[name + ".weight"], w[name + ".bias"], config.layer_norm_eps
            )

        def dense(x: Any, name: str) -> Any:
            return functional.linear(x, w[name + ".weight"], w[name + ".bias"])

        def heads(x: Any) -> Any:
            return x.view(batch, length, config.heads, config.hidden // config.heads).transpose(1, 2)

        with torch.inference_mode():
            x = (
                w["embeddings.word_embeddings.weight"][ids]
                + w["embeddings.position_embeddings.weight"][:length]
                + w["embeddings.token_type_embeddings.weight"][types]
            )
            x = norm(x, "embeddings.LayerNorm")
            # Padded keys get the lowest float added to their scores: no attention goes to them.
            padding = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
            for layer in range(config.layers):
                prefix = f"encoder.layer.{layer}."
                query, key, value = (heads(dense(x, prefix + "attention.self." + p)) for p in ("query", "key", "value"))
                context = functional.scaled_dot_product_attention(query, key, value, attn_mask=padding)
                context = context.transpose(1, 2).reshape(batch, length, config.hidden)
                x = norm(x + dense(context, prefix + "attention.output.dense"), prefix + "attention.output.LayerNorm")
                inner = functional.gelu(dense(x, prefix + "intermediate.dense"))
                x = norm(x + dense(inner, prefix + "output.dense"), prefix + "output.LayerNorm")
            hidden: npt.NDArray[np.float32] = x.numpy()
        return hidden


def _weight_names(layers: int) -> list[str]:
    """Every tensor the forward pass reads, by its name in a BertModel checkpoint."""
    names = [
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
    ]
    parts = ["embeddings.LayerNorm"]
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        parts += [prefix + "attention.self." + p for p in ("query", "key", "value")]
        parts += [prefix + p for p in ("attention.output.dense", "attention.output.LayerNorm")]
        parts += [prefix + p for p in ("intermediate.dense", "output.dense", "output.LayerNorm")]
    return names + [part + suffix for part in parts for suffix in (".weight", ".bias")]
