"""Property-based API fuzzing from the app's own OpenAPI schema (Schemathesis, in-process ASGI).

Runs against a real Redis 8 and the embeddings stub, with the API key enabled,
sending valid (positive) and invalid (negative) requests to every operation and
running all of Schemathesis' checks (server errors, status codes, response
schemas, content types, auth enforcement, rejection of invalid data...).
Bounded in examples so the module stays well under a minute.

Schemathesis' pytest loader (``from_fixture``) does not work with pytest 9, so
the strategy is drawn inside an ordinary Hypothesis test instead.
"""

from __future__ import annotations

from types import FunctionType

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, CheckFunction
from schemathesis.core.result import Ok

from docintel.main import create_app
from tests.support.app import app_settings
from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer

API_KEY = "fuzz-key"
OPERATIONS = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/v1/documents"),
    ("POST", "/v1/documents/upload"),
    ("GET", "/v1/documents"),
    ("GET", "/v1/documents/{document_id}"),
    ("DELETE", "/v1/documents/{document_id}"),
    ("POST", "/v1/search"),
]
# An upload's schema is "any file"; whether the bytes are text or a PDF cannot be expressed in it,
# so schema-valid uploads may rightly be refused (415/422).  And multipart fields are all strings on
# the wire: a "negative" file given as JSON `true` arrives as the file content "true", a valid upload.
EXCLUDED = {("POST", "/v1/documents/upload"): ["positive_data_acceptance", "negative_data_rejection"]}


@pytest.fixture
def api_schema(redis8: RedisServer, stub: EmbeddingStub) -> schemathesis.BaseSchema:
    settings = app_settings(
        embeddings_url=stub.url, redis_url=redis8.url, chunk_size=200, chunk_overlap=20, api_key=API_KEY
    )
    app = create_app(settings)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_schema_lists_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == len(list(api_schema.get_all_operations()))
    found = {(operation.method.upper(), operation.path) for operation in operations}
    assert found == set(OPERATIONS)


POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# Operations without any input cannot be sent invalid data.
CASES = [(m, p, POSITIVE) for m, p in OPERATIONS] + [(m, p, NEGATIVE) for m, p in OPERATIONS[2:]]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_api_conforms_to_its_schema(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: schemathesis.GenerationMode, data: st.DataObject
) -> None:
    operation = api_schema[path][method]
    case = data.draw(operation.as_strategy(generation_mode=mode))
    # The registry also holds check classes; the excluded checks are plain functions.
    excluded: list[CheckFunction] = [
        check for check in CHECKS.get_by_names(EXCLUDED.get((method, path), [])) if isinstance(check, FunctionType)
    ]
    assert len(excluded) == len(EXCLUDED.get((method, path), []))
    case.call_and_validate(headers={"Authorization": f"Bearer {API_KEY}"}, excluded_checks=excluded)
