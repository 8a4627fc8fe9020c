"""Why a ballot or a vote's setup is refused.

Every refusal is a :class:`ValueError` carrying:

* ``rule``: a short, stable code (``unknown_option``, ``over_budget``…), what clients and tests
  match on; the wording may change, the codes do not;
* ``str(error)``: an English message for logs, starting with the rule and naming the option or
  parameter at fault;
* ``message_fr``: the French wording participants read, typeset with non-breaking spaces.

Each rule has one constructor below, so each wording lives in exactly one place.
"""

from __future__ import annotations

__all__ = ["BallotError", "ParamsError", "VotingError"]

# What the facilitator sees when a parameter is wrong: its French name, not its key.
_PARAM_LABELS_FR = {
    "dots_per_voter": "nombre de gommettes par personne",
    "max_per_option": "nombre maximal de gommettes par option",
    "min": "note minimale",
    "max": "note maximale",
    "grades": "mentions",
    "params": "paramètres",
}


def _q(text: object) -> str:
    """Quote ``text`` the French way."""
    return f"« {text} »"


class VotingError(ValueError):
    """A refusal: ``rule`` (stable code), English ``str()``, French ``message_fr``."""

    def __init__(
        self, rule: str, message: str, message_fr: str, *, option: str | None = None
    ) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message_fr = message_fr
        self.option = option  # the option at fault, when there is one


class BallotError(VotingError):
    """A ballot that does not follow its vote's rules; nothing of it may be counted."""

    @classmethod
    def bad_shape(cls, shape: str) -> BallotError:
        return cls(
            "bad_shape",
            f"expected a ballot of the form {shape}",
            f"Bulletin mal formé : attendu {shape}",
        )

    @classmethod
    def not_an_option_id(cls, value: object) -> BallotError:
        return cls(
            "bad_shape",
            f"option ids are strings, got {value!r}",
            f"Bulletin mal formé : {_q(value)} n’est pas un identifiant d’option",
        )

    @classmethod
    def not_an_integer(cls, option: str, value: object) -> BallotError:
        return cls(
            "bad_shape",
            f"the value for {option!r} must be an integer, got {value!r}",
            f"Bulletin mal formé : la valeur pour {_q(option)} doit être un nombre entier",
            option=option,
        )

    @classmethod
    def unknown_option(cls, option: str) -> BallotError:
        return cls(
            "unknown_option",
            f"{option!r} is not one of the options",
            f"Option inconnue : {_q(option)}",
            option=option,
        )

    @classmethod
    def duplicate_in_ranking(cls, option: str) -> BallotError:
        return cls(
            "duplicate_in_ranking",
            f"{option!r} appears more than once in the ranking",
            f"{_q(option)} figure plusieurs fois dans le classement",
            option=option,
        )

    @classmethod
    def duplicate_approval(cls, option: str) -> BallotError:
        return cls(
            "duplicate_approval",
            f"{option!r} is approved more than once",
            f"{_q(option)} figure plusieurs fois parmi les options approuvées",
            option=option,
        )

    @classmethod
    def incomplete_ranking(cls, option: str) -> BallotError:
        return cls(
            "incomplete_ranking",
            f"{option!r} is missing from the ranking (a Borda ballot ranks every option)",
            f"Classement incomplet : il manque {_q(option)}",
            option=option,
        )

    @classmethod
    def negative_dots(cls, option: str, dots: int) -> BallotError:
        return cls(
            "negative_dots",
            f"{dots} dots on {option!r}; dots cannot be negative",
            f"Nombre de gommettes négatif sur {_q(option)} : {dots}",
            option=option,
        )

    @classmethod
    def over_cap(cls, option: str, dots: int, cap: int) -> BallotError:
        return cls(
            "over_cap",
            f"{dots} dots on {option!r}, at most {cap} per option",
            f"Trop de gommettes sur {_q(option)} : {dots} pour {cap} autorisées par option",
            option=option,
        )

    @classmethod
    def over_budget(cls, used: int, budget: int) -> BallotError:
        return cls(
            "over_budget",
            f"{used} dots used, {budget} allowed",
            f"Trop de gommettes : {used} pour {budget} autorisées",
        )

    @classmethod
    def score_out_of_range(cls, option: str, score: int, low: int, high: int) -> BallotError:
        return cls(
            "score_out_of_range",
            f"score {score} for {option!r} is outside {low}..{high}",
            f"Note hors barème pour {_q(option)} : {score} (de {low} à {high})",
            option=option,
        )

    @classmethod
    def missing_score(cls, option: str) -> BallotError:
        return cls(
            "missing_score",
            f"{option!r} has no score (every option must be scored)",
            f"Note manquante pour {_q(option)}",
            option=option,
        )

    @classmethod
    def grade_out_of_range(cls, option: str, grade: int, grades: int) -> BallotError:
        return cls(
            "grade_out_of_range",
            f"grade {grade} for {option!r} is outside 0..{grades - 1}",
            f"Mention inconnue pour {_q(option)} : {grade}",
            option=option,
        )

    @classmethod
    def missing_grade(cls, option: str) -> BallotError:
        return cls(
            "missing_grade",
            f"{option!r} has no grade (every option must be graded)",
            f"Mention manquante pour {_q(option)}",
            option=option,
        )


