"""The pinned nginx (@nginx) as a test's data and environment, for tools/cache/pinned_nginx.py.

    py_test(..., data = PINNED_NGINX_DATA, env = PINNED_NGINX_ENV, deps = ["//tools/cache:pinned_nginx"])
"""

PINNED_NGINX_DATA = [
    "@nginx",
    "@nginx//:libs",
    "@nginx//:loader",
]

PINNED_NGINX_ENV = {
    "PINNED_NGINX": "$(rootpath @nginx)",
    "PINNED_NGINX_LIBS": "$(rootpaths @nginx//:libs)",
    "PINNED_NGINX_LOADER": "$(rootpath @nginx//:loader)",
}
