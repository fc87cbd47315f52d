"""Writing prompts."""

from masking.models import Prompt


def prompt_save(*, prompt: Prompt) -> Prompt:
    """Validate against the voice catalog and save."""
    prompt.full_clean()
    prompt.save()
    return prompt
