"""Every system check of ours has its own id: an operator who silences one
(`SILENCED_SYSTEM_CHECKS = ["masking.E008"]`) or looks one up in README must get that problem
only. Two issues once both took `masking.E007` (the webhook credential's length and the dialect)."""

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK_ID = re.compile(r"""\bid=f?["'](masking\.[EWIC]\d{3})["']""")


def test_each_check_id_names_one_check():
    sources = [*ROOT.joinpath("masking").rglob("*.py"), *ROOT.joinpath("callflows").rglob("*.py")]
    ids = Counter(
        found for path in sources for found in CHECK_ID.findall(path.read_text(encoding="utf-8"))
    )
    assert ids, "no check ids found: the pattern no longer matches how checks are written"
    assert [check for check, uses in ids.items() if uses > 1] == []
