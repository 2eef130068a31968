from __future__ import annotations

import uuid

from ringcast.contacts.ids import ordered_id, ordered_ids


def test_ids_are_uuid7_unique_and_time_ordered():
    ids = ordered_ids(1000)
    assert len(set(ids)) == 1000
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert all(str(u) == i for u, i in zip(parsed, ids, strict=True))
    later = ordered_id()
    # the 48-bit millisecond prefix never goes backwards
    assert later[:13] >= max(i[:13] for i in ids)


def test_ids_increase_along_a_batch():
    """Inserted in batch order, a batch's ids go to the right edge of the index."""
    ids = ordered_ids(5000)
    assert ids == sorted(ids)
    assert len({i[:24] for i in ids}) == 1  # one prefix per batch
    assert ordered_ids(0) == []
