"""The seed's own workshop as plain data: what ``atelier demo`` loads.

Sommet Citoyen, saison 2, ateliers de faisabilité: the atelier « Évolution des instances de
démocratie locale », its séance 1 (12/12/2017, l'Aubette, 35 people) with its objectives,
déroulé and synthesis, its séance 2 (31/01/2018, Centre Administratif) with the agenda séance 1
set for it, and the two proposals under study, their sections filled from the seed.

Choices where the seed is silent, each said once here:

* kind ``projet`` (AP): the atelier is convened by the city within its Sommet Citoyen, with
  Eurométropole agents and facilitators, which is the seed's definition of an "atelier
  d'initiative institutionnelle, proposé par la ville", even though the proposals it studies
  came from residents;
* scope ``ville`` (AV): its subject is the city's bodies of local democracy as a whole, not one
  neighbourhood, and it meets in central venues;
* linked instances: all six, the subject of the atelier being precisely those bodies;
* pilot: the Eurométropole de Strasbourg (its agents present the atelier; no person is named);
* ``min_residents`` 5 and a short charter: the seed leaves both open for séance 2 ("Définir le
  nombre minimum d'habitants…", "Existence d'une charte pour les ateliers ?"); the charter text
  only restates principles the seed states;
* status ``active``: séance 1 took place. The demo has no participant records (the minutes
  name no one), so séance 1's attendance is its headcount alone;
* no start times: the minutes give none, and inventing one would print it on invitations.

Ids are fixed, so loading twice can be idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import msgspec

from domain.ateliers import Atelier, AtelierKind, AtelierStatus, Charter, Instance, Scope
from domain.sessions import AgendaItem, Mode, Session
from domain.templates import FICHE_ACTION, SYNTHESIS, SectionText, fill

__all__ = [
    "ATELIER_ID",
    "PROGRAMME",
    "PROPOSAL_QUARTIER_ID",
    "PROPOSAL_VILLE_ID",
    "SESSION_1_ID",
    "SESSION_2_ID",
    "SYNTHESIS_1_ID",
    "Demo",
    "DemoDocument",
    "demo",
]

PROGRAMME: Final = "Sommet Citoyen — saison 2 · Ateliers de faisabilité"
ATELIER_ID: Final = "demo-instances-democratie-locale"
SESSION_1_ID: Final = "demo-instances-seance-1"
SESSION_2_ID: Final = "demo-instances-seance-2"
PROPOSAL_QUARTIER_ID: Final = "demo-fiche-ateliers-de-quartier"
PROPOSAL_VILLE_ID: Final = "demo-fiche-ateliers-ville"
SYNTHESIS_1_ID: Final = "demo-synthese-seance-1"


class DemoDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A co-written document's starting content: a fiche-action or a séance's synthesis."""

    id: str
    atelier_id: str
    kind: str  # a template key: "fiche_action" or "synthese"
    title: str
    session_id: str | None
    sections: tuple[SectionText, ...]

    def text(self, key: str) -> str:
        """The text of section ``key`` (``KeyError`` if the document has no such section)."""
        for section in self.sections:
            if section.key == key:
                return section.text
        raise KeyError(key)


class Demo(msgspec.Struct, frozen=True, kw_only=True):
    programme: str
    atelier: Atelier
    sessions: tuple[Session, ...]
    documents: tuple[DemoDocument, ...]

    @property
    def proposals(self) -> tuple[DemoDocument, ...]:
        return tuple(d for d in self.documents if d.kind == FICHE_ACTION.key)


CHARTER_TEXT: Final = """\
Charte de l’atelier (proposition de démonstration, à débattre en séance 2)

1. L’atelier est ouvert à toute personne intéressée par son sujet, au-delà des seules instances.
2. Habitants, élus, agents et animatrices y co-construisent : chacun y a sa place et son rôle.
3. Les initiateurs d’une proposition la portent concrètement et la font découvrir.
4. L’atelier informe les instances de démocratie locale, qui relaient ses travaux.
5. Les propositions de l’atelier peuvent, sur décision politique, devenir projet : l’atelier
   suit leur évolution jusqu’à leur présentation en conseil municipal."""

