"""What the images leave out: everything pruned is named here, in one place.

Each layer also lists the paths it pruned: `bazel build //images:<layer>
--output_groups=pruned` writes `bazel-bin/images/<layer>.pruned`.
"""

# Debian packages: documentation, manuals and translations a service never
# reads, glibc's iconv modules (Python has its own codecs), leap-second time
# zones, and the parts of the standard library for a terminal, a GUI or a
# network install, CPython's own test helpers, and _pydecimal (the pure-Python
# fallback `decimal` uses only when the _decimal C module is missing; the
# images have it). Copyright files stay, for licence compliance. `*-linux-gnu`
# is the multiarch directory of every image platform (x86_64-, aarch64-).
DEBIAN_PRUNE = [
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/lintian/*",
    "usr/share/locale/*",
    "usr/share/bug/*",
    "usr/share/gcc/*",
    "usr/share/gdb/*",
    "usr/share/bash-completion/*",
    "usr/share/zoneinfo/right/*",
    "usr/lib/*-linux-gnu/gconv/*",
    "usr/lib/python3.11/pydoc_data/*",
    "usr/lib/python3.11/ensurepip/*",
    "usr/lib/python3.11/idlelib/*",
    "usr/lib/python3.11/turtledemo/*",
    "usr/lib/python3.11/turtle.py",
    "usr/lib/python3.11/test/*",
    "usr/lib/python3.11/_pydecimal.py",
    "usr/lib/python3.11/lib2to3/tests/*",
    "usr/lib/python3.11/config-3.11-*-linux-gnu/*",
]

DEBIAN_KEEP = ["usr/share/doc/*/copyright"]

# Wheels: bytecode caches (Python writes them at run time if it may), C/C++
# headers, static libraries, build helpers, and the test suites of the big
# packages. torch/test alone is 86 MB.
PYTHON_PRUNE = [
    "*/__pycache__/*",
    "*/__pycache__",
    "*/torch/test/*",
    "*/torch/include/*",
    "*/torch/bin/*",  # test programs and protoc; torch_shm_manager stays
    "*/torch/share/cmake/*",
    "*/torch/lib/*.a",
    "*/numpy/_core/include/*",
    "*/numpy/_core/tests/*",
    "*/numpy/*/tests/*",
    "*/scipy/*/tests/*",
    "*/sklearn/*/tests/*",
    "*/sympy/*/tests/*",
    "*/networkx/*/tests/*",
    "*/pandas/tests/*",
    # mypy's compiler for C extensions; type checking does not use it.
    "*/dist-packages/mypyc/*",
]

# torch refuses to import without its shared-memory manager.
PYTHON_KEEP = ["*/torch/bin/torch_shm_manager"]

# onnxruntime's wheel beyond the Python binding: its C API library (35 MB; the
# binding, onnxruntime_pybind11_state, does not link it) and its offline
# tools for converting, quantising and fusing models, which import onnx,
# torch or sympy, none of which the ml_onnx image has.
# //images:ml_onnx_test runs the embedder in the image without them.
ONNX_PRUNE = PYTHON_PRUNE + [
    "*/onnxruntime/capi/libonnxruntime.so.*",
    "*/onnxruntime/backend/*",
    "*/onnxruntime/datasets/*",
    "*/onnxruntime/quantization/*",
    "*/onnxruntime/tools/*",
    "*/onnxruntime/transformers/*",
]
