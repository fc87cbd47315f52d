"""How a callflow is written: the seed's dialect or 8x8's current one. The one place that differs.

- speaking: the seed writes `say` with text, language and a generic voice
  (generic-en-female); the current dialect writes `say` with text, a speech profile
  (en-US-ZiraRUS, from CURRENT_VOICES below) and speed, and no language.
- asking for digits: the seed writes `say&capture` with minDigits (1 to 20); the current dialect
  writes `sayAndCapture` with promptMessage, min and max digits, timeouts and noOfTries.

Set with MASKING_CALLFLOW_DIALECT: "auto" (the default), "seed" or "current". `auto` is the
seed's dialect until connect_8x8 has read the sub-account's voice catalogue, then the dialect
whose voices the catalogue lists (`choose_dialect`, stored by connect_8x8 in
`callflows.models.ProviderConnection`). The decision does not change.
"""

from collections.abc import Iterable

from masking.routing import PromptFacts
from masking.voices import wire_language

SEED = "seed"
CURRENT = "current"
AUTO = "auto"
DIALECTS = (AUTO, SEED, CURRENT)
MIN_DIGITS_RANGE = range(1, 21)  # the seed: minDigits 1 to 20

# The generic seed voices as 8x8's current speech profiles (provider document, section 3.7: codes
# from 8x8's own examples where there is one, Azure-style names of the same locale otherwise).
# A sub-account's exact list comes from GET /speech-profiles; adjust here if yours differs.
CURRENT_VOICES = {
    "generic-en-female": "en-US-ZiraRUS",
    "generic-en-male": "en-US-BenjaminRUS",
    "generic-zn-female": "zh-CN-XiaoxiaoNeural",
    "generic-da-female": "da-DK-Naja",
    "generic-da-male": "da-DK-JeppeNeural",
    "generic-nl-female": "nl-NL-ColetteNeural",
    "generic-nl-male": "nl-NL-MaartenNeural",
    "generic-fr-female": "fr-FR-DeniseNeural",
    "generic-fr-male": "fr-FR-HenriNeural",
    "generic-de-female": "de-DE-KatjaNeural",
    "generic-de-male": "de-DE-ConradNeural",
    "generic-hi-female": "hi-IN-SwaraNeural",
    "generic-is-female": "is-IS-GudrunNeural",
    "generic-is-male": "is-IS-GunnarNeural",
    "generic-it-female": "it-IT-ElsaNeural",
    "generic-it-male": "it-IT-DiegoNeural",
    "generic-ja-female": "ja-JP-NanamiNeural",
    "generic-ja-male": "ja-JP-KeitaNeural",
    "generic-nb-female": "nb-NO-PernilleNeural",
    "generic-pl-female": "pl-PL-ZofiaNeural",
    "generic-pl-male": "pl-PL-MarekNeural",
    "generic-pt-female": "pt-PT-RaquelNeural",
    "generic-pt-male": "pt-PT-DuarteNeural",
    "generic-ro-female": "ro-RO-AlinaNeural",
    "generic-ru-female": "ru-RU-SvetlanaNeural",
    "generic-ru-male": "ru-RU-DmitryNeural",
    "generic-es-female": "es-ES-ElviraNeural",
    "generic-es-male": "es-ES-AlvaroNeural",
    "generic-sv-female": "sv-SE-SofieNeural",
    "generic-th-female": "th-TH-PremwadeeNeural",
    "generic-tr-female": "tr-TR-EmelNeural",
    "generic-vn-female": "vi-VN-HoaiMyNeural",
    "generic-vn-male": "vi-VN-NamMinhNeural",
    "generic-cy-female": "cy-GB-NiaNeural",
}

# Keypad timing for the current dialect: overall must exceed the gap between keys (-1006).
DIGIT_TIMEOUT_MS = 5000
OVERALL_TIMEOUT_MS = 15000