ATELIER: Final = Atelier(
    id=ATELIER_ID,
    title="Évolution des instances de démocratie locale",
    subject=(
        "Étude de faisabilité (« le quoi » et « le comment ») des propositions faites sur la "
        "thématique « évolution des instances de démocratie locale », à partir de la "
        "fiche-action produite lors du précédent atelier."
    ),
    kind=AtelierKind.PROJET,
    scope=Scope.VILLE,
    instances=(Instance.CQ, Instance.CC, Instance.CRE, Instance.CDJ, Instance.CD, Instance.ATP),
    pilots=("Eurométropole de Strasbourg",),
    charter=Charter(1, CHARTER_TEXT),
    min_residents=5,
    status=AtelierStatus.ACTIVE,
)

PROPOSAL_QUARTIER_TITLE: Final = "Créer des ateliers de quartier au service des projets"
PROPOSAL_VILLE_TITLE: Final = "Créer des ateliers ville au service des grandes politiques publiques"

NEXT_AGENDA: Final = (
    "Revoir les noms (atelier d’initiative citoyenne / atelier de projet)",
    "Se saisir d’un cas pratique, pour étudier le déclenchement, le déroulement et la mise en "
    "œuvre d’un projet ; visualiser acteurs et instances ; définir les modalités de "
    "collaboration et de co-construction ; identifier les limites, risques et aléas",
    "Qui pilote les ateliers d’initiatives citoyennes ?",
    "Définir le nombre minimum d’habitants requis pour constituer un atelier",
    "Quelle porte d’entrée des ateliers ? (CQ ?)",
    "Existence d’une charte pour les ateliers ?",
    "Comment inviter les habitants à participer ?",
    "Préciser des propositions de solutions pour faire participer plus de monde : réseaux "
    "sociaux, boîtage, plateforme numérique ; les ateliers doivent-ils disposer d’une "
    "image/logo pour être visibles par les habitants ?",
    "L’atelier de quartier ou l’atelier de ville deviennent-ils une dynamique de travail du "
    "Conseil de Quartier et des citoyens ?",
)

SESSION_1: Final = Session(
    id=SESSION_1_ID,
    atelier_id=ATELIER_ID,
    number=1,
    date=dt.date(2017, 12, 12),
    mode=Mode.PRESENTIEL,
    place="L’Aubette",
    objectives=(
        "Étude de faisabilité (« le quoi » et « le comment ») des propositions faites sur la "
        "thématique « évolution des instances de démocratie locale » à partir de la "
        "fiche-action produite lors du précédent atelier",
    ),
    # The seed's « Objectifs de la séance / ordre du jour » lists the two proposals under study.
    agenda=(AgendaItem(PROPOSAL_QUARTIER_TITLE), AgendaItem(PROPOSAL_VILLE_TITLE)),
    method_steps=(
        "Rappel de la démarche du Sommet Citoyen et des objectifs des ateliers de faisabilité",
        "Présentation des différents rôles (habitants, élus, agents, animatrices) au sein de "
        "l’atelier",
        "Présentation des agents de l’Eurométropole",
        "Introduction et présentation du cadre de travail",
        "Lecture des propositions issues de la fiche action",
        "Questionnements et échanges sur les processus souhaités de mise en place en regard de "
        "l’existant et des contraintes",
        "Liste des points à traiter lors du second volet en janvier 2018",
    ),
    headcount=35,
    next_agenda=NEXT_AGENDA,
)

SESSION_2: Final = Session(
    id=SESSION_2_ID,
    atelier_id=ATELIER_ID,
    number=2,
    date=dt.date(2018, 1, 31),
    mode=Mode.PRESENTIEL,
    place="Centre Administratif",
    objectives=(
        "Poursuivre la réflexion, notamment autour des questions soulevées lors de la séance 1",
    ),
    # « Ordre du jour de la séance suivante », as séance 1 set it.
    agenda=tuple(AgendaItem(item) for item in NEXT_AGENDA),
)

