"""The mining API: the latest report of the deflection log, incremental runs in the
background (one at a time, serialised with scheduled runs by the model lock), accepting a
cluster as a draft entry or into an existing entry, and drafts that still need an answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.console.audit import AuditLog, AuditQuery
from bot.console.mining import MiningService
from bot.mining.incremental import MODEL_FILE, ClusterModel
from bot.mining.latest import LATEST_FILE, save_latest
from bot.mining.lock import model_lock
from bot.mining.pipeline import MineOptions
from bot.store.base import Channel, Outcome, Turn
from bot.store.schema import kb_entries
from bot.text.tokenize import HotlineTokenizer
from tests.unit.console.console_helpers import ConsoleRig, error_of

# What citizens typed in turns the bot handed over: five topics asked several ways, a few
# one-off questions, and one question the citizen confirmed was answered (not unanswered).
LOG = [
    "护照丢了怎么补办", "护照丢了怎么补办？", "我的护照丢了怎么补办", "护照丢了要怎么补办",
    "护照丢了在哪里补办", "护照不见了怎么补办",
    "小区晚上施工噪音太大", "小区晚上施工噪音太大了怎么办", "我们小区晚上施工噪音太大",
    "晚上小区施工噪音太大", "小区夜里施工噪音太大", "小区晚上施工太吵了",
    "电动车充电桩在哪里装", "电动车充电桩在哪里安装", "小区电动车充电桩在哪里装",
    "电动车充电桩去哪里装", "电动车充电桩怎么申请安装",
    "社保卡丢了去哪里补办", "社保卡丢了在哪补办", "我的社保卡丢了去哪里补办", "社保卡丢了去哪补",
    "幼儿园报名需要什么材料", "幼儿园报名要什么材料", "幼儿园报名需要哪些材料",
    "公办幼儿园报名需要什么材料",
    "垃圾分类的时间是几点", "公交卡怎么退", "医保异地就医怎么备案", "出租车乱收费",
    "养老金什么时候发",
]
LATER = ["护照丢了怎么补办啊", "我的护照丢了要怎么补办", "网约车乱收费怎么投诉",
         "小区停车位太少", "路灯坏了没人修", "楼下路灯坏了没人修", "小区路灯坏了没人修",
         "路灯坏了好几天没人修", "夜里路灯坏了没人修", "路灯坏了找谁修", "井盖丢了没人管",
         "小区路灯坏了好几天没人修", "公交车太少了", "地铁末班车太早"]
START = datetime(2026, 5, 20, 9, 0)
# FakeEmbedder's hashed character n-grams score paraphrases lower than e5 does (0.8-0.95
# against e5's 0.93+), so the runs here cluster at 0.8; everything else is the default.
FAKE_OPTIONS = MineOptions(threshold=0.8)
TOKENIZER = HotlineTokenizer(None)  # jieba loads once for the module (about a second)
REPORT_FIELDS = {"size", "representative", "examples", "keywords", "nearest_faq_id",
                 "nearest_score", "coverage", "growth", "members", "rank", "id"}


def _log(rig: ConsoleRig, texts: list[str], first: int = 0) -> None:
    for i, text in enumerate(texts, first):
        rig.store.record_turn(Turn(f"m{i}", Channel.CHAT, text, START + timedelta(hours=5 * i),
                                   intent="ask_question", decision="handover"))


def _mining(rig: ConsoleRig) -> MiningService:
    service = rig.app.state.console_mining
    assert isinstance(service, MiningService)
    service.tokens = TOKENIZER.tokens
    return service


@pytest.fixture
def mined(rig: ConsoleRig) -> ConsoleRig:
    _mining(rig).options = FAKE_OPTIONS
    _log(rig, LOG)
    rig.store.record_turn(Turn("ok1", Channel.CHAT, "身份证到期怎么换领", START,
                               intent="ask_question", decision="answer"))
    rig.store.end_session("ok1", Outcome.DEFLECTED, confirmed=True)
    return rig


def _run(rig: ConsoleRig, client: TestClient) -> dict[str, Any]:
    service = _mining(rig)
    r = client.post("/api/console/mining/run")
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    service.join(60)
    job = client.get(f"/api/console/mining/run/{job_id}").json()["job"]
    assert job["state"] in ("done", "failed"), job
    return dict(job)


@pytest.fixture
def report(mined: ConsoleRig, editor: TestClient) -> dict[str, Any]:
    job = _run(mined, editor)
    assert job["state"] == "done", job
    return dict(editor.get("/api/console/mining").json()["report"])


def _cluster(report: dict[str, Any], representative: str) -> dict[str, Any]:
    return next(c for c in report["clusters"] if c["representative"] == representative)


# -- the report --------------------------------------------------------------------------

def test_before_any_run_the_report_is_empty_with_a_hint(editor: TestClient) -> None:
    body = editor.get("/api/console/mining").json()
    assert body["report"] is None and body["job"] is None
    assert "重新分析" in body["message"]


def test_a_run_on_an_empty_log_ends_with_a_clear_message(rig: ConsoleRig,
                                                        editor: TestClient) -> None:
    job = _run(rig, editor)
    assert job["state"] == "done" and job["rows"] == 0
    assert "还没有未解答的问题" in job["message"]
    assert editor.get("/api/console/mining").json()["report"] is None


def test_a_log_too_small_to_cluster_says_so(rig: ConsoleRig, editor: TestClient) -> None:
    _log(rig, LOG[:2])
    job = _run(rig, editor)
    assert job["state"] == "done"
    assert job["message"].startswith("对话记录里只有 2 条未解答的问题，至少 3 条")


def test_a_run_clusters_the_unanswered_questions_of_the_log(
    mined: ConsoleRig, editor: TestClient
) -> None:
    job = _run(mined, editor)
    assert job["state"] == "done", job
    assert job["rows"] == len(LOG)  # the confirmed answer is not an unanswered question
    assert job["result"]["rebuilt"] is True and job["result"]["clusters_reported"] == 5
    assert job["message"].startswith(f"分析完成：共 {len(LOG)} 条问题")
    body = editor.get("/api/console/mining").json()
    assert body["rows"] == len(LOG) and body["ran_at"] and body["clusters_total"] == 5
    clusters = body["report"]["clusters"]
    assert [c["rank"] for c in clusters] == [1, 2, 3, 4, 5]
    assert all(REPORT_FIELDS <= set(c) for c in clusters)
    assert {c["representative"] for c in clusters} == {
        "护照丢了怎么补办", "小区晚上施工噪音太大", "电动车充电桩在哪里装", "社保卡丢了去哪补",
        "幼儿园报名需要什么材料"}
    noise = _cluster(body["report"], "小区晚上施工噪音太大")
    assert noise["size"] == 4 and noise["coverage"] == "new"
    assert set(noise["examples"]) == {"我们小区晚上施工噪音太大", "晚上小区施工噪音太大",
                                      "小区晚上施工噪音太大了怎么办"}
    assert {"噪音", "施工"} <= set(noise["keywords"])
    card = _cluster(body["report"], "社保卡丢了去哪补")
    assert (card["coverage"], card["nearest_faq_id"]) == ("partial", "SB001")
    assert 0.6 <= card["nearest_score"] < 0.8  # between the clarify and answer thresholds
    assert all(m["source"] == "deflection-log" for m in card["members"])
    assert card["accepted"] is None


def test_the_incremental_state_survives_and_new_rows_join_existing_clusters(
    mined: ConsoleRig, editor: TestClient, report: dict[str, Any]
) -> None:
    folder = mined.settings.data_dir / "mining"
    assert (folder / MODEL_FILE).is_file() and (folder / LATEST_FILE).is_file()
    passport = _cluster(report, "护照丢了怎么补办")
    _log(mined, LATER, first=len(LOG))
    job = _run(mined, editor)
    assert job["state"] == "done", job
    assert job["result"]["rebuilt"] is False  # the saved model was reused, not recomputed
    assert job["result"]["new_rows"] == len(LATER) and job["result"]["joined"] >= 2
    # The pool (questions in no cluster) grew by 10+: clustered again, street lights formed.
    assert job["result"]["new_clusters"] >= 1, job
    after = editor.get("/api/console/mining").json()["report"]
    grown = next(c for c in after["clusters"] if c["id"] == passport["id"])
    assert grown["size"] == passport["size"] + 2  # the two later passport questions
    assert after["rows"] == len(LOG) + len(LATER)
    assert any(c["representative"].startswith("路灯坏了") or "路灯" in c["representative"]
               for c in after["clusters"])
    model = ClusterModel.load(folder)
    assert model is not None and len(model.rows) == len(LOG) + len(LATER)


def test_a_second_run_while_one_runs_is_409_and_a_held_lock_makes_it_wait(
    mined: ConsoleRig, editor: TestClient, reviewer: TestClient
) -> None:
    service = _mining(mined)
    with model_lock(service.folder, what="scheduled"):  # as a cron `bot mine --log` would
        r = editor.post("/api/console/mining/run")
        assert r.status_code == 202
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 30
        while service.job(job_id).phase != "waiting" and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        job = editor.get(f"/api/console/mining/run/{job_id}").json()["job"]
        assert (job["state"], job["phase"]) == ("running", "waiting")
        assert "可能是定时任务" in job["message"]
        again = reviewer.post("/api/console/mining/run")
        assert again.status_code == 409
        assert job_id in error_of(again)["message"]
    service.join(60)
    assert editor.get(f"/api/console/mining/run/{job_id}").json()["job"]["state"] == "done"


def test_an_unknown_job_is_404_and_a_malformed_id_422(editor: TestClient) -> None:
    assert error_of(editor.get("/api/console/mining/run/abc123"))["code"] == "not_found"
    assert editor.get("/api/console/mining/run/a%20b").status_code == 422


def test_a_failed_run_reports_why(mined: ConsoleRig, editor: TestClient) -> None:
    folder = mined.settings.data_dir / "mining"
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder", encoding="utf-8")  # the model cannot be saved there
    job = _run(mined, editor)
    assert job["state"] == "failed" and job["message"] == "分析失败"
    assert "mining" in job["error"]


# -- permissions -------------------------------------------------------------------------

def test_a_manager_may_neither_read_nor_run_nor_accept(manager: TestClient) -> None:
    assert manager.get("/api/console/mining").status_code == 403
    assert manager.post("/api/console/mining/run").status_code == 403
    r = manager.post("/api/console/mining/clusters/c000001/accept")
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"


def test_without_signing_in_the_mining_api_is_401(anonymous: TestClient) -> None:
    assert anonymous.get("/api/console/mining").status_code == 401
    assert anonymous.post("/api/console/mining/run").status_code == 401


def test_reviewers_and_admins_read_the_report(reviewer: TestClient, admin: TestClient) -> None:
    assert reviewer.get("/api/console/mining").status_code == 200
    assert admin.get("/api/console/mining").status_code == 200


# -- accepting a cluster -----------------------------------------------------------------

def test_accepting_a_cluster_creates_a_draft_that_needs_an_answer(
    mined: ConsoleRig, editor: TestClient, report: dict[str, Any]
) -> None:
    cluster = _cluster(report, "小区晚上施工噪音太大")
    r = editor.post(f"/api/console/mining/clusters/{cluster['id']}/accept")
    assert r.status_code == 201, r.text
    body = r.json()
    entry = body["entry"]
    assert body["mode"] == "new"
    assert entry["question"] == "小区晚上施工噪音太大"
    assert entry["similar_questions"] == cluster["examples"]
    assert (entry["answer"], entry["status"], entry["serving"]) == ("", "draft", False)
    # A new topic: the log has no categories and the nearest entry is not related.
    assert (entry["category"], entry["department"]) == ("待分类", "")
    assert "需要撰写答案" in body["notes"] and any("待分类" in n for n in body["notes"])
    stored = editor.get(f"/api/console/entries/{entry['faq_id']}").json()
    assert [h["action"] for h in stored["history"]] == ["created"]
    accepted, _ = AuditLog(mined.console.db).search(AuditQuery(entity="mining:"))
    assert [(a["action"], a["username"]) for a in accepted] == [("cluster_accepted", "editor")]
    assert accepted[0]["after"]["faq_id"] == entry["faq_id"]
    created, _ = AuditLog(mined.console.db).search(AuditQuery(entity=f"entry:{entry['faq_id']}"))
    assert [a["action"] for a in created] == ["entry_created"]
    listed = editor.get("/api/console/mining").json()["report"]["clusters"]
    assert next(c for c in listed if c["id"] == cluster["id"])["accepted"]["faq_id"] == \
        entry["faq_id"]


def test_a_partly_covered_cluster_takes_the_nearest_entrys_category(
    editor: TestClient, report: dict[str, Any]
) -> None:
    cluster = _cluster(report, "社保卡丢了去哪补")
    entry = editor.post(f"/api/console/mining/clusters/{cluster['id']}/accept").json()["entry"]
    assert (entry["category"], entry["department"]) == ("社保", "测试局")


def test_accepting_a_cluster_twice_is_409(editor: TestClient, reviewer: TestClient,
                                          report: dict[str, Any]) -> None:
    cluster_id = report["clusters"][0]["id"]
    first = editor.post(f"/api/console/mining/clusters/{cluster_id}/accept")
    assert first.status_code == 201
    again = reviewer.post(f"/api/console/mining/clusters/{cluster_id}/accept",
                          json={"faq_id": "SB002"})
    assert again.status_code == 409
    message = error_of(again)["message"]
    assert "已于" in message and first.json()["entry"]["faq_id"] in message
    assert editor.get("/api/console/entries", params={"status": "draft"}).json()["total"] == 1


def test_accepting_into_an_entry_adds_the_variants_as_a_draft_revision(
    mined: ConsoleRig, editor: TestClient, report: dict[str, Any]
) -> None:
    cluster = _cluster(report, "社保卡丢了去哪补")
    r = editor.post(f"/api/console/mining/clusters/{cluster['id']}/accept",
                    json={"faq_id": "SB001"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "merged"
    assert body["added"] == [cluster["representative"], *cluster["examples"]]
    entry = body["entry"]
    assert entry["faq_id"] == "SB001" and (entry["status"], entry["revision"]) == ("draft", 2)
    assert entry["similar_questions"][-len(body["added"]):] == body["added"]
    assert entry["answer"] == "社保卡丢了怎么补办的答案"  # the answer stays
    served = mined.engine.entry("SB001")
    assert served is not None and cluster["representative"] not in served.similar_questions


def test_accepting_an_unknown_cluster_or_into_an_unknown_entry_is_404(
    editor: TestClient, report: dict[str, Any]
) -> None:
    assert editor.post("/api/console/mining/clusters/c999999/accept").status_code == 404
    r = editor.post(f"/api/console/mining/clusters/{report['clusters'][0]['id']}/accept",
                    json={"faq_id": "NOPE"})
    assert r.status_code == 404 and "NOPE" in error_of(r)["message"]


def test_accepting_before_any_run_is_404_with_a_hint(editor: TestClient) -> None:
    r = editor.post("/api/console/mining/clusters/c000001/accept")
    assert r.status_code == 404 and "重新分析" in error_of(r)["message"]


# -- drafts without an answer ------------------------------------------------------------

def test_a_draft_without_an_answer_cannot_be_submitted_until_it_has_one(
    editor: TestClient, reviewer: TestClient, report: dict[str, Any]
) -> None:
    cluster = _cluster(report, "电动车充电桩在哪里装")
    entry = editor.post(f"/api/console/mining/clusters/{cluster['id']}/accept").json()["entry"]
    path = f"/api/console/entries/{entry['faq_id']}"
    r = editor.post(f"{path}/submit")
    assert r.status_code == 422
    error = error_of(r)
    assert error["field"] == "answer" and error["message"].startswith("答案为空")
    fields = {k: entry[k] for k in ("category", "question", "similar_questions", "department")}
    saved = editor.put(path, json={**fields, "answer": "", "revision": entry["revision"]})
    assert saved.status_code == 200  # saving the draft again without an answer is fine
    written = editor.put(path, json={**fields, "answer": "电动车充电桩由小区物业统一申请安装。",
                                     "revision": saved.json()["entry"]["revision"]})
    assert written.status_code == 200
    assert editor.post(f"{path}/submit").json()["entry"]["status"] == "in_review"
    assert reviewer.post(f"{path}/approve").status_code == 200


def test_approving_an_entry_without_an_answer_is_422(rig: ConsoleRig,
                                                      reviewer: TestClient) -> None:
    # Only reachable by a change behind the API's back; approve checks it all the same.
    rig.console.db.write(lambda conn: conn.execute(
        update(kb_entries).where(kb_entries.c.faq_id == "SB002")
        .values(status="in_review", answer="")))
    r = reviewer.post("/api/console/entries/SB002/approve")
    assert r.status_code == 422 and error_of(r)["field"] == "answer"


# -- the unanswered list -----------------------------------------------------------------

def test_the_unanswered_list_uses_the_clusters_of_the_latest_run(
    mined: ConsoleRig, editor: TestClient
) -> None:
    before = editor.get("/api/console/unanswered").json()
    assert before["method"] == "clusters"  # no run yet: clustered on the fly
    _run(mined, editor)
    body = editor.get("/api/console/unanswered").json()
    assert body["method"] == "mining" and body["run"]["rows"] == len(LOG)
    mined_groups = [g for g in body["groups"] if g["cluster_id"]]
    assert len(mined_groups) == 5
    passport = next(g for g in mined_groups if g["label"] == "护照丢了怎么补办")
    assert passport["count"] == 4  # 护照丢了怎么补办 twice (with and without "？") + 2 variants
    assert passport["coverage"] == "partial" and passport["nearest_faq_id"] == "SB001"
    rest = {g["label"] for g in body["groups"] if not g["cluster_id"]}
    assert "公交卡怎么退" in rest  # a question in no reported cluster is still listed
    assert sum(g["count"] for g in body["groups"]) == len(LOG)
    old = editor.get("/api/console/unanswered", params={"method": "clusters"}).json()
    assert old["method"] == "clusters"


@pytest.fixture(autouse=True)
def _no_stray_threads(rig: ConsoleRig) -> Iterator[None]:
    yield
    _mining(rig).join(60)


# -- accepting clusters of a report a scheduled run left (ticket files have categories) --

def _crafted(rig: ConsoleRig, **cluster: Any) -> str:
    """A latest report as `bot mine` saves it, with one cluster; its id."""
    base = {"id": "c000042", "rank": 1, "size": 6, "representative": "医保卡怎么异地使用",
            "examples": ["医保卡在外地能用吗", "异地看病医保卡怎么刷"], "keywords": ["医保卡"],
            "nearest_faq_id": None, "nearest_question": None, "nearest_score": None,
            "coverage": "new", "members": [], "growth": None, "categories": {"医疗卫生": 5}}
    save_latest({"generated_at": "2026-06-01T08:00:00", "rows": 60, "min_size": 3,
                 "model": {"created_at": "2026-05-01T00:00:00"},
                 "clusters": [{**base, **cluster}]}, _mining(rig).folder)
    return str(base["id"])


def test_a_new_topic_takes_the_clusters_most_frequent_category(
    rig: ConsoleRig, editor: TestClient
) -> None:
    cluster_id = _crafted(rig)
    entry = editor.post(f"/api/console/mining/clusters/{cluster_id}/accept").json()["entry"]
    assert entry["category"] == "医疗卫生"
    assert entry["similar_questions"] == ["医保卡在外地能用吗", "异地看病医保卡怎么刷"]


def test_variants_another_entry_already_has_are_skipped_not_stolen(
    rig: ConsoleRig, editor: TestClient
) -> None:
    cluster_id = _crafted(rig, representative="社保卡掉了咋补",
                          examples=["社保卡怎么激活", "社保卡掉了补办要多久"])
    body = editor.post(f"/api/console/mining/clusters/{cluster_id}/accept",
                       json={"faq_id": "SB001"}).json()
    assert body["added"] == ["社保卡掉了咋补", "社保卡掉了补办要多久"]
    assert body["skipped"] == [{"text": "社保卡怎么激活", "faq_id": "SB002"}]


def test_a_cluster_whose_question_an_entry_has_cannot_become_a_new_entry(
    rig: ConsoleRig, editor: TestClient
) -> None:
    cluster_id = _crafted(rig, representative="社保卡怎么激活？")
    r = editor.post(f"/api/console/mining/clusters/{cluster_id}/accept")
    assert r.status_code == 409
    assert "SB002" in error_of(r)["message"] and "并入条目" in error_of(r)["message"]
    assert editor.get("/api/console/entries", params={"status": "draft"}).json()["total"] == 0
