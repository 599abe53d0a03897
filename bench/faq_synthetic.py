"""Synthetic hotline FAQ entries and vectors for bench/bench_faq_latency.py.

Questions are every combination of a district, a service and an aspect (who + what is asked),
so they are distinct by construction. Embedding 100,000+ texts with e5 on two busy cores takes
hours, so only a sample is embedded for real and the other vectors are SYNTHETIC: normalised
mixtures of two real vectors (chosen to share the entry's service or aspect where possible)
plus a little Gaussian noise. They look like e5 vectors to FAISS (same dimension, same
bunching of cosines) but carry no meaning of their own; they serve latency, not accuracy.
"""

from __future__ import annotations

import itertools

import numpy as np

from bot.kb.model import FaqEntry

DISTRICTS = (
    "城东区 城西区 城南区 城北区 高新区 开发区 滨江区 临港区 江北新区 老城区 "
    "东湖区 西山区 南湖区 北岭区 青龙县 白沙县 金溪县 石门县 花桥镇 柳河镇"
).split()
SERVICES = (
    "社保卡 医保报销 公积金提取 居住证 身份证 户口迁移 出生登记 结婚登记 不动产登记 营业执照 "
    "个体户注册 残疾证 低保申请 廉租房 公租房 人才补贴 创业贷款 失业金 退休手续 养老保险 "
    "城乡居民医保 驾驶证换证 行驶证 车辆年检 交通违章 出租车投诉 公交卡 水费 电费 燃气开户 "
    "供暖 物业纠纷 噪音扰民 路灯维修 垃圾清运 占道经营 小区停车 学位申请 入学报名 幼儿园补贴 "
    "生育登记 疫苗接种 核酸证明 健康证 食品经营许可 房屋租赁备案 契税 个税退税 电子发票 社区养老"
).split()
WHO = ("", "外地人", "老人", "学生", "退休人员", "个体户", "残疾人", "外籍人员", "新市民", "军属")
ASKS = (
    "怎么办理", "需要什么材料", "去哪里办", "多久能办好", "收费标准是多少", "可以网上办吗",
    "办理时间是几点", "找哪个部门", "丢了怎么补", "过期了怎么办",
)
ASPECTS = list(itertools.product(WHO, ASKS))
QUERY_FORMS = (
    "喂你好，我想问一下{d}的{s}{a}啊", "请问{d}{s}{a}", "{s}在{d}{a}呀", "你好，{d}这边{s}{a}",
    "那个，{s}{a}，我在{d}", "我是{d}的，{s}{a}？",
)
MAX_ENTRIES = len(DISTRICTS) * len(SERVICES) * len(ASPECTS)  # 100,000


def slots(n: int, seed: int = 12345) -> list[tuple[int, int, int]]:
    """n distinct (district, service, aspect) index triples, in a seeded order."""
    if not 1 <= n <= MAX_ENTRIES:
        raise ValueError(f"n={n} must be between 1 and {MAX_ENTRIES}")
    order = np.random.default_rng(seed).permutation(MAX_ENTRIES)[:n]
    n_s, n_a = len(SERVICES), len(ASPECTS)
    return [(int(i) // (n_s * n_a), int(i) // n_a % n_s, int(i) % n_a) for i in order]


def question(slot: tuple[int, int, int]) -> str:
    d, s, (who, ask) = DISTRICTS[slot[0]], SERVICES[slot[1]], ASPECTS[slot[2]]
    return f"{who}在{d}{s}{ask}" if who else f"{d}{s}{ask}"


def entry(n: int, slot: tuple[int, int, int]) -> FaqEntry:
    d, s, (who, ask) = DISTRICTS[slot[0]], SERVICES[slot[1]], ASPECTS[slot[2]]
    answer = (f"{who or '市民'}在{d}办理{s}（{ask}）：请携带本人身份证到{d}政务服务中心{s}"
              "窗口办理，或登录“海川办”App在线申请，工作日9:00-17:00受理，咨询电话12345。")
    return FaqEntry(f"SYN{n:06d}", s, question(slot), (), answer)


def queries(slot_list: list[tuple[int, int, int]], n: int, seed: int = 7) -> list[str]:
    """n distinct colloquial queries about entries of `slot_list`."""
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        d, s, a = slot_list[int(rng.integers(len(slot_list)))]
        form = QUERY_FORMS[int(rng.integers(len(QUERY_FORMS)))]
        who, ask = ASPECTS[a]
        out[form.format(d=DISTRICTS[d], s=(who + "办" if who else "") + SERVICES[s], a=ask)] = None
    return list(out)


def normalise(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


NOISE_NORM = 0.1  # expected L2 norm of the added noise (e5 neighbours differ by ~0.3-0.6)


def mixtures(
    base: np.ndarray, n: int, seed: int, first: np.ndarray | None = None,
    second: np.ndarray | None = None, chunk: int = 8_192,
) -> np.ndarray:
    """n synthetic unit vectors: normalise(w * base[first] + (1 - w) * base[second] + noise),
    w uniform in [0.5, 1]; `first`/`second` default to random rows of `base`."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    first = rng.integers(len(base), size=n) if first is None else first
    second = rng.integers(len(base), size=n) if second is None else second
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        end = min(n, start + chunk)
        w = rng.uniform(0.5, 1.0, size=(end - start, 1)).astype(np.float32)
        noise = rng.standard_normal((end - start, dim)).astype(np.float32)
        mixed = w * base[first[start:end]] + (1 - w) * base[second[start:end]]
        out[start:end] = normalise(mixed + noise * (NOISE_NORM / np.sqrt(dim)))
    return out


def related_pairs(
    slot_list: list[tuple[int, int, int]], real: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """For every entry, a really-embedded entry sharing its service and one sharing its
    aspect (random real ones where there is none): indices into `real` (positions of
    `slot_list` that were embedded)."""
    rng = np.random.default_rng(seed)
    by_service: dict[int, list[int]] = {}
    by_aspect: dict[int, list[int]] = {}
    for pos, entry_index in enumerate(real.tolist()):
        _, s, a = slot_list[entry_index]
        by_service.setdefault(s, []).append(pos)
        by_aspect.setdefault(a, []).append(pos)

    def pick(pool: list[int] | None) -> int:
        return pool[int(rng.integers(len(pool)))] if pool else int(rng.integers(len(real)))

    first = np.array([pick(by_service.get(s)) for _, s, _ in slot_list])
    second = np.array([pick(by_aspect.get(a)) for _, _, a in slot_list])
    return first, second
