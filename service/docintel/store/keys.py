"""Redis key layout, in one place.

``{p}`` is ``Settings.key_prefix`` (default ``docintel``); on a Redis Cluster each
shard has its own hash-tagged prefix such as ``{docintel-0-17}``, so all its keys
share one slot (:mod:`docintel.store.cluster`):

* ``{p}:doc:{id}`` — hash: id, title, text, metadata (JSON), chunks, generation, timestamps
* ``{p}:docs`` — sorted set of document ids scored by creation time (pagination)
* ``{p}:chunks:{id}:{generation}`` — hash: chunk index → chunk text
* ``{p}:pending`` — sorted set of generations that are not live (being written, replaced or
  deleted), members ``id␟generation␟count`` scored by the time after which they may be collected
* ``{p}:vset`` — Redis 8 vector set (vector-set path); elements ``id␟generation␟index``
* ``{p}:vset:layout`` — JSON ``{"quantization", "m"}`` the vector set is built with
* ``{p}:vectors`` — hash element → float32 bytes (exact path)
* ``{p}:live`` — hash document id → JSON ``{"generation", "count", "tags"}`` of its live generation (exact path)
* ``{p}:version`` — counter incremented by every commit on the exact path (in-process caches compare it)
* ``{p}:changes`` — stream of the documents those commits changed (field ``d``), one entry per increment, trimmed
* ``{p}:dim`` — dimension of the stored vectors
* ``{p}:fingerprint`` — float32 bytes: the stored vectors' model's vector of a fixed text
  (:mod:`docintel.store.vector_space`)
* ``{p}:acks`` — counter written after commits that must reach replicas (``WAIT`` follows it)
* ``{p}:emb:{model}:{sha256}`` — embedding cache
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ELEMENT_SEPARATOR", "Keys", "element_name", "parse_element_name"]

ELEMENT_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one prefix."""

    prefix: str

    def doc(self, document_id: str) -> str:
        """The hash holding one document."""
        return f"{self.prefix}:doc:{document_id}"

    def chunks(self, document_id: str, generation: str) -> str:
        """The hash holding the chunk texts of one document generation."""
        return f"{self.prefix}:chunks:{document_id}:{generation}"

    def embedding(self, model: str, digest: str) -> str:
        """The embedding-cache entry for ``model`` and the SHA-256 ``digest`` of a text."""
        return f"{self.prefix}:emb:{model}:{digest}"

    @property
    def docs(self) -> str:
        """Sorted set of all document ids."""
        return f"{self.prefix}:docs"

    @property
    def pending(self) -> str:
        """Sorted set of generations that are not live, by the time they may be collected."""
        return f"{self.prefix}:pending"

    @property
    def vset(self) -> str:
        """The Redis 8 vector set."""
        return f"{self.prefix}:vset"

    @property
    def vset_layout(self) -> str:
        """The vector set's recorded quantisation and HNSW M."""
        return f"{self.prefix}:vset:layout"

    @property
    def vectors(self) -> str:
        """Hash of vectors for the exact path."""
        return f"{self.prefix}:vectors"

    @property
    def live(self) -> str:
        """Hash of each document's live generation, chunk count and filter tags (exact path)."""
        return f"{self.prefix}:live"

    @property
    def version(self) -> str:
        """Counter incremented by every commit on the exact path."""
        return f"{self.prefix}:version"

    @property
    def changes(self) -> str:
        """Stream of the documents committed on the exact path, one entry per version."""
        return f"{self.prefix}:changes"

    @property
    def dim(self) -> str:
        """Dimension of stored vectors."""
        return f"{self.prefix}:dim"

    @property
    def fingerprint(self) -> str:
        """The stored vectors' model's normalised vector of a fixed text."""
        return f"{self.prefix}:fingerprint"

    @property
    def acks(self) -> str:
        """Counter written after a commit, so that ``WAIT`` on its connection covers the commit."""
        return f"{self.prefix}:acks"

    @property
    def probe(self) -> str:
        """A key that is never written, used to probe for vector-set support."""
        return f"{self.prefix}:capability-probe"


def element_name(document_id: str, generation: str, chunk_index: int) -> str:
    """Name of one chunk's vector in the index (also a generation's member of ``pending``, with the count)."""
    return f"{document_id}{ELEMENT_SEPARATOR}{generation}{ELEMENT_SEPARATOR}{chunk_index}"


def parse_element_name(name: str) -> tuple[str, str, int]:
    """Inverse of :func:`element_name`."""
    document_id, generation, index = name.rsplit(ELEMENT_SEPARATOR, 2)
    return document_id, generation, int(index)