class ParamsError(VotingError):
    """A vote set up wrongly: unknown method, bad options or bad parameters."""

    def __init__(
        self,
        rule: str,
        message: str,
        message_fr: str,
        *,
        option: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(rule, message, message_fr, option=option)
        self.param = param  # the parameter at fault, when there is one

    @classmethod
    def unknown_method(cls, method: object) -> ParamsError:
        return cls(
            "unknown_method",
            f"{method!r} is not a voting method",
            f"Mode de scrutin inconnu : {_q(method)}",
        )

    @classmethod
    def no_options(cls) -> ParamsError:
        return cls("no_options", "a vote needs at least one option", "Le vote n’a aucune option")

    @classmethod
    def bad_option(cls, option: object) -> ParamsError:
        return cls(
            "bad_option",
            f"option ids are strings given in a list, got {option!r}",
            f"Identifiant d’option invalide : {_q(option)}",
        )

    @classmethod
    def duplicate_option(cls, option: str) -> ParamsError:
        return cls(
            "duplicate_option",
            f"{option!r} is given more than once",
            f"Option en double : {_q(option)}",
            option=option,
        )

    @classmethod
    def unknown_param(cls, param: str, method: str) -> ParamsError:
        return cls(
            "unknown_param",
            f"{param!r} is not a parameter of the {method} method",
            f"Paramètre inconnu pour ce mode de scrutin : {_q(param)}",
            param=param,
        )

    @classmethod
    def missing_param(cls, param: str) -> ParamsError:
        return cls(
            "missing_param",
            f"{param!r} is required",
            f"Paramètre manquant : {_PARAM_LABELS_FR.get(param, param)}",
            param=param,
        )

    @classmethod
    def bad_param(cls, param: str, value: object, expected: str, expected_fr: str) -> ParamsError:
        return cls(
            "bad_param",
            f"{param!r} must be {expected}, got {value!r}",
            f"Paramètre invalide ({_PARAM_LABELS_FR.get(param, param)}) : "
            f"{expected_fr} attendu, reçu {_q(value)}",
            param=param,
        )

    @classmethod
    def bad_score_range(cls, low: int, high: int) -> ParamsError:
        return cls(
            "bad_score_range",
            f"'min' ({low}) must be below 'max' ({high})",
            f"Barème invalide : la note minimale ({low}) doit être inférieure "
            f"à la note maximale ({high})",
            param="min",
        )

    @classmethod
    def not_incremental(cls, method: str, label_fr: str) -> ParamsError:
        return cls(
            "not_incremental",
            f"the {method} method cannot be tallied ballot by ballot; call tally() instead",
            f"Le décompte au fil des bulletins n’est pas possible pour ce mode de scrutin : "
            f"{label_fr}",
        )
