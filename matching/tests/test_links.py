import time

import pytest

from matching import links


def _later(monkeypatch, seconds):
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + seconds)


def test_a_link_reads_back_what_it_was_made_for():
    token = links.make("follow-up", object_id=12, person_id=34)
    assert links.read("follow-up", token) == (12, 34)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t.replace(t.split(":")[0], "WzEzLDM0XQ"),  # value swapped for [13,34]
        lambda t: t[:10],  # cut short
        lambda t: "",
    ],
)
def test_a_changed_link_is_refused(tamper):
    token = links.make("follow-up", object_id=12, person_id=34)
    with pytest.raises(links.BadLink):
        links.read("follow-up", tamper(token))


def test_a_link_works_only_for_its_purpose():
    token = links.make("follow-up", object_id=12, person_id=34)
    with pytest.raises(links.BadLink):
        links.read("introduction-response", token)


def test_links_expire(monkeypatch):
    token = links.make("introduction-response", object_id=1, person_id=2)
    _later(monkeypatch, 14 * 86400)
    assert links.read("introduction-response", token) == (1, 2)
    _later(monkeypatch, 16 * 86400)
    with pytest.raises(links.ExpiredLink):
        links.read("introduction-response", token)
