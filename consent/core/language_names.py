"""What languages are called, in their own words: the admin's language lists and the visitor's
consent history name them so."""

from __future__ import annotations

# (Two to four a line: a table to read.)
# fmt: off
_OTHER_NAMES = {
    "af": "Afrikaans", "ar": "العربية", "bg": "Български", "bs": "Bosanski",
    "ca": "Català", "cs": "Čeština", "cy": "Cymraeg", "da": "Dansk", "el": "Ελληνικά",
    "es": "Español", "et": "Eesti", "eu": "Euskara", "fa": "فارسی", "fi": "Suomi",
    "fy": "Frysk", "ga": "Gaeilge", "gl": "Galego", "he": "עברית", "hi": "हिन्दी",
    "hr": "Hrvatski", "hu": "Magyar", "id": "Bahasa Indonesia", "is": "Íslenska",
    "it": "Italiano", "ja": "日本語", "ko": "한국어", "lb": "Lëtzebuergesch",
    "lt": "Lietuvių", "lv": "Latviešu", "mk": "Македонски", "ms": "Bahasa Melayu",
    "mt": "Malti", "nb": "Norsk bokmål", "nn": "Norsk nynorsk", "no": "Norsk",
    "pl": "Polski", "pt": "Português", "ro": "Română", "ru": "Русский",
    "sk": "Slovenčina", "sl": "Slovenščina", "sq": "Shqip", "sr": "Српски",
    "sv": "Svenska", "th": "ไทย", "tr": "Türkçe", "uk": "Українська",
    "vi": "Tiếng Việt", "zh": "中文",
}
# fmt: on

#: Languages' names in their own language, by primary subtag: the four we ship texts for,
#: the European Union's other official languages and other languages sites often add
#: (another tag shows as itself).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "nl": "Nederlands",
    "de": "Deutsch",
    "fr": "Français",
    **_OTHER_NAMES,
}


def language_label(language: str) -> str:
    """How the admin names a language: ``Deutsch (de)``, ``Español (es)``; a tag without a
    name in :data:`LANGUAGE_NAMES`, itself."""
    name = LANGUAGE_NAMES.get(language)
    return f"{name} ({language})" if name else language
