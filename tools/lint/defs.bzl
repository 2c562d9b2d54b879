"""Public API of the lint gate: lint_sources in every package; lint_test and lint_runner_test in //tools/lint."""

load("//tools/lint/private:run_linter.bzl", _lint_runner_test = "lint_runner_test", _lint_test = "lint_test")
load("//tools/lint/private:sources.bzl", _lint_sources = "lint_sources")

lint_sources = _lint_sources
lint_runner_test = _lint_runner_test
lint_test = _lint_test
