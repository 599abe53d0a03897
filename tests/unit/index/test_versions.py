import pytest

from bot.index.versions import IndexStore


def _publish(store: IndexStore, tag: str) -> str:
    staging = store.staging()
    (staging / "data.txt").write_text(tag)
    name = store.new_version_name(tag * 8)
    store.publish(staging, name, {"created_at": name})
    return name


def test_publish_moves_current(tmp_path):
    store = IndexStore(tmp_path)
    assert store.current_name() is None
    first = _publish(store, "a")
    second = _publish(store, "b")
    assert store.current_name() == second
    assert (tmp_path / second / "data.txt").read_text() == "b"
    assert (tmp_path / first / "data.txt").read_text() == "a"  # old version untouched


def test_failed_build_keeps_current(tmp_path):
    store = IndexStore(tmp_path)
    first = _publish(store, "a")
    staging = store.staging()
    (staging / "half").write_text("x")
    store.discard(staging)
    assert store.current_name() == first
    assert not staging.exists()


def test_rollback_to_existing_version(tmp_path):
    store = IndexStore(tmp_path)
    first = _publish(store, "a")
    _publish(store, "b")
    store.set_current(first)
    assert store.current_name() == first


def test_rollback_to_unknown_version_fails(tmp_path):
    store = IndexStore(tmp_path)
    _publish(store, "a")
    with pytest.raises(FileNotFoundError):
        store.set_current("v-nope")


def test_pointer_to_missing_folder_reads_as_none(tmp_path):
    store = IndexStore(tmp_path)
    (tmp_path / "CURRENT").write_text("v-gone\n")
    assert store.current_name() is None


def test_prune_keeps_current_and_recent(tmp_path):
    store = IndexStore(tmp_path)
    names = [_publish(store, str(i)) for i in range(12)]
    remaining = {m["version"] for m in store.versions()}
    assert names[-1] in remaining
    assert len(remaining) == 10