SYNTHESIS_1: Final = DemoDocument(
    id=SYNTHESIS_1_ID,
    atelier_id=ATELIER_ID,
    kind=SYNTHESIS.key,
    title="Synthèse des échanges — séance 1",
    session_id=SESSION_1_ID,
    sections=fill(
        SYNTHESIS,
        {
            "remarques_liminaires": """\
- Dans le document, il manque l’idée de l’atelier de co-construction : un projet venant des \
citoyens ou des élus, qui se réunissent et participent à la co-construction du projet.
- Une proposition émane des habitants ou des instances ; un projet émane des élu·es.
- Les initiateurs d’un projet ou d’une proposition doivent les porter concrètement et les \
faire découvrir.
- Certains affirment que les Conseils de quartier (CQ), dont les pouvoirs demeurent limités, \
sont utiles, notamment à la cohésion sociale.""",
            "clarifications": """\
Les instances et les ateliers existants :
- ATP, Ateliers territoriaux de partenaires : très importants, portés par les chargés de \
mission de quartier (CMQ) des directions de territoire ; réseaux de professionnels dans les \
quartiers, incluant les agents et tous les gens engagés dans un projet.
- CQ, Conseils de quartier : instance obligatoire pour les villes de plus de 80 000 habitants, \
membres tirés au sort sur les listes électorales ; facilitateur et mémoire des projets, \
instance de dialogue entre la ville et les habitants.
- CC, Conseil citoyen : issu de la loi de la politique de la ville, pour les quartiers \
prioritaires (QPV).
- CRE, Conseil des résidents étrangers : donne de la visibilité aux résidents étrangers et \
échange avec les services de la ville sur des politiques publiques.
- CDJ, Conseil des jeunes : 10-16 ans, projets pour les jeunes.
- CD, Conseil de développement : interne à l’Eurométropole.
- Ateliers de projets : initiés par le Maire et/ou les élus, surtout sur l’urbanisme ; \
ateliers de concertation : sur un projet bien distinct.""",
            "appreciations_propositions": """\
- Beaucoup d’instances participent à la démocratie locale, mais le manque d’information et de \
communication entre elles est avéré ; leurs fonctionnements et le manque de cohésion posent \
question.
- Ce qui se joue à l’échelle des quartiers et à celle de la ville doit être clarifié ; aborder \
la réflexion sous l’angle du « projet » plutôt que de « l’instance » est peut-être une solution.
- Un atelier de quartier (AQ) ou un atelier ville (AV) : la participation du plus grand nombre \
de personnes intéressées par un sujet ou un projet, hors des seuls CQ.
- Consensus sur l’émergence de groupes de citoyens « ponctuels » qui définissent, étudient et \
suivent des projets jusqu’à leur présentation en conseil municipal.
- Noms proposés : ateliers d’initiatives citoyennes (AIC), à partir d’une idée portée par un \
collectif d’habitants, sans inscription budgétaire de la ville ; ateliers de projets (AP), \
d’initiative institutionnelle, proposés, financés et pilotés par la ville avec les habitants. \
Les propositions des AIC peuvent, sur décision politique, devenir projet.
- Le champ d’un AQ ou d’un AV dépasse l’urbanisme ; la ville met à disposition les moyens de \
fonctionnement ; le CQ, mémoire des actions, facilite, contribue à prioriser et propose des \
sujets.""",
            "leviers": """\
- Mobiliser les ressources existantes sur les quartiers.
- Les élu·es doivent favoriser la co-construction.
- Placer le cadre pour que les citoyens puissent se l’approprier.
- Un logo par atelier, une image pour faire parler du projet.
- Un lien entre les instances, qui doivent être relais d’informations.""",
            "questions": "Comment gérer cette nouvelle dimension d’implication des habitants ?",
            "points_a_traiter": "\n".join(f"- {item}" for item in NEXT_AGENDA),
        },
    ),
)

_CALENDRIER = (
    "Second volet de l’étude de faisabilité le 31/01/2018 au Centre Administratif, autour d’un "
    "cas pratique : déclenchement, déroulement et mise en œuvre d’un projet."
)

