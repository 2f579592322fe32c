"""``docs/SCHEME_RULES.md`` lists every scheme rule, and names tests that exist."""

import inspect
import re
from pathlib import Path

from django.conf import settings

from contracts import schemes

DOC = Path(settings.BASE_DIR) / "docs" / "SCHEME_RULES.md"
TESTS = Path(settings.BASE_DIR) / "tests" / "contracts"
# Plumbing of the parameters, not rules.
NOT_RULES = {"parse_parameter", "format_parameter", "scheme_parameter_defaults"}


def rule_functions() -> set[str]:
    return {
        name
        for name, function in inspect.getmembers(schemes, inspect.isfunction)
        if function.__module__.startswith(schemes.__name__ + ".")
        and not name.startswith("_")
        and name not in NOT_RULES
    }


def test_every_rule_function_is_in_the_table():
    text = DOC.read_text(encoding="utf-8")

    missing = sorted(name for name in rule_functions() if f"`{name}`" not in text)

    assert not missing, f"absentes de {DOC.name} : {missing}"


def test_every_test_named_in_the_table_exists():
    text = DOC.read_text(encoding="utf-8")
    sources = "".join(path.read_text(encoding="utf-8") for path in TESTS.glob("test_*.py"))
    named = set(re.findall(r"`(?:\w+::)?(test_\w+?|Test\w+)(?:_\*)?`", text))

    missing = sorted(
        name
        for name in named
        if not re.search(rf"(def|class) {name}", sources)
        and not re.search(rf"def {name}\w*", sources)
    )

    assert not missing, f"tests introuvables : {missing}"
