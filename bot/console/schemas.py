"""Request bodies of the console API (response shapes are the records' to_dict)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# Generous caps: the field rules (bot/kb/rules.py) give the real limits with a clear
# message; these only stop absurd bodies before they are read into memory twice.
_BIG = 100_000
_LABEL = 1_000


class EntryBody(BaseModel):
    faq_id: str | None = Field(default=None, max_length=_LABEL)
    category: str = Field(default="", max_length=_LABEL)
    question: str = Field(default="", max_length=_BIG)
    similar_questions: list[str] = Field(default_factory=list, max_length=1000)
    answer: str = Field(default="", max_length=_BIG)
    department: str = Field(default="", max_length=_LABEL)
    valid_from: str | None = Field(default=None, max_length=40)
    valid_to: str | None = Field(default=None, max_length=40)

    def fields_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude={"faq_id", "revision"})


class EntryUpdate(EntryBody):
    revision: int


class Review(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)
    revision: int | None = None


class TryBody(BaseModel):
    text: str = Field(max_length=2000)
    entry: EntryBody | None = None


class AddSimilar(BaseModel):
    faq_id: str = Field(max_length=_LABEL)
    text: str = Field(max_length=_BIG)


class NewEntry(BaseModel):
    text: str = Field(max_length=_BIG)


class UserCreate(BaseModel):
    username: str = Field(max_length=200)
    role: str = Field(max_length=40)
    password: str = Field(max_length=1000)
    display_name: str = Field(default="", max_length=1000)


class UserPatch(BaseModel):
    role: str | None = Field(default=None, max_length=40)
    display_name: str | None = Field(default=None, max_length=1000)
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1000)
