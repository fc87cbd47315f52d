"""Issue 31: the layering is one-way. The domain (masking's models, services, selectors and the
plain modules they read) never imports the 8x8 side (callflows), at module level or inside a
function; the staff UI and the API sit above both. Read from the source, every import."""

import ast
from pathlib import Path

import masking

ROOT = Path(masking.__file__).parent
DOMAIN = [
    *sorted((ROOT / "models").glob("*.py")),
    *sorted((ROOT / "services").glob("*.py")),
    ROOT / "selectors.py",
    ROOT / "routing.py",
    ROOT / "pool_rules.py",
    ROOT / "pool_access.py",
    ROOT / "pool_secrets.py",
    ROOT / "pins.py",
]


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_nothing_in_the_domain_imports_the_8x8_side():
    reaching_up = {
        f"{path.relative_to(ROOT.parent)}: {name}"
        for path in DOMAIN
        for name in imported(path)
        if name == "callflows" or name.startswith("callflows.")
    }
    assert reaching_up == set()


def test_the_walk_reads_every_domain_module():
    assert len(DOMAIN) > 20 and all(path.exists() for path in DOMAIN)
