"""Secrets are masked wherever the service prints: URLs, error messages, log lines."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from docintel.core.config import Settings
from docintel.core.logging import JsonFormatter
from docintel.core.secrets import Redactor, redact_url, secret_values


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@host:8080/v1", "http://***@host:8080/v1"),
        ("https://token@host/v1/embeddings", "https://***@host/v1/embeddings"),
        ("http://host/v1?api-key=s3cret&x=1", "http://host/v1?api-key=***&x=***"),
        ("http://host/v1", "http://host/v1"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_secret_of_the_settings_is_found() -> None:
    settings = Settings(
        api_key="api-s3cret",
        openai_api_key="sk-s3cret",
        openai_base_url="http://proxy:pr%40xy-pw@host/v1?key=q-s3cret",
        redis_url="redis://:redis-pw@host:6379/0",
    )
    found = secret_values(settings)
    basic = base64.b64encode(b"proxy:pr@xy-pw").decode()
    assert {"api-s3cret", "sk-s3cret", "pr@xy-pw", basic, "q-s3cret", "redis-pw"} <= set(found)


def test_redactor_masks_plain_escaped_and_encoded_forms() -> None:
    redact = Redactor(['pa ss"word', "ab"])
    assert redact('said pa ss"word and pa%20ss%22word and pa ss\\"word') == "said *** and *** and ***"
    assert redact("ab stays: too short to mask") == "ab stays: too short to mask"


def test_log_lines_are_masked() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "failed at %s", ("http://u:topsecret@h",), None)
    record.error = "echoed topsecret back"
    formatter = JsonFormatter(Redactor(["topsecret"]))
    payload = json.loads(formatter.format(record))
    assert "topsecret" not in json.dumps(payload)
    assert payload["message"] == "failed at http://u:***@h"
