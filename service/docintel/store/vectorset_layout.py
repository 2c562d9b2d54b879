"""How the Redis 8 vector set is built (quantisation, HNSW M), recorded with it and checked before use.

Quantisation and M are fixed when a vector set is created: Redis refuses a
``VADD`` with others, so one index never mixes them.  The layout in use is
recorded in ``{p}:vset:layout``; a vector set created before that record
existed is read with ``VINFO`` (what it really holds) and recorded as such.
A process configured for another layout than a populated index has is
refused with :class:`~docintel.errors.IndexSettingsMismatchError`, which says
what to do; an empty index takes the configured layout.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import redis

from docintel.errors import IndexSettingsMismatchError
from docintel.store.keys import Keys
from docintel.store.redis_client import as_text, raw_command

__all__ = [
    "DEFAULT_M",
    "DEFAULT_QUANTIZATION",
    "Quantization",
    "VectorSetLayout",
    "VectorSetOptions",
    "is_dimension_refusal",
    "is_layout_refusal",
    "open_layout",
]

logger = logging.getLogger(__name__)

Quantization = Literal["NOQUANT", "Q8", "BIN"]

DEFAULT_QUANTIZATION: Quantization = "Q8"
"""What a new index gets when none is configured: 4x less vector memory than NOQUANT, recall@10 0.99+ (README)."""

DEFAULT_M = 16
"""Redis' own default HNSW M."""

_VINFO_QUANTIZATION: dict[str, Quantization] = {"f32": "NOQUANT", "int8": "Q8", "bin": "BIN"}


@dataclass(frozen=True, slots=True)
class VectorSetLayout:
    """What a vector set is built with: its quantisation and HNSW M (both fixed at creation)."""

    quantization: Quantization = DEFAULT_QUANTIZATION
    m: int = DEFAULT_M

    def describe(self) -> str:
        """E.g. ``quantization Q8, M 16``."""
        return f"quantization {self.quantization}, M {self.m}"


@dataclass(frozen=True, slots=True)
class VectorSetOptions:
    """The vector-set settings of one process.

    ``quantization`` and ``m`` left None keep what the index was created with
    (a new index gets the defaults); ``build_ef`` is VADD's EF (effort per
    insert), ``search_ef`` VSIM's EF (candidates per query, at least 4 k; 800
    keeps recall@10 above 0.95 at 1M chunks, where 200 gives 0.83: README).
    ``threaded_add`` adds with ``VADD CAS``: Redis looks for a new element's
    neighbours in a background thread, so concurrent writers use more than one
    core (1.5x the chunks/s of four writers on two cores, the same for one).
    Off by default: Redis 8.0 cannot restart from an append-only file holding
    ``VADD CAS``, its own or a replica's (the service checks the primary only).
    """

    quantization: Quantization | None = None
    m: int | None = None
    build_ef: int = 200
    search_ef: int = 800
    threaded_add: bool = False

    def fits(self, layout: VectorSetLayout) -> bool:
        """True if nothing configured differs from ``layout``."""
        return self.quantization in (None, layout.quantization) and self.m in (None, layout.m)

    def layout_for(self, recorded: VectorSetLayout | None) -> VectorSetLayout:
        """The layout for an empty index: what is configured, else what was recorded, else the defaults."""
        base = recorded or VectorSetLayout()
        return VectorSetLayout(self.quantization or base.quantization, self.m or base.m)


def open_layout(client: redis.Redis, *, keys: Keys, options: VectorSetOptions) -> VectorSetLayout:
    """The layout to write with: the existing set's (checked against ``options``) or, if empty, the configured one.

    Records the layout in ``{p}:vset:layout`` when it was missing or out of date.
    """
    with client.pipeline(transaction=True) as pipe:
        pipe.get(keys.vset_layout)
        raw_command(pipe, "VINFO", keys.vset)
        raw_record, info = pipe.execute()
    recorded = _parse_record(raw_record)
    existing = _from_vinfo(info) if info else None
    if existing is None:
        layout = options.layout_for(recorded)
    else:
        if not options.fits(existing):
            raise _mismatch(keys, existing, options)
        layout = existing
    if recorded != layout:
        if recorded is not None and existing is None:
            logger.info("the empty vector index takes the configured layout", extra={"layout": layout.describe()})
        client.set(keys.vset_layout, json.dumps({"quantization": layout.quantization, "m": layout.m}))
    return layout


def is_dimension_refusal(exc: BaseException) -> bool:
    """True for Redis refusing a VADD or VSIM whose vector has another dimension than the set's."""
    return isinstance(exc, redis.ResponseError) and "dimension mismatch" in str(exc).lower()


def is_layout_refusal(exc: BaseException) -> bool:
    """True for Redis refusing a VADD whose quantisation or M differs from the set's (another process made it)."""
    return isinstance(exc, redis.ResponseError) and "mismatch with existing vector set" in str(exc)


def _mismatch(keys: Keys, existing: VectorSetLayout, options: VectorSetOptions) -> IndexSettingsMismatchError:
    """The error for a process configured for another layout than the populated index has."""
    configured = VectorSetLayout(options.quantization or existing.quantization, options.m or existing.m)
    return IndexSettingsMismatchError(
        f"the vector index {keys.vset!r} holds vectors built with {existing.describe()}, but this service is "
        f"configured for {configured.describe()} (DOCINTEL_VECTOR_QUANTIZATION, DOCINTEL_VECTOR_M); vectors of "
        f"both kinds are never mixed: set DOCINTEL_VECTOR_QUANTIZATION={existing.quantization} and "
        f"DOCINTEL_VECTOR_M={existing.m} (or unset both) to keep using the index, or choose a new "
        "DOCINTEL_KEY_PREFIX and ingest the documents again to build one with the new settings"
    )


def _parse_record(raw: bytes | None) -> VectorSetLayout | None:
    """The recorded layout, or None (absent or unreadable: then it is recorded anew)."""
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        quantization = record["quantization"]
        if quantization not in get_args(Quantization):
            return None
        return VectorSetLayout(cast(Quantization, quantization), int(record["m"]))
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring an unreadable vector-set layout record", extra={"key": "vset:layout"})
        return None


def _from_vinfo(info: Any) -> VectorSetLayout:
    """The layout of an existing vector set from its ``VINFO`` reply (flat list or dict)."""
    if not isinstance(info, dict):
        flat = list(info)
        info = dict(zip(flat[0::2], flat[1::2], strict=True))
    fields = {as_text(name): value for name, value in info.items()}
    quantization = _VINFO_QUANTIZATION.get(as_text(fields["quant-type"]))
    if quantization is None:
        raise IndexSettingsMismatchError(
            f"the vector set has quantization {as_text(fields['quant-type'])!r}, which this service does not know: "
            "upgrade the service, or choose a new DOCINTEL_KEY_PREFIX and ingest the documents again"
        )
    return VectorSetLayout(quantization, int(fields["hnsw-m"]))
