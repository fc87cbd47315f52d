"""The database's own ceiling for the Call Action: its two statements, run by pgbench.

The script is rendered from the very SQL the Call Action sends (masking.selectors'
`_FACTS_BY_CALLER` and callflows.records' write), each statement its own transaction as in a web
request, with the benchmark's callers and numbers (tests/benchmarks/load.py's layout), so the table
shows floor, ceiling and ours side by side and the ceiling never drifts from the code.
"""

import re
import subprocess
import tempfile

from callflows.records import pg_record_sql
from masking.selectors import _FACTS_BY_CALLER

CALLER = "('+658' || lpad((:i)::bigint::text, 7, '0'))"
DIALLED = "('+6531' || lpad((:v)::bigint::text, 6, '0'))"
EVENT = "('ceiling-' || (:client_id)::bigint::text || '-' || (:r)::bigint::text)"
# "masking-connect" would read as a pgbench variable (":connect"): the same size, without the colon.
ANSWER = (
    """'{"clientActionId": "masking-connect", "callflow": [{"action": "makeCall", "params": """
    """{"source": "6531000001", "destination": "6590000001"}}]}'"""
)


def fill(sql: str, values: list[str]) -> str:
    """Put pgbench expressions where the Python code passes parameters (%s), in order."""
    parts = sql.split("%s")
    assert len(parts) == len(values) + 1, (len(parts) - 1, len(values))
    return "".join(part + value for part, value in zip(parts, values + [""], strict=True))


def record_statement(*, event: str, dialled: str, caller: str, session: str = "NULL") -> str:
    """The Call Action's write (callflows.records), on one line, with pgbench expressions for its
    parameters: the event and 8x8 session id, the number dialled, the caller, our session's id
    (and the number again, for the call's pool)."""
    record = fill(
        pg_record_sql(keeps_answer=False),
        [event, event, "'connect'", ANSWER, "now()"]
        + [event, event, dialled, caller, session, "'connect'", "false", ANSWER]
        + ["now()", "now()", "0", "''", dialled],
    )
    return re.sub(r"\s+", " ", record).strip() + ";"


def script() -> str:
    facts = fill(
        _FACTS_BY_CALLER,
        [CALLER, "now()", "now()", DIALLED, "now()", CALLER, DIALLED, CALLER],
    )
    variables = [
        "\\set i random(0, :n - 1)",
        "\\set v :i % :numbers",
        "\\set r random(1, 1000000000000000)",
    ]
    one_line = re.sub(r"\s+", " ", facts).strip() + ";"
    record = record_statement(event=EVENT, dialled=DIALLED, caller=CALLER)
    return "\n".join([*variables, one_line, record]) + "\n"


def pgbench(*, url: str, n: int, numbers: int, concurrency: int, duration: int) -> dict:
    """Transactions (both statements) per second and the mean latency, from pgbench."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write(script())
        f.flush()
        out = subprocess.run(
            ["pgbench", "-n", "-M", "prepared", "-c", str(concurrency), "-j", "2"]
            + ["-T", str(duration), "-D", f"n={n}", "-D", f"numbers={numbers}", "-f", f.name, url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"tps": round(tps, 1), "latency_ms": latency}