def say(prompt: PromptFacts, *, dialect: str = SEED) -> dict:
    if dialect == CURRENT:
        return {
            "action": "say",
            "params": {
                "text": prompt.text,
                "voiceProfile": CURRENT_VOICES[prompt.voice_profile],
                "repetition": prompt.repetition,
                "speed": 1.0,
            },
        }
    return {
        "action": "say",
        "params": {
            "text": prompt.text,
            "language": wire_language(prompt.language),
            "voiceProfile": prompt.voice_profile,
            "repetition": prompt.repetition,
        },
    }


def say_and_capture(
    prompt: PromptFacts, *, min_digits: int, max_digits: int | None = None, dialect: str = SEED
) -> dict:
    if min_digits not in MIN_DIGITS_RANGE:
        raise ValueError(f"minDigits must be 1 to 20, not {min_digits}")
    if dialect == CURRENT:
        max_digits = max_digits or min_digits
        return {
            "action": "sayAndCapture",
            "params": {
                "promptMessage": prompt.text,
                "voiceProfile": CURRENT_VOICES[prompt.voice_profile],
                # No repetition: neither 8x8's schema (VOAS SayAndCapture) nor its IVR page
                # lists one for a capture, only a guide's example, with no meaning given.
                "speed": 1.0,
                "minDigits": min_digits,
                "maxDigits": max_digits,
                # A fixed-length entry (a PIN, "press 1") is complete at its last key: waiting
                # for # would time a caller out who never presses it, and count them wrong.
                "completeOnHash": max_digits != min_digits,
                "digitTimeout": DIGIT_TIMEOUT_MS,
                "overallTimeout": OVERALL_TIMEOUT_MS,
                # We decide what follows a bad entry (retry, lockout): 8x8 asks once.
                "noOfTries": 1,
            },
        }
    action = say(prompt)
    return {"action": "say&capture", "params": {**action["params"], "minDigits": min_digits}}


def wire_voice(voice_profile: str, *, dialect: str = SEED) -> str:
    """The `voiceProfile` a prompt with our `voice_profile` goes out with in `dialect`."""
    if dialect == CURRENT:
        return CURRENT_VOICES.get(voice_profile, voice_profile)
    return voice_profile


def refused_voices(
    voice_profiles: Iterable[str], *, dialect: str, catalogue: frozenset[str]
) -> dict[str, str]:
    """{our voice: what `dialect` sends} for each voice the sub-account's catalogue does not
    offer, which 8x8 would refuse (-1002). {} when no catalogue was read: voices are unchecked."""
    if not catalogue:
        return {}
    sent = {voice: wire_voice(voice, dialect=dialect) for voice in voice_profiles}
    return {voice: code for voice, code in sorted(sent.items()) if code not in catalogue}


def choose_dialect(voice_profiles: Iterable[str], *, catalogue: frozenset[str]) -> tuple[str, str]:
    """(dialect, why) for a sub-account whose speech profiles are `catalogue`, given the voices
    our prompts use. The seed when the catalogue lists the seed's voices for every prompt; else
    the current dialect when it lists its speech profiles for every prompt; else the one 8x8
    would refuse fewer prompts in (the current one on a tie: it is what 8x8 documents today)."""
    if not catalogue:
        return SEED, "no voice catalogue read from 8x8 yet: the seed's dialect, as specified"
    voices = sorted(set(voice_profiles))
    seed_refused = refused_voices(voices, dialect=SEED, catalogue=catalogue)
    if not seed_refused:
        return SEED, "the sub-account's voice catalogue lists the seed's voices (generic-*)"
    current_refused = refused_voices(voices, dialect=CURRENT, catalogue=catalogue)
    missing = ", ".join(sorted(seed_refused))
    if not current_refused:
        return CURRENT, (
            f"the sub-account's voice catalogue does not list the seed's {missing}, and lists "
            "the current dialect's speech profiles for every prompt"
        )
    if len(seed_refused) < len(current_refused):
        return SEED, (
            f"neither dialect's voices are all listed; the seed's misses fewer ({missing})"
        )
    return CURRENT, (
        "neither dialect's voices are all listed; the current dialect's misses "
        f"{', '.join(sorted(current_refused.values()))}"
    )
