"""Text prepared for speech: golden tables of readings, and shortening of long answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.voice import numbers
from bot.voice.speech_text import SMS_NOTE, prepare_reply, prepare_speech, speakable

CARDINALS = [
    (0, "零"),
    (2, "二"),
    (10, "十"),
    (15, "十五"),
    (20, "二十"),
    (101, "一百零一"),
    (110, "一百一十"),
    (200, "两百"),
    (1005, "一千零五"),
    (2000, "两千"),
    (10010, "一万零一十"),
    (20000, "两万"),
    (100000, "十万"),
    (120000, "十二万"),
    (10000001, "一千万零一"),
    (200000000, "两亿"),
]


@pytest.mark.parametrize(("n", "spoken"), CARDINALS)
def test_cardinal(n: int, spoken: str) -> None:
    assert numbers.cardinal(n) == spoken


READINGS = [
    # dates and years
    ("2026年12月3日起施行", "二零二六年十二月三日起施行。"),
    ("2026-12-01至2027-06-30有效", "二零二六年十二月一日至二零二七年六月三十日有效。"),
    ("2027年度城乡居民医保", "二零二七年度城乡居民医保。"),
    ("每月10日前", "每月十日前。"),
    ("2月3日", "二月三日。"),
    # counts, amounts, percentages, decimals, ranges
    ("受理后15个工作日内办结", "受理后十五个工作日内办结。"),
    ("2个工作日", "两个工作日。"),
    ("满2年免征", "满两年免征。"),
    ("工本费20元", "工本费二十元。"),
    ("1,000元", "一千元。"),
    ("￥30", "三十元。"),
    ("20000元", "两万元。"),
    ("12.5万元", "十二点五万元。"),
    ("利率3.5%", "利率百分之三点五。"),
    ("首套最高80%，二套最高60%", "首套最高百分之八十，二套最高百分之六十。"),
    ("3-5个工作日", "三至五个工作日。"),
    ("140㎡以下", "一百四十平方米以下。"),
    ("2号线", "二号线。"),
    ("第3个窗口", "第三个窗口。"),
    # times
    ("工作时间9:00-17:00", "工作时间九点至十七点。"),
    ("周一至周五8:30-12:00，14:00-17:05", "周一至周五八点三十分至十二点，十四点至十七点零五分。"),
    # phone-like numbers
    ("请拨打12345热线", "请拨打一二三四五热线。"),
    ("交管12123", "交管一二一二三。"),
    ("手机13812345678", "手机幺三八，幺二三四，五六七八。"),
    ("联系电话0755-12345678", "联系电话零七五五，幺二三四五六七八。"),
    ("拨打110报警", "拨打幺幺零报警。"),
    ("120急救", "幺二零急救。"),
    ("400-123-4567", "四零零，幺二三，四五六七。"),
    ("邮编518000", "邮编五一八零零零。"),
    ("工单号2026120300015", "工单号二零二六幺二零三零零零幺五。"),
    # URLs, app names, brackets, lists, symbols
    ("可在“海川办”App查询进度", "可在海川办A P P查询进度。"),
    ("登录https://www.hc12345.gov.cn/guide办理", "登录网站办理。"),
    ("发送邮件到 service@hc.gov.cn", "发送邮件到邮箱。"),
    ("由借款人（抵押人）和银行（抵押权人）共同申请", "由借款人和银行共同申请。"),
    ("依据《居住证暂行条例》办理", "依据居住证暂行条例办理。"),
    ("需要：1、身份证；2、户口簿", "需要：第一，身份证；第二，户口簿。"),
    ("①身份证②户口簿", "第一，身份证。第二，户口簿。"),
    ("- 身份证\n- 户口簿", "身份证。户口簿。"),
    ("费用20元/次", "费用二十元每次。"),
    ("😀你好！！", "你好！"),
]


@pytest.mark.parametrize(("written", "spoken"), READINGS)
def test_reading(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


def test_an_aside_that_is_the_whole_text_is_kept() -> None:
    assert speakable("（仅限本市户籍）") == "仅限本市户籍。"


def test_full_width_digits_are_read() -> None:
    assert speakable("１５个工作日") == "十五个工作日。"


LONG = (
    "开发商完成项目首次登记后，买房人可申请转移登记领取不动产权证，多数项目由开发商统一收件代办。"
    "需提供身份证、购房合同、购房发票、契税完税凭证和专项维修资金缴纳凭证，已婚的需提供结婚证。"
    "受理后一般5个工作日内办结，住宅登记费80元，可在“海川办”App查询进度。"
)


def test_a_long_answer_is_cut_to_its_first_sentence_and_the_sms_note() -> None:
    speech = prepare_speech(LONG)
    assert speech.spoken == (
        "开发商完成项目首次登记后，买房人可申请转移登记领取不动产权证，"
        "多数项目由开发商统一收件代办。" + SMS_NOTE
    )
    assert speech.full_text == LONG
    assert speech.follow_up is True


def test_two_short_sentences_that_fit_are_both_spoken() -> None:
    text = "到社保网点挂失并补办。补办当场可以领卡。" + "另外" * 40 + "。"
    assert prepare_speech(text).spoken == "到社保网点挂失并补办。补办当场可以领卡。" + SMS_NOTE


def test_one_overlong_sentence_is_cut_at_a_clause_boundary() -> None:
    text = "，".join(["持身份证到任一受理点办理"] * 10) + "。"
    spoken = prepare_speech(text).spoken
    assert spoken.endswith("受理点办理。" + SMS_NOTE)
    assert len(spoken) - len(SMS_NOTE) <= 81


def test_a_short_answer_is_spoken_whole_without_a_note() -> None:
    speech = prepare_speech("携带户口簿到户籍所在地派出所申请补领。")
    assert speech.spoken == "携带户口簿到户籍所在地派出所申请补领。"
    assert speech.follow_up is False


def test_a_url_in_a_short_answer_brings_the_note() -> None:
    speech = prepare_speech("请登录www.hc.gov.cn办理")
    assert speech.spoken == "请登录网站办理。" + SMS_NOTE
    assert speech.follow_up is True


def test_a_reply_keeps_its_follow_up_question_after_the_shortened_answer() -> None:
    speech = prepare_reply([LONG, "请问这个回答对您有帮助吗？"])
    assert speech.spoken.endswith("代办。" + SMS_NOTE + "请问这个回答对您有帮助吗？")
    assert speech.full_text == LONG + "\n请问这个回答对您有帮助吗？"


def test_choices_kept_whole_when_max_chars_is_none() -> None:
    text = (
        "您想问的是下面哪一个？\n1. 身份证丢了怎么补办\n2. 身份证到期怎么换\n3. 社保卡丢了怎么补办"
    )
    speech = prepare_reply([text], max_chars=None)
    assert speech.spoken == (
        "您想问的是下面哪一个？第一，身份证丢了怎么补办。第二，身份证到期怎么换。"
        "第三，社保卡丢了怎么补办。"
    )


def test_empty_reply() -> None:
    assert prepare_reply(["", "  "]).spoken == ""


@given(st.text(max_size=300))
def test_any_text_becomes_speakable_without_digits_or_latin_lowercase(text: str) -> None:
    spoken = prepare_reply([text]).spoken
    assert not any(ch.isascii() and (ch.isdigit() or ch.islower()) for ch in spoken)
