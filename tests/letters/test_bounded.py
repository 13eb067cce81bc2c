"""bot/letters/bounded.py: a coordinator's body renders in a process of its own, within
bounds on steps, output, memory and time; past one it is refused, and the next body renders.

No bound here is tight: each hostile body is far past the bound it meets, and the time bound
is met by a body that would run for minutes."""

from __future__ import annotations

import pytest

from bot.letters.bounded import Bounds
from bot.letters.render import BodyError, letter_context, render_body
from tests.letters.conftest import KK_TARGET, ON, public_case, public_target

NESTED_LOOPS = "{% for i in range(30000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}"
GENEROUS = Bounds()


def _context() -> dict[str, object]:
    return letter_context(public_case(), public_target(KK_TARGET), "en", None, ON)


def _refusal(body: str, bounds: Bounds) -> BodyError:
    with pytest.raises(BodyError) as refused:
        render_body("en", body, _context(), bounds)
    return refused.value


@pytest.mark.parametrize(
    ("body", "bound"),
    [
        (NESTED_LOOPS, "steps"),
        ("{% for c in 'x' * 1000 %}{% for d in 'x' * 1000 %}{% endfor %}{% endfor %}", "steps"),
        ("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", "output"),
        ("{{ '%0900000000d' % 1 }}", "memory"),
    ],
)
def test_a_body_past_a_bound_is_refused_with_that_bound(body: str, bound: str) -> None:
    refused = _refusal(body, GENEROUS)
    assert (refused.bound, refused.reason) == (bound, bound)


def test_a_body_that_would_run_for_minutes_is_stopped_at_the_time_bound() -> None:
    refused = _refusal(NESTED_LOOPS, Bounds(seconds=0.5, steps=10**12))
    assert (refused.bound, refused.limit) == ("time", 0.5)
    # The process was killed; the next body gets a fresh one.
    assert render_body("en", "For {{ people_names }}.", _context(), GENEROUS).startswith("For ")


def test_a_body_within_its_bounds_renders_as_before() -> None:
    body = "{% for p in people %}{{ p.name }}; {% endfor %}{{ 'ok' * 3 }}"
    assert render_body("en", body, _context(), GENEROUS).endswith("okokok")


def test_the_bounds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import get_settings

    monkeypatch.setenv("LETTER_RENDER_STEPS", "1000")
    get_settings.cache_clear()
    try:
        body = "{% for i in range(5000) %}{% endfor %}x"
        refused = _refusal(body, Bounds.from_settings())
        assert (refused.bound, refused.limit) == ("steps", 1000)
    finally:
        get_settings.cache_clear()
