import pytest

from bot.embed.base import FakeEmbedder
from bot.index.versions import IndexStore
from bot.kb.model import KnowledgeBase
from tests.support.kb import entry


@pytest.fixture
def kb() -> KnowledgeBase:
    return KnowledgeBase.of([
        entry("SB001", "社保卡丢了怎么补办", "社保卡遗失补卡", "社保卡不见了"),
        entry("SB002", "社保卡怎么激活", "新社保卡激活", "社保卡启用"),
        entry("GJJ001", "租房怎么提取公积金", "租房提取公积金", "公积金付房租"),
        entry("GJJ002", "买房怎么提取公积金", "购房提取公积金", "买房用公积金"),
        entry("SFZ001", "身份证到期怎么换领", "身份证过期换证", "身份证到期了"),
    ])


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def index_store(tmp_path) -> IndexStore:
    return IndexStore(tmp_path / "index")
