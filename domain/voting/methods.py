"""The voting methods Atelier counts, and what participants call them."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Method"]


class Method(StrEnum):
    """A voting method. Its value is the identifier used in stored votes and in the API."""

    PLURALITY = "plurality"
    APPROVAL = "approval"
    DOTS = "dots"
    SCORE = "score"
    BORDA = "borda"
    IRV = "irv"
    SCHULZE = "schulze"
    MAJORITY_JUDGMENT = "majority_judgment"

    @property
    def label_fr(self) -> str:
        """The method's name as participants read it."""
        return _LABELS_FR[self]

    @property
    def incremental(self) -> bool:
        """Whether a ballot's effect on the result is fixed, so a running tally can add it.

        In IRV a ballot's weight moves between rounds, and Schulze's widest paths depend on the
        whole pairwise matrix: both are recounted from all ballots.
        """
        return self not in (Method.IRV, Method.SCHULZE)


_LABELS_FR = {
    Method.PLURALITY: "Vote à un choix",
    Method.APPROVAL: "Vote par approbation",
    Method.DOTS: "Vote par gommettes",
    Method.SCORE: "Vote par notes",
    Method.BORDA: "Méthode de Borda",
    Method.IRV: "Vote alternatif",
    Method.SCHULZE: "Méthode de Schulze",
    Method.MAJORITY_JUDGMENT: "Jugement majoritaire",
}
