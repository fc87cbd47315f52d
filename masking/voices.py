"""The text-to-speech catalog of the seed's callflow dialect (`say`, `say&capture`).

Each language has the code the provider expects in a callflow's `language` parameter and the
generic voice profiles it offers. The table is the seed's (`shared/seeds/call-actions.txt`), keyed
by ISO 639-1 codes so staff pick languages by their real names and codes.

Decisions where the seed's table is wrong or odd, written down so nobody "fixes" them silently:

* **Korean is not offered.** The seed lists Korean with Swedish's code (`SV`) and Swedish's voice
  (`generic-sv-female`). Taking it at its word would read Korean text with a Swedish voice; mapping
  it to an invented `ko` code would send the provider a language it never documented. A Korean
  prompt is refused with an explanation (see `UNAVAILABLE_LANGUAGES`) until the provider's current
  dialect, which has real Korean voices, is supported.
* **Vietnamese** is stored as `vi` (ISO 639-1) and emitted as the seed's `vn`.
* **Chinese** is stored as `zh` and emitted as the seed's `zn`, matching its `generic-zn-female`
  voice profile; it has no male voice.
* Codes are emitted in lower case, as in the seed's `say` example (`"language": "en"`).

Pure data and functions: no ORM, no request.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, what we store
    name: str
    wire_code: str  # what the seed dialect sends as `language`
    male: str | None
    female: str | None

    @property
    def voice_profiles(self) -> tuple[str, ...]:
        return tuple(p for p in (self.male, self.female) if p)


def _lang(code, name, wire, male, female):
    return Language(code=code, name=name, wire_code=wire, male=male, female=female)


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        _lang("en", "English", "en", "generic-en-male", "generic-en-female"),
        _lang("zh", "Chinese", "zn", None, "generic-zn-female"),
        _lang("da", "Danish", "da", "generic-da-male", "generic-da-female"),
        _lang("nl", "Dutch", "nl", "generic-nl-male", "generic-nl-female"),
        _lang("fr", "French", "fr", "generic-fr-male", "generic-fr-female"),
        _lang("de", "German", "de", "generic-de-male", "generic-de-female"),
        _lang("hi", "Hindi", "hi", None, "generic-hi-female"),
        _lang("is", "Icelandic", "is", "generic-is-male", "generic-is-female"),
        _lang("it", "Italian", "it", "generic-it-male", "generic-it-female"),
        _lang("ja", "Japanese", "ja", "generic-ja-male", "generic-ja-female"),
        _lang("nb", "Norwegian", "nb", None, "generic-nb-female"),
        _lang("pl", "Polish", "pl", "generic-pl-male", "generic-pl-female"),
        _lang("pt", "Portuguese", "pt", "generic-pt-male", "generic-pt-female"),
        _lang("ro", "Romanian", "ro", None, "generic-ro-female"),
        _lang("ru", "Russian", "ru", "generic-ru-male", "generic-ru-female"),
        _lang("es", "Spanish", "es", "generic-es-male", "generic-es-female"),
        _lang("sv", "Swedish", "sv", None, "generic-sv-female"),
        _lang("th", "Thai", "th", None, "generic-th-female"),
        _lang("tr", "Turkish", "tr", None, "generic-tr-female"),
        _lang("vi", "Vietnamese", "vn", "generic-vn-male", "generic-vn-female"),
        _lang("cy", "Welsh", "cy", None, "generic-cy-female"),
    ]
}

# Languages staff may ask for that the catalog deliberately refuses, with the reason shown to them.
UNAVAILABLE_LANGUAGES: dict[str, str] = {
    "ko": (
        "Korean is not available: the provider's table lists Korean with Swedish's code and "
        "voice (SV, generic-sv-female), so a Korean prompt would be read by a Swedish voice."
    ),
}

# Korean stays in the choices so staff who look for it are told why it is refused.
LANGUAGE_CHOICES = [(lang.code, lang.name) for lang in LANGUAGES.values()] + [
    ("ko", "Korean (not available)")
]
VOICE_PROFILE_CHOICES = [
    (profile, profile) for lang in LANGUAGES.values() for profile in lang.voice_profiles
]
VALID_PAIRS: frozenset[tuple[str, str]] = frozenset(
    (lang.code, profile) for lang in LANGUAGES.values() for profile in lang.voice_profiles
)


def is_valid_voice(language: str, voice_profile: str) -> bool:
    """True when the catalog offers `voice_profile` for `language`."""
    return (language, voice_profile) in VALID_PAIRS


def wire_language(language: str) -> str:
    """The `language` value the seed dialect sends for an ISO code ("vi" -> "vn")."""
    return LANGUAGES[language].wire_code


# The language a caller most likely speaks, by their number's country (ISO 3166), for prompts when
# they have stated no preference. Only languages of the catalog; anything else gets the default.
COUNTRY_LANGUAGES = {
    "SG": "en",
    "GB": "en",
    "US": "en",
    "AU": "en",
    "IE": "en",
    "NZ": "en",
    "CA": "en",
    "PH": "en",
    "MY": "en",
    "IN": "hi",
    "CN": "zh",
    "TW": "zh",
    "HK": "zh",
    "DK": "da",
    "NL": "nl",
    "BE": "nl",
    "FR": "fr",
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "IS": "is",
    "IT": "it",
    "JP": "ja",
    "NO": "nb",
    "PL": "pl",
    "PT": "pt",
    "BR": "pt",
    "RO": "ro",
    "RU": "ru",
    "ES": "es",
    "MX": "es",
    "AR": "es",
    "CO": "es",
    "SE": "sv",
    "TH": "th",
    "TR": "tr",
    "VN": "vi",
}
