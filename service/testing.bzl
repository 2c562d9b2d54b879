"""The service's test suites and the real Redis servers they (and the benchmarks) start.

Example (service/BUILD.bazel):

    load("//service:testing.bzl", "service_suite")

    service_suite(
        name = "store_test",
        folder = "store",
        redis = ["7", "8"],
        deps = [":store", ":test_support"],
    )
"""

load("//tools/pytest:defs.bzl", "py_pytest_test")

# Debian 12's Redis 7.0 (exact search) and the pinned Debian sid Redis 8.0
# (vector sets), by version.
REDIS_SERVERS = {
    "7": "@redis7//:usr/bin/redis-server",
    "8": "@redis8//:usr/bin/redis-server",
}

def redis_server_args(versions = ("7", "8")):
    """Command-line arguments `--redis7 PATH --redis8 PATH` for a binary with REDIS_SERVERS as data.

    Args:
      versions: the Redis versions to pass.

    Returns:
      The argument list.
    """
    args = []
    for version in versions:
        args += ["--redis" + version, "$(rootpath %s)" % REDIS_SERVERS[version]]
    return args

def service_suite(name, folder, deps, redis = [], size = "large", tests = None, data = [], env = {}):
    """Runs service/tests/<folder>/*.py with pytest, with real Redis servers of the `redis` versions.

    Each server's binary is data of the test and its path reaches the tests as
    DOCINTEL_TEST_REDIS_<version> (tests/support/redis_server.py).

    Args:
      name: the test target.
      folder: the folder under tests/ holding the suite.
      deps: libraries the tests import.
      redis: Redis versions the suite starts ("7", "8").
      size: the test size.
      tests: the test modules of the folder to run (default: all of them);
        the folder's other modules that are not tests come along.
      data: other runtime files.
      env: other environment variables.
    """
    modules = native.glob(["tests/%s/*.py" % folder])
    if tests != None:
        modules = [m for m in modules if m in tests or not m.rpartition("/")[2].startswith("test_")]
    redis_env = {"DOCINTEL_TEST_REDIS_" + version: "$(rootpath %s)" % REDIS_SERVERS[version] for version in redis}
    py_pytest_test(
        name = name,
        size = size,
        srcs = modules,
        # The conftest.py files live in tests/ and its folders: pytest must look from there.
        args = ["--rootdir=%s/tests" % native.package_name()],
        data = [REDIS_SERVERS[version] for version in redis] + data,
        env = redis_env | env,
        deps = deps,
    )