PROPOSAL_QUARTIER: Final = DemoDocument(
    id=PROPOSAL_QUARTIER_ID,
    atelier_id=ATELIER_ID,
    kind=FICHE_ACTION.key,
    title=PROPOSAL_QUARTIER_TITLE,
    session_id=SESSION_1_ID,
    sections=fill(
        FICHE_ACTION,
        {
            "intitule": PROPOSAL_QUARTIER_TITLE,
            "constat": (
                "Le manque de visibilité des Conseils de quartier et leur inadaptation aux "
                "besoins des habitants ; la nécessité d’offrir aux habitants les opportunités de "
                "s’impliquer. Beaucoup d’instances, mais peu d’information et de communication "
                "entre elles."
            ),
            "proposition": (
                "Des ateliers de quartier (AQ) réunissant le plus grand nombre de personnes "
                "intéressées par un sujet ou un projet, pour la réflexion et la "
                "co-construction, hors des seuls CQ. Deux formes : les ateliers d’initiatives "
                "citoyennes (AIC), à partir d’une idée portée par un collectif d’habitants, et "
                "les ateliers de projets (AP), proposés par la ville."
            ),
            "acteurs_instances": (
                "Habitants, qui peuvent être à l’initiative des sujets et jouer un rôle dans la "
                "mobilisation ; élus ; agents ; animatrices. Le Conseil de quartier, mémoire des "
                "actions et des pratiques, facilite, contribue à la priorisation des sujets et "
                "doit être force de proposition. Les ATP, réseaux de professionnels dans les "
                "quartiers."
            ),
            "modalites_coconstruction": (
                "Les initiateurs d’un projet ou d’une proposition le portent concrètement et le "
                "font découvrir. Les élus favorisent la co-construction. Placer le cadre pour "
                "que les citoyens puissent se l’approprier."
            ),
            "moyens": (
                "Les moyens nécessaires au fonctionnement sont mis à disposition par la ville. "
                "Les AIC ne relèvent pas d’une inscription budgétaire de la ville ; les AP "
                "s’inscrivent dans un financement de la collectivité. Mobiliser les ressources "
                "existantes sur les quartiers ; un logo par atelier."
            ),
            "calendrier": _CALENDRIER,
            "limites_risques": (
                "À identifier en séance 2. Questions ouvertes : qui pilote les AIC ? Quel "
                "nombre minimum d’habitants pour constituer un atelier ? Quelle porte d’entrée "
                "(CQ ?) ? Une charte ?"
            ),
        },
    ),
)

PROPOSAL_VILLE: Final = DemoDocument(
    id=PROPOSAL_VILLE_ID,
    atelier_id=ATELIER_ID,
    kind=FICHE_ACTION.key,
    title=PROPOSAL_VILLE_TITLE,
    session_id=SESSION_1_ID,
    sections=fill(
        FICHE_ACTION,
        {
            "intitule": PROPOSAL_VILLE_TITLE,
            "constat": (
                "Les débats font apparaître des compréhensions différentes de la démocratie et "
                "des instances qui la servent ; ce qui se joue à l’échelle de la ville doit être "
                "clarifié. Les ateliers de projets existants, initiés par le Maire et/ou les "
                "élus, portent surtout sur l’urbanisme."
            ),
            "proposition": (
                "Des ateliers ville (AV) qui abordent la réflexion sous l’angle du « projet » "
                "plutôt que de « l’instance », sur un champ qui dépasse l’urbanisme au profit "
                "d’autres politiques publiques. Leurs propositions peuvent, sur décision "
                "politique, devenir projet."
            ),
            "acteurs_instances": (
                "Habitants, élus, agents de l’Eurométropole, animatrices. Les instances (CQ, "
                "CC, CRE, CDJ, CD, ATP), qui doivent être liées entre elles et relais "
                "d’informations. Le conseil municipal, où les projets sont présentés."
            ),
            "modalites_coconstruction": (
                "Des groupes de citoyens « ponctuels » qui définissent, étudient et suivent "
                "l’évolution de projets jusqu’à leur présentation en conseil municipal "
                "(hypothèse recueillant consensus). Les AP sont pilotés par la ville en "
                "collaboration avec les habitants."
            ),
            "moyens": (
                "Moyens de fonctionnement mis à disposition par la ville ; les AP s’inscrivent "
                "dans un financement de la collectivité. Pour faire participer plus de monde : "
                "réseaux sociaux, boîtage, plateforme numérique, une image ou un logo."
            ),
            "calendrier": _CALENDRIER,
            "limites_risques": (
                "À identifier en séance 2. Question à étudier : comment gérer cette nouvelle "
                "dimension d’implication des habitants ?"
            ),
        },
    ),
)


def demo() -> Demo:
    """The seed's workshop: one atelier, two séances, its synthesis and two proposals."""
    return Demo(
        programme=PROGRAMME,
        atelier=ATELIER,
        sessions=(SESSION_1, SESSION_2),
        documents=(PROPOSAL_QUARTIER, PROPOSAL_VILLE, SYNTHESIS_1),
    )
