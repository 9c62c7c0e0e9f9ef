"""The user's language and the store's side of the text: keys, never sentences.

The store's errors carry a catalog key and parameters (`ArenaError`); the documents the store writes
(the närvarorapport, export headers) ask for their words by key (`t`). The sentences themselves live in
the UI's one catalog (`tui.text`), which installs itself here (`install`) when the UI is loaded, so a
message is said in the language the user has chosen at the moment it is shown – the language can be
switched while the app runs. Without an installed catalog (the store used on its own) a key is shown
as the key and its parameters.

The language also decides numbers (`num`: decimal comma in Swedish) and the default CSV dialect.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("sv", "en")
_lang = "sv"
_catalog: Callable[..., str] | None = None


class Key(str):
    """A parameter that is itself a catalog key (a role, a field's name): said in the reader's language."""


_OS_WORDS = {
    "ENOENT": "os.ENOENT", "EACCES": "os.EACCES", "EPERM": "os.EACCES", "ENOSPC": "os.ENOSPC", "EDQUOT": "os.ENOSPC",
    "EROFS": "os.EROFS", "EISDIR": "os.EISDIR", "ENOTDIR": "os.ENOTDIR", "EEXIST": "os.EEXIST", "EIO": "os.EIO",
    "ENAMETOOLONG": "os.ENAMETOOLONG", "EBUSY": "os.EBUSY", "ETXTBSY": "os.EBUSY", "ELOOP": "os.ELOOP",
    "EMFILE": "os.EMFILE", "ENFILE": "os.EMFILE", "EINVAL": "os.EINVAL", "EXDEV": "os.EXDEV",
    "EHOSTDOWN": "os.ENETDOWN", "ENETDOWN": "os.ENETDOWN", "ENETUNREACH": "os.ENETDOWN", "ETIMEDOUT": "os.ENETDOWN",
    "ESTALE": "os.ENETDOWN", "ECONNRESET": "os.ENETDOWN",
}


def os_reason(error: BaseException) -> Key:
    """Why the operating system refused, as catalog words (`os.ENOENT`: "filen eller mappen finns inte"), never
    the system's own English ("No such file or directory"): a parameter said in the reader's language."""
    import errno

    name = errno.errorcode.get(getattr(error, "errno", None) or 0, "")
    return Key(_OS_WORDS.get(name, "os.other"))


def install(catalog: Callable[..., str]) -> None:
    """The UI's catalog: `catalog(lang, key, **params)` returns the sentence for `key` in `lang`."""
    global _catalog
    _catalog = catalog


def text_in(lang: str, key: str, **params: object) -> str:
    if _catalog is None:
        return key + (f" {params}" if params else "")
    return _catalog(lang, key, **params)


def t(key: str, **params: object) -> str:
    """The words for `key` in the current language, from the installed catalog (documents, summaries)."""
    return text_in(_lang, key, **params)


def num_in(lang: str, value: float | int, decimals: int = 1) -> str:
    """A number as `lang` writes it: `31,5` in Swedish, `31.5` in English; whole numbers without
    decimals, a no-break space between thousands in Swedish."""
    value = round(float(value), decimals)
    text = f"{value:,.{decimals}f}" if not value.is_integer() else f"{int(value):,d}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "sv":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def num(value: float | int, decimals: int = 1) -> str:
    """A number as the user's language writes it (see `num_in`)."""
    return num_in(_lang, value, decimals)


def set_language(lang: str) -> None:
    global _lang
    if lang not in LANGUAGES:
        raise ValueError(lang)
    _lang = lang


def language() -> str:
    return _lang


@dataclass(frozen=True, eq=False)
class Message:
    """Words kept for later: a catalog key and its parameters, said in the language of the moment they are
    shown (`str`), never in the one of the moment they were made – an import's refused rows, the last
    sync's line. `stored`/`from_stored` keep one as JSON (a parameter that is itself a key stays one)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return t(self.key, **self.params)

    def stored(self) -> dict[str, Any]:
        return {"key": self.key,
                "params": {k: {"key": str(v)} if isinstance(v, Key) else v for k, v in self.params.items()}}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Message:
        return cls(data["key"], {k: Key(v["key"]) if isinstance(v, dict) else v
                                 for k, v in (data.get("params") or {}).items()})


class ArenaError(Exception):
    """An error a caseworker is meant to read: a catalog key plus parameters, said by the UI's catalog in
    the language of the moment it is shown (`str(error)`)."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def __str__(self) -> str:
        return t(self.key, **self.params)

    @property
    def message(self) -> Message:
        """What to keep of this error to say it later (in the language of that moment)."""
        return Message(self.key, dict(self.params))
