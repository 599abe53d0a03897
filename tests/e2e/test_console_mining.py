"""Mined clusters in the editor console, in real headless Chromium (the gateway and page as
tests/e2e/test_console_page.py serves them: degraded mode, the fake embedder over the bundled
knowledge base, the real background mining thread).

An editor opens 未解答问题, starts 重新分析 and watches it finish, accepts a cluster as a
new draft, and lands in the editor with the cluster's variants as similar questions and no
answer; submitting for review is refused until an answer is written, then goes through.
Screenshots go to test-artifacts/screenshots/console_mining_*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.console.mining import MiningService
from bot.mining.pipeline import MineOptions
from bot.settings import PROJECT_ROOT, Settings
from bot.store.base import Channel, Turn
from tests.e2e.test_console_page import (  # noqa: F401 - browser is a fixture
    SHOTS,
    Site,
    _serving,
    _sign_in,
    browser,
)

pytestmark = pytest.mark.slow

# Handed-over questions of a week: three topics asked several ways, and one-off questions.
LOG = [
    "小区晚上施工噪音太大", "小区晚上施工噪音太大了怎么办", "我们小区晚上施工噪音太大",
    "晚上小区施工噪音太大", "小区夜里施工噪音太大",
    "电动车充电桩在哪里装", "电动车充电桩在哪里安装", "小区电动车充电桩在哪里装",
    "电动车充电桩去哪里装",
    "路灯坏了没人修", "楼下路灯坏了没人修", "小区路灯坏了没人修", "路灯坏了好几天没人修",
    "出租车乱收费", "垃圾分类的时间是几点", "公交卡怎么退",
]
TOPIC = "小区晚上施工噪音太大"
ANSWER = "夜间施工噪音扰民可向城管执法部门投诉，夜间（22时至次日6时）施工须持有夜间施工许可。"


class _FakeTuned(MiningService):
    """The fake embedder's character n-grams score paraphrases lower than e5 (0.8-0.95):
    cluster at 0.8 here; everything else as the console runs it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = MineOptions(threshold=0.8)


@pytest.fixture
def site(tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:  # noqa: F811
    monkeypatch.setattr("bot.console.api.MiningService", _FakeTuned)
    settings = Settings(kb_dir=PROJECT_ROOT / "knowledge_base", build_dir=tmp_path / "build",
                        data_dir=tmp_path / "var", embedder="fake", answer_weight=0.0,
                        lexical_weight=0.0)
    with _serving(settings, None, "degraded") as served:
        start = datetime.now() - timedelta(days=7)
        for i, text in enumerate(LOG):
            served.store.record_turn(Turn(f"mine{i}", Channel.CHAT, text,
                                          start + timedelta(hours=9 * i),
                                          intent="ask_question", decision="handover"))
        yield served


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console_mining_{name}.png"), full_page=True)


def test_an_editor_reanalyses_accepts_a_cluster_and_must_answer_before_review(
    site: Site, browser: Any,  # noqa: F811
) -> None:
    page, errors = _sign_in(browser, site, "editor1")
    page.click('#nav a[data-view="unanswered"]')
    page.wait_for_selector("#mining-empty")  # no run yet: the hint to start one
    assert "重新分析" in page.text_content("#mining-empty")
    _shot(page, "before_run")

    page.click("#mining-run")
    page.wait_for_selector('#mining-job[data-state="done"]', timeout=120_000)
    job = page.evaluate("() => window.consoleState.miningJob")
    assert job["state"] == "done" and job["rows"] == len(LOG), job
    assert page.text_content("#mining-job").startswith(f"分析完成：共 {len(LOG)} 条问题")
    page.wait_for_selector("#mining-clusters .cluster")
    card = page.locator("#mining-clusters .cluster", has_text=TOPIC).first
    size = card.locator(".cluster-size").text_content()
    assert size.endswith(" 条") and int(size.split()[0]) >= 3, size  # min_size 3
    assert card.locator(".coverage").text_content() in ("已覆盖", "部分覆盖", "新话题")
    examples = card.locator(".examples li").all_inner_texts()
    assert len(examples) >= 2 and TOPIC not in examples
    assert "施工" in card.locator(".cluster-keywords").text_content()
    assert "相似度" in card.locator(".cluster-nearest").text_content()
    ranks = page.locator("#mining-clusters .cluster-rank").all_inner_texts()
    assert ranks == [f"#{i}" for i in range(1, len(ranks) + 1)]
    # The dated list below is grouped by the run's clusters now.
    assert "最近一次聚类分析" in page.text_content("#unanswered-method")
    _shot(page, "clusters")

    card.locator(".cluster-accept").click()
    page.wait_for_selector("#f-question")
    page.wait_for_function(
        "() => /FAQ-\\d+/.test(document.getElementById('editor-title').textContent)")
    assert page.input_value("#f-question") == TOPIC
    similar = [page.input_value(f"#similar-list li:nth-child({i + 1}) input")
               for i in range(page.locator("#similar-list input").count())]
    assert similar == examples
    assert page.input_value("#f-answer") == ""
    assert page.get_attribute('#editor-title ~ .badge', "data-status") == "draft"
    faq_id = page.text_content("#editor-title").split()[-1]
    _shot(page, "draft")

    page.click("#submit")  # no answer yet: the page refuses before sending (so does the API)
    page.wait_for_selector("#form-error .banner.error")
    assert "提交审核前必须填写" in page.text_content("#form-error")
    assert site.console.entries.query.get(faq_id).status == "draft"
    _shot(page, "submit_refused")

    page.fill("#f-answer", ANSWER)
    page.click("#submit")
    in_review = '#editor-title ~ .badge[data-status="in_review"]'
    page.wait_for_selector(f"#save-warning, {in_review}", timeout=30_000)
    if page.locator("#save-warning").count():  # near duplicates: confirmed by a second click
        page.click("#submit")
    page.wait_for_selector(in_review, timeout=30_000)
    stored = site.console.entries.query.get(faq_id)
    assert stored.status == "in_review" and stored.entry.answer == ANSWER
    assert list(stored.entry.similar_questions) == examples
    _shot(page, "submitted")

    page.click('#nav a[data-view="unanswered"]')  # the cluster now says where it went
    page.wait_for_selector("#mining-clusters .cluster-accepted")
    accepted = page.locator("#mining-clusters .cluster", has_text=TOPIC).first
    assert faq_id in accepted.locator(".cluster-accepted").text_content()
    assert accepted.locator(".cluster-accept").count() == 0
    assert errors == []
