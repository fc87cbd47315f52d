from tests.callflows.conftest import pairing, prompts, provider  # noqa: F401 (shared fixtures)
