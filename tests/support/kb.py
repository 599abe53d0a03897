"""Small knowledge-base builders for tests."""

from bot.kb.model import FaqEntry


def entry(faq_id: str, question: str, *similar: str, **kw) -> FaqEntry:
    return FaqEntry(faq_id, kw.pop("category", "社保"), question, tuple(similar),
                    kw.pop("answer", f"{question}的答案"), kw.pop("department", "测试局"), **kw)
