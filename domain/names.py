"""Names in frozen versions, and what is left of a person once they asked to be erased.

A version of format 2 (:data:`domain.proposals.VERSION_FORMAT`) hashes no name: wherever a
version names someone — who froze it, who wrote in a section, who asked to be named among
those present, who proposed or decided an amendment — its hashed content holds a salted commitment
(:func:`domain.proposals.commitment`), and the name with its salt is kept beside the version.
:func:`seal` puts the commitments in; :func:`reveal` puts the names back for reading, or
:data:`ERASED` where the name was erased. Format 1 content holds the names themselves and is
shown as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["ERASED", "author", "named_places", "pseudonym", "reveal", "seal"]

#: What a reader sees where an erased person's name stood.
ERASED: Final = "(nom effacé)"


def pseudonym(number: int) -> str:
    """The display name an erased participant keeps in the live data (audit, lists)."""
    return f"Participant·e effacé·e n° {number}"


def _named_lists(content: Mapping[str, Any]) -> list[tuple[str, list[Any]]]:
    """Every list of names in a version's content, with where it is: ``attendance`` or
    ``section:<key>``."""
    found: list[tuple[str, list[Any]]] = []
    for section in content.get("sections") or []:
        named = (section.get("contributors") or {}).get("named")
        if isinstance(named, list):
            found.append((f"section:{section.get('key')}", named))
    named = (content.get("attendance") or {}).get("named")
    if isinstance(named, list):
        found.append(("attendance", named))
    for person, item in _amendment_people(content):
        found.append((f"amendment:{item.get('id')}", person["named"]))
    return found


def _amendment_people(content: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each amendment's author and decider that hold a list of names (``{"named": [...]}``),
    with their amendment."""
    found = []
    for item in content.get("amendments") or []:
        for key in ("author", "decided_by"):
            person = item.get(key) if isinstance(item, dict) else None
            if isinstance(person, dict) and isinstance(person.get("named"), list):
                found.append((person, item))
    return found


def _rewrite(content: Mapping[str, Any], each: Callable[[list[Any]], list[Any]]) -> dict[str, Any]:
    out = copy.deepcopy(dict(content))
    for section in out.get("sections") or []:
        contributors = section.get("contributors")
        if isinstance(contributors, dict) and isinstance(contributors.get("named"), list):
            contributors["named"] = each(contributors["named"])
    attendance = out.get("attendance")
    if isinstance(attendance, dict) and isinstance(attendance.get("named"), list):
        attendance["named"] = each(attendance["named"])
    for person, _ in _amendment_people(out):
        person["named"] = each(person["named"])
    return out


def seal(content: Mapping[str, Any], commitments: Mapping[str, str]) -> dict[str, Any]:
    """``content`` whose lists of names hold participant ids, with each id replaced by its
    commitment (sorted: the order says nothing about the names)."""
    return _rewrite(content, lambda ids: sorted(commitments[i] for i in ids))


def reveal(
    content: Mapping[str, Any], version_format: int, names: Mapping[str, str | None]
) -> dict[str, Any]:
    """``content`` as a reader sees it: each commitment replaced by its name, or by
    :data:`ERASED` when the name was erased; names in alphabetical order, erased ones last.
    Format 1 content is returned as it is (its names are in it)."""
    if version_format < 2:
        return dict(content)

    def named(entries: list[Any]) -> list[str]:
        shown = [names.get(str(entry)) for entry in entries]
        kept = sorted(name for name in shown if name is not None)
        return kept + [ERASED] * (len(shown) - len(kept))

    return _rewrite(content, named)


def author(created_by: str, version_format: int, names: Mapping[str, str | None]) -> str:
    """Who froze the version, as a reader sees it."""
    if version_format < 2:
        return created_by
    return names.get(created_by) or ERASED


def named_places(content: Mapping[str, Any], entry: str) -> list[str]:
    """Where ``entry`` (a commitment, or a name in format 1) stands in ``content``."""
    return [where for where, named in _named_lists(content) if entry in named]
