"""The public pages as HTML, built from plain data: the directory of ateliers, an atelier's
page, an instance's page, and a « not found » page.

Every value that comes from the database or the request passes through :func:`e`
(``html.escape``, quotes included) before it is written: a title typed as ``<script>`` reads
as those characters. The pages load no script at all and one stylesheet
(``/decouvrir/style.css``); they read the same with JavaScript off, on a phone and when
printed. French first; English with ``?lang=en`` or when the browser asks for it first.

What they never show: a participant's name, a ballot, who came to a séance, a join code, a
remote séance's link, who approved an atelier or recorded a decision.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote, urlencode

from domain.ateliers import AtelierKind, Instance, Scope
from domain.proposals import ProposalStatus
from domain.report import french_date, french_time
from domain.sessions import Mode
from server.public import subscribe_form
from server.public.data import Directory, Filters, PublicAtelier, PublicSeance, Stage
from server.public.search import MAX_QUERY, Hit, terms

__all__ = [
    "ROOT",
    "Lang",
    "Page",
    "atelier_page",
    "directory_page",
    "e",
    "instance_page",
    "not_found_page",
    "search_page",
]

Lang = Literal["fr", "en"]
ROOT: Final = "/decouvrir"
DIRECTORY: Final = f"{ROOT}/ateliers"
SEARCH: Final = f"{ROOT}/recherche"


def version_path(proposal_id: str, number: int) -> str:
    """A frozen version's public page (``server.public.versions``)."""
    return f"{ROOT}/propositions/{quote(proposal_id)}/versions/{number}"


def e(value: object) -> str:
    """``value`` as text in HTML (content or a quoted attribute)."""
    return html.escape(str(value), quote=True)


# --- texts -----------------------------------------------------------------------------------

_TEXTS: Final[Mapping[str, tuple[str, str]]] = {
    "skip": ("Aller au contenu", "Skip to content"),
    "site": ("Atelier", "Atelier"),
    "nav": ("Navigation publique", "Public navigation"),
    "nav_ateliers": ("Les ateliers", "Ateliers"),
    "nav_subjects": ("Les sujets", "Subjects"),
    "nav_projects": ("Les projets", "Projects"),
    "nav_join": ("Rejoindre une séance", "Join a séance"),
    "other_lang": ("English", "Français"),
    "footer": (
        "Atelier : des ateliers où habitant·es, élu·es et agents construisent ensemble des "
        "propositions pour la ville.",
        "Atelier: workshops where residents, elected officials and the city’s agents build "
        "proposals for the city together.",
    ),
    "dir_title": ("Découvrir les ateliers", "Discover the ateliers"),
    "dir_lead": (
        "Les ateliers réunissent habitant·es, élu·es et agents de la ville autour d’un sujet "
        "ou d’un projet. Trouvez-en un près de chez vous et venez à une séance : aucun compte "
        "n’est nécessaire.",
        "Ateliers bring residents, elected officials and the city’s agents together around a "
        "subject or a project. Find one near you and come to a séance: no account needed.",
    ),
    "filters": ("Filtrer les ateliers", "Filter the ateliers"),
    "f_where": ("Quartier", "Neighbourhood"),
    "f_where_all": ("Tous les quartiers et la ville", "All neighbourhoods and the city"),
    "f_where_city": ("Toute la ville (ateliers ville)", "The whole city (city-wide ateliers)"),
    "f_instance": ("Instance", "Body"),
    "f_instance_all": ("Toutes les instances", "All bodies"),
    "f_kind": ("Type d’atelier", "Kind of atelier"),
    "f_kind_all": ("Tous les types", "All kinds"),
    "f_stage": ("État", "State"),
    "f_stage_all": ("Tous les états", "All states"),
    "f_submit": ("Filtrer", "Filter"),
    "f_reset": ("Tout afficher", "Show all"),
    "count_one": ("1 atelier", "1 atelier"),
    "count_many": ("{n} ateliers", "{n} ateliers"),
    "count_none": (
        "Aucun atelier ne correspond à ces filtres.",
        "No atelier matches these filters.",
    ),
    "next": ("Prochaine séance : {when}", "Next séance: {when}"),
    "next_none": ("Pas de séance prévue pour l’instant.", "No séance planned for now."),
    "idea_title": ("Une idée pour votre quartier ?", "An idea for your neighbourhood?"),
    "idea_text": (
        "Réunissez des habitant·es autour d’elle : lancez un atelier d’initiative citoyenne. "
        "Il paraît ici une fois approuvé par la Ville ou constitué.",
        "Gather residents around it: start a citizens’ initiative atelier. It appears here "
        "once the city approves it or enough residents have joined.",
    ),
    "idea_link": (
        "Lancer un atelier d’initiative citoyenne",
        "Start a citizens’ initiative atelier",
    ),
    "idea_subject": (
        "Ou proposez un sujet : soutenu par assez d’habitant·es, il devient un atelier.",
        "Or propose a subject: supported by enough residents, it becomes an atelier.",
    ),
    "idea_subject_link": ("Proposer un sujet", "Propose a subject"),
    "instances_title": ("Les instances de la démocratie locale", "The bodies of local democracy"),
    "instances_lead": (
        "Porte d’entrée des ateliers, relais d’information et mémoire des actions : chaque "
        "instance a sa page, ses ateliers et ses calendriers.",
        "The ateliers’ way in, relays of information and memory of what was done: each body "
        "has its page, its ateliers and its calendars.",
    ),
    "stage_en_constitution": ("en constitution", "being formed"),
    "stage_actif": ("actif", "active"),
    # A closed atelier (domain: ``close``), as its facilitators and the join codes say it.
    "stage_termine": ("clos", "closed"),
    "kind_initiative_citoyenne": ("Atelier d’initiative citoyenne", "Citizens’ initiative atelier"),
    "kind_projet": ("Atelier de projet", "City project atelier"),
    "scope_ville": ("atelier ville", "city-wide"),
    "scope_quartier": ("quartier {name}", "{name} neighbourhood"),
    "logo_alt": ("Logo de l’atelier", "The atelier’s logo"),
    # the atelier's page
    "facts": ("En bref", "At a glance"),
    "fact_kind": ("Type", "Kind"),
    "fact_scope": ("Échelle", "Scale"),
    "fact_stage": ("État", "State"),
    "fact_pilots": ("Pilotage", "Led by"),
    "fact_financing": ("Financement", "Funding"),
    "fact_instances": ("Instances", "Bodies"),
    "subject": ("Le sujet", "The subject"),
    "take_part": ("Participer", "Take part"),
    "take_part_text": (
        "Venez à une séance : le code pour rejoindre l’atelier est donné sur place, à "
        "l’écran ou sur l’invitation. Pas de compte, pas d’inscription.",
        "Come to a séance: the code to join the atelier is given there, on the screen or on "
        "the invitation. No account, no sign-up.",
    ),
    "take_part_remote": (
        "Pour une séance à distance, le lien de connexion et le code sont donnés par l’équipe "
        "d’animation de l’atelier.",
        "For a remote séance, the atelier’s facilitators give the link and the code.",
    ),
    "constitution": (
        "{n} / {min} habitant·es ont rejoint l’atelier et accepté sa charte : il en faut "
        "{min} pour le constituer.",
        "{n} / {min} residents have joined the atelier and accepted its charter: {min} are "
        "needed to form it.",
    ),
    "constituted": (
        "Atelier constitué : {min} habitant·es au moins l’ont rejoint.",
        "The atelier is formed: at least {min} residents joined it.",
    ),
    "closed_line": (
        "Cet atelier est clos depuis le {date} : il n’accueille plus de participant·es. Ce "
        "qu’il a écrit reste consultable sur cette page.",
        "This atelier has been closed since {date}: it no longer takes participants. What it "
        "wrote stays on this page.",
    ),
    "coming": ("Séances à venir", "Coming séances"),
    "coming_none": ("Aucune séance n’est prévue pour l’instant.", "No séance is planned yet."),
    "past": ("Séances passées", "Past séances"),
    "seance": ("Séance {n}", "Séance {n}"),
    "cancelled": ("annulée", "cancelled"),
    "cancelled_line": ("Cette séance est annulée.", "This séance is cancelled."),
    "cancel_reason": ("Motif : {reason}", "Reason: {reason}"),
    "headcount": ("{n} personnes présentes", "{n} people attended"),
    "headcount_one": ("1 personne présente", "1 person attended"),
    "objectives": ("Objectifs", "Objectives"),
    "agenda": ("Ordre du jour", "Agenda"),
    "remote": ("à distance", "remote"),
    "proposals": ("Propositions publiées", "Published proposals"),
    "proposals_none": (
        "Aucune proposition n’est encore publiée : elles paraissent ici une fois figées en séance.",
        "No proposal is published yet: they appear here once frozen in a séance.",
    ),
    "kind_fiche_action": ("fiche-action", "action sheet"),
    "kind_synthese": ("synthèse", "synthesis"),
    "status": ("Où elle en est : {status}", "Where it stands: {status}"),
    "read_version": (
        "Lire le texte figé (version {n}) et vérifier son empreinte",
        "Read the frozen text (version {n}) and check its fingerprint",
    ),
    "decision": ("Décision du conseil municipal : {outcome}", "City council’s decision: {outcome}"),
    "decided_on": (" le {date}", " on {date}"),
    "deliberation": ("Délibération : {ref}", "Deliberation: {ref}"),
    "budget_line": ("Ligne budgétaire : {line}", "Budget line: {line}"),
    "official": ("Réponse officielle", "Official answer"),
    "milestones": ("Mise en œuvre", "Implementation"),
    "planned": ("prévu", "planned"),
    "project_link": ("Suivre le projet : état, jalons, parcours", "Follow the project"),
    "waiting_transmise": (
        "Transmise au conseil municipal : sa décision et sa réponse paraîtront ici.",
        "Handed to the city council: its decision and answer will appear here.",
    ),
    "waiting_en_instruction": (
        "En instruction par les services de la ville.",
        "Under review by the city’s services.",
    ),
    "charter": ("La charte de l’atelier", "The atelier’s charter"),
    "charter_read": ("Lire la charte", "Read the charter"),
    "follow": ("Suivre l’atelier", "Follow the atelier"),
    "follow_instance": ("Suivre l’instance", "Follow this body"),
    "subscribe": ("S’abonner au calendrier", "Subscribe to the calendar"),
    "subscribe_hint": (
        "Les séances dans votre agenda (format iCalendar) : ajoutez ce lien comme calendrier "
        "par URL pour suivre les changements.",
        "The séances in your calendar (iCalendar): add this link as a calendar by URL to "
        "follow changes.",
    ),
    "activity": ("Fil d’activité (Atom)", "Activity feed (Atom)"),
    "handoffs": (
        "Propositions transmises et décisions (Atom)",
        "Proposals handed over and decisions (Atom)",
    ),
    "back": ("Tous les ateliers", "All ateliers"),
    # the instance's page
    "instance_ateliers": ("Ses ateliers", "Its ateliers"),
    "instance_ateliers_none": (
        "Aucun atelier public n’est encore relié à cette instance.",
        "No public atelier is linked to this body yet.",
    ),
    "other_instances": ("Les autres instances", "The other bodies"),
    # search
    "search": ("Rechercher", "Search"),
    "search_label": (
        "Rechercher dans les ateliers, propositions, sujets et projets",
        "Search the ateliers, proposals, subjects and projects",
    ),
    "search_kind": ("Type", "Kind"),
    "search_kind_all": ("Tous les types", "All kinds"),
    "search_kind_atelier": ("Ateliers", "Ateliers"),
    "search_kind_proposal": ("Propositions", "Proposals"),
    "search_kind_subject": ("Sujets", "Subjects"),
    "search_kind_project": ("Projets", "Projects"),
    "search_title": ("Recherche", "Search"),
    "search_title_q": ("Recherche : « {q} »", "Search: “{q}”"),
    "search_lead": (
        "Les ateliers publics, leurs propositions publiées, les sujets et les projets. Les "
        "accents et les pluriels ne comptent pas : « democratie » trouve « démocratie ».",
        "The public ateliers, their published proposals, the subjects and the projects, in "
        "French. Accents and plurals do not matter: « democratie » finds « démocratie ».",
    ),
    "search_none": (
        "Rien de public ne contient tous ces mots.",
        "Nothing public holds all these words.",
    ),
    "search_empty": (
        "Tapez un ou plusieurs mots, par exemple « quartier » ou « vélo ».",
        "Type one or more words, for instance « quartier » or « vélo ».",
    ),
    "search_one": ("1 résultat", "1 result"),
    "search_many": ("{n} résultats", "{n} results"),
    "hit_atelier": ("Atelier", "Atelier"),
    "hit_proposal": ("Proposition", "Proposal"),
    "hit_subject": ("Sujet", "Subject"),
    "hit_project": ("Projet", "Project"),
    "hit_of": ("de l’atelier « {title} »", "of the atelier “{title}”"),
    # not found
    "not_found": ("Page introuvable", "Page not found"),
    "not_found_atelier": (
        "Cet atelier n’existe pas ou n’est pas public : un atelier d’initiative citoyenne "
        "paraît une fois approuvé par la Ville ou constitué.",
        "This atelier does not exist or is not public: a citizens’ initiative atelier appears "
        "once the city approves it or it is formed.",
    ),
    "not_found_instance": (
        "Il n’y a pas d’instance de ce nom. Les instances : CQ, CC, CRE, CDJ, CD, ATP.",
        "There is no body of that name. The bodies: CQ, CC, CRE, CDJ, CD, ATP.",
    ),
}

_MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS_EN: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def t(lang: Lang, key: str, **params: object) -> str:
    """The text ``key`` in ``lang``, ``{name}`` filled (not escaped: pass it through e())."""
    text = _TEXTS[key][0 if lang == "fr" else 1]
    return text.format(**params) if params else text


def _date(lang: Lang, day: dt.date) -> str:
    if lang == "fr":
        return french_date(day.isoformat())
    return f"{_DAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _time(lang: Lang, moment: dt.time) -> str:
    return french_time(moment.isoformat()) if lang == "fr" else moment.strftime("%H:%M")


def when(lang: Lang, seance: PublicSeance) -> str:
    """« mercredi 31 janvier 2018 à 18 h – 20 h » / « Wednesday 31 January 2018, 18:00–20:00 »:
    the city's wall-clock, as the séance was set."""
    s = seance.session
    text = _date(lang, s.date)
    if s.start_time is not None:
        text += (" à " if lang == "fr" else ", ") + _time(lang, s.start_time)
        if s.end_time is not None:
            text += (" – " if lang == "fr" else "–") + _time(lang, s.end_time)
    return text


def _where(lang: Lang, seance: PublicSeance) -> str:
    s = seance.session
    if s.place is None:
        return t(lang, "remote")
    return s.place if s.mode is Mode.PRESENTIEL else f"{s.place} ({_mode(lang, s.mode)})"


def _mode(lang: Lang, mode: Mode) -> str:
    return mode.label_fr if lang == "fr" else mode.label_en


def _scope(lang: Lang, atelier: PublicAtelier) -> str:
    if atelier.scope is Scope.VILLE or atelier.neighbourhood is None:
        return t(lang, "scope_ville")
    return t(lang, "scope_quartier", name=atelier.neighbourhood)


def _instance_name(lang: Lang, instance: Instance) -> str:
    return instance.name_fr if lang == "fr" else instance.name_en


def _summary(text: str, limit: int = 200) -> str:
    """A description for search engines and link previews: one line, cut at a word."""
    line = re.sub(r"\s+", " ", text).strip()
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + "…"


# --- the frame of every page -----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Where a page is and how it names its language: ``explicit`` when ``?lang=`` chose it,
    so that its links keep that choice."""

    lang: Lang
    path: str
    query: Mapping[str, str]
    base_url: str
    explicit: bool
    stylesheet: str
    #: E-mail subscriptions are offered (an SMTP host is set: ``server.public.subscribe_form``).
    mail: bool = False

    def href(self, path: str, **query: str | None) -> str:
        """A link to ``path`` on this site, keeping the chosen language."""
        params = {k: v for k, v in query.items() if v}
        if self.explicit:
            params["lang"] = self.lang
        return path + ("?" + urlencode(params) if params else "")

    def absolute(self, path: str) -> str:
        return self.base_url + path

    def switched(self) -> str:
        """This page in the other language (its filters kept)."""
        params = {k: v for k, v in self.query.items() if k != "lang"}
        params["lang"] = "en" if self.lang == "fr" else "fr"
        return self.path + "?" + urlencode(params)


def _layout(
    page: Page,
    *,
    title: str,
    description: str,
    body: str,
    image: str | None = None,
    feeds: Sequence[tuple[str, str]] = (),
) -> str:
    canonical = page.absolute(page.href(page.path, **{k: v for k, v in page.query.items()}))
    other: Lang = "en" if page.lang == "fr" else "fr"
    meta = [
        ("og:type", "website"),
        ("og:site_name", t(page.lang, "site")),
        ("og:title", title),
        ("og:description", description),
        ("og:url", canonical),
        ("og:locale", "fr_FR" if page.lang == "fr" else "en_GB"),
    ]
    if image:
        meta.append(("og:image", page.absolute(image)))
        meta.append(("og:image:alt", t(page.lang, "logo_alt")))
    twitter = [
        ("twitter:card", "summary"),
        ("twitter:title", title),
        ("twitter:description", description),
    ]
    if image:
        twitter.append(("twitter:image", page.absolute(image)))
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        '<meta name="theme-color" content="#1f3a5f">',
        f"<title>{e(title)} — {e(t(page.lang, 'site'))}</title>",
        f'<meta name="description" content="{e(description)}">',
        f'<link rel="canonical" href="{e(canonical)}">',
        f'<link rel="alternate" hreflang="{other}" href="{e(page.absolute(page.switched()))}">',
        f'<link rel="stylesheet" href="{e(page.stylesheet)}">',
        '<link rel="icon" href="/static/icon.svg" type="image/svg+xml">',
        *(f'<meta property="{e(k)}" content="{e(v)}">' for k, v in meta),
        *(f'<meta name="{e(k)}" content="{e(v)}">' for k, v in twitter),
        *(
            f'<link rel="alternate" type="application/atom+xml" title="{e(name)}" href="{e(href)}">'
            for name, href in feeds
        ),
    ]
    lang = page.lang
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n' + "\n".join(head) + "\n</head>\n<body>\n"
        f'<a class="skip-link" href="#main">{e(t(lang, "skip"))}</a>\n'
        '<header class="top">'
        f'<a class="brand" href="{e(page.href("/"))}">{e(t(lang, "site"))}</a>'
        f'<nav aria-label="{e(t(lang, "nav"))}"><ul>'
        f'<li><a href="{e(page.href(DIRECTORY))}">{e(t(lang, "nav_ateliers"))}</a></li>'
        f'<li><a href="{e(page.href(f"{ROOT}/sujets"))}">{e(t(lang, "nav_subjects"))}</a></li>'
        f'<li><a href="{e(page.href(f"{ROOT}/projets"))}">{e(t(lang, "nav_projects"))}</a></li>'
        f'<li><a href="{e(page.href("/"))}">{e(t(lang, "nav_join"))}</a></li>'
        f'<li><a href="{e(page.switched())}" lang="{other}" hreflang="{other}">'
        f"{e(t(lang, 'other_lang'))}</a></li>"
        "</ul></nav></header>\n"
        f'<main id="main">\n{body}\n</main>\n'
        f'<footer class="site"><p>{e(t(lang, "footer"))}</p></footer>\n'
        "</body>\n</html>\n"
    )


# --- pieces ----------------------------------------------------------------------------------


def _stage_badge(lang: Lang, stage: Stage) -> str:
    return f'<span class="stage stage-{stage.value}">{e(t(lang, "stage_" + stage.value))}</span>'


def _kind(lang: Lang, kind: AtelierKind) -> str:
    return t(lang, "kind_" + kind.value)


def _card(page: Page, atelier: PublicAtelier, level: int = 3) -> str:
    lang = page.lang
    link = page.href(f"{DIRECTORY}/{quote(atelier.id)}")
    logo = (
        f'<img class="logo" src="/api/ateliers/{e(quote(atelier.id))}/image" alt="" '
        'width="96" height="96" loading="lazy">'
        if atelier.has_image
        else ""
    )
    seance = atelier.next_seance
    next_line = (
        t(lang, "next", when=f"{when(lang, seance)}, {_where(lang, seance)}")
        if seance
        else t(lang, "next_none")
    )
    codes = " · ".join(
        f'<abbr title="{e(_instance_name(lang, i))}">{e(i.value)}</abbr>' for i in atelier.instances
    )
    return (
        f'<li class="atelier-card">{logo}<div>'
        f'<h{level}><a href="{e(link)}">{e(atelier.title)}</a></h{level}>'
        f'<p class="tag">{e(atelier.kind.abbreviation)} · {e(_kind(lang, atelier.kind))} · '
        f"{e(_scope(lang, atelier))} {_stage_badge(lang, atelier.stage)}</p>"
        f'<p class="next">{e(next_line)}</p>'
        + (f'<p class="instances">{codes}</p>' if codes else "")
        + "</div></li>"
    )


def _cards(page: Page, ateliers: Sequence[PublicAtelier], level: int = 3) -> str:
    return '<ul class="ateliers">' + "".join(_card(page, a, level) for a in ateliers) + "</ul>"


def _select(name: str, label: str, options: Iterable[tuple[str, str]], chosen: str) -> str:
    items = "".join(
        f'<option value="{e(value)}"{" selected" if value == chosen else ""}>{e(text)}</option>'
        for value, text in options
    )
    return (
        f'<div class="field"><label for="f-{name}">{e(label)}</label>'
        f'<select id="f-{name}" name="{name}">{items}</select></div>'
    )


def _instances_list(page: Page, skip: Instance | None = None) -> str:
    lang = page.lang
    return (
        '<ul class="links">'
        + "".join(
            f'<li><a href="{e(page.href(f"{ROOT}/instances/{i.value}"))}">'
            f"{e(_instance_name(lang, i))} ({e(i.value)})</a></li>"
            for i in Instance
            if i is not skip
        )
        + "</ul>"
    )


# --- search ----------------------------------------------------------------------------------


def _search_form(page: Page, query: str = "", kind: str | None = None) -> str:
    """The search form; with ``kind`` (the search page's, ``""`` for any), a choice of kind."""
    lang = page.lang
    choice = ""
    if kind is not None:
        options = "".join(
            f'<option value="{value}"{" selected" if value == kind else ""}>'
            f"{e(t(lang, 'search_kind_' + (value or 'all')))}</option>"
            for value in ("", "atelier", "proposal", "subject", "project")
        )
        choice = (
            f'<label for="kind" class="kind">{e(t(lang, "search_kind"))}</label>'
            f'<select id="kind" name="kind">{options}</select>'
        )
    return (
        f'<form class="card search" method="get" action="{SEARCH}" role="search" '
        f'aria-label="{e(t(lang, "search_title"))}">'
        + (f'<input type="hidden" name="lang" value="{lang}">' if page.explicit else "")
        + f'<label for="q">{e(t(lang, "search_label"))}</label>'
        '<div class="search-row">'
        f'<input type="search" id="q" name="q" value="{e(query)}" maxlength="{MAX_QUERY}" '
        'autocomplete="off">'
        + choice
        + f'<button type="submit" class="primary">{e(t(lang, "search"))}</button></div>'
        "</form>"
    )


def _hit(page: Page, hit: Hit) -> str:
    lang = page.lang
    link = page.href(hit.url)
    kind = t(lang, f"hit_{hit.kind}") if f"hit_{hit.kind}" in _TEXTS else hit.kind
    of = (
        f'<p class="tag">{e(t(lang, "hit_of", title=hit.atelier_title))}</p>'
        if hit.kind != "atelier" and hit.atelier_title
        else ""
    )
    return (
        f'<li class="hit"><p class="tag">{e(kind)}</p>'
        f'<h3><a href="{e(link)}">{hit.title_html}</a></h3>'
        + of
        + f'<p class="excerpt">{hit.excerpt}</p></li>'
    )


def search_page(page: Page, query: str, hits: Sequence[Hit], kind: str | None = None) -> str:
    """The results of ``query`` (already cut to its bound), the best first; ``hits``' titles
    and excerpts are HTML built escaped (``server.public.search``)."""
    lang = page.lang
    wanted = terms(query)
    title = t(lang, "search_title_q", q=query) if query.strip() else t(lang, "search_title")
    if not wanted:
        results = f'<p class="empty">{e(t(lang, "search_empty"))}</p>'
        count = ""
    elif not hits:
        results = f'<p class="empty">{e(t(lang, "search_none"))}</p>'
        count = t(lang, "search_many", n=0)
    else:
        n = len(hits)
        count = t(lang, "search_one") if n == 1 else t(lang, "search_many", n=n)
        results = '<ol class="hits">' + "".join(_hit(page, h) for h in hits) + "</ol>"
    body = (
        f'<p class="breadcrumb"><a href="{e(page.href(DIRECTORY))}">{e(t(lang, "back"))}</a></p>'
        f"<h1>{e(title)}</h1>"
        f'<p class="lead">{e(t(lang, "search_lead"))}</p>'
        + _search_form(page, query, kind or "")
        + (
            f'<section aria-labelledby="results-title"><h2 id="results-title">{e(count)}</h2>'
            if count
            else "<section>"
        )
        + results
        + "</section>"
    )
    return _layout(page, title=title, description=t(lang, "search_lead"), body=body)


# --- the directory ---------------------------------------------------------------------------


def directory_page(page: Page, found: Directory, filters: Filters) -> str:
    lang = page.lang
    where_options = [
        ("", t(lang, "f_where_all")),
        ("ville", t(lang, "f_where_city")),
        *((hood, hood) for hood in found.neighbourhoods),
    ]
    form = (
        f'<form class="card filters" method="get" action="{DIRECTORY}" role="search" '
        f'aria-label="{e(t(lang, "filters"))}">'
        + (f'<input type="hidden" name="lang" value="{lang}">' if page.explicit else "")
        + '<div class="filter-grid">'
        + _select("quartier", t(lang, "f_where"), where_options, filters.where or "")
        + _select(
            "instance",
            t(lang, "f_instance"),
            [
                ("", t(lang, "f_instance_all")),
                *((i.value, f"{i.value} — {_instance_name(lang, i)}") for i in Instance),
            ],
            filters.instance.value if filters.instance else "",
        )
        + _select(
            "type",
            t(lang, "f_kind"),
            [
                ("", t(lang, "f_kind_all")),
                *(
                    (k.abbreviation.lower(), f"{k.abbreviation} — {_kind(lang, k)}")
                    for k in AtelierKind
                ),
            ],
            filters.kind.abbreviation.lower() if filters.kind else "",
        )
        + _select(
            "etat",
            t(lang, "f_stage"),
            [
                ("", t(lang, "f_stage_all")),
                *((s.value, t(lang, "stage_" + s.value)) for s in Stage),
            ],
            filters.stage.value if filters.stage else "",
        )
        + "</div>"
        f'<div class="actions"><button type="submit" class="primary">{e(t(lang, "f_submit"))}'
        f'</button> <a href="{e(page.href(DIRECTORY))}">{e(t(lang, "f_reset"))}</a></div>'
        "</form>"
    )
    n = len(found.ateliers)
    count = t(lang, "count_one") if n == 1 else t(lang, "count_many", n=n)
    results = (
        _cards(page, found.ateliers)
        if found.ateliers
        else f'<p class="empty">{e(t(lang, "count_none"))}</p>'
    )
    body = (
        f"<h1>{e(t(lang, 'dir_title'))}</h1>"
        f'<p class="lead">{e(t(lang, "dir_lead"))}</p>'
        + _search_form(page)
        + form
        + f'<section aria-labelledby="results-title"><h2 id="results-title">{e(count)}</h2>'
        + results
        + "</section>"
        + subscribe_form.quartier_form(page, filters.where)
        + '<section class="card" aria-labelledby="idea-title">'
        f'<h2 id="idea-title">{e(t(lang, "idea_title"))}</h2><p>{e(t(lang, "idea_text"))}</p>'
        f'<p><a class="button" href="{e(page.href("/nouvel-atelier"))}">'
        f"{e(t(lang, 'idea_link'))}</a></p>"
        f"<p>{e(t(lang, 'idea_subject'))} "
        f'<a href="{e(page.href(f"{ROOT}/sujets/proposer"))}">'
        f"{e(t(lang, 'idea_subject_link'))}</a></p>"
        "</section>"
        '<section aria-labelledby="instances-title">'
        f'<h2 id="instances-title">{e(t(lang, "instances_title"))}</h2>'
        f"<p>{e(t(lang, 'instances_lead'))}</p>" + _instances_list(page) + "</section>"
    )
    return _layout(page, title=t(lang, "dir_title"), description=t(lang, "dir_lead"), body=body)


# --- an atelier ------------------------------------------------------------------------------


def _paragraphs(text: str) -> str:
    """Text as typed: blank lines part paragraphs, single line breaks are kept (CSS)."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return "".join(f'<p class="typed">{e(block)}</p>' for block in blocks if block)


def _seance_item(page: Page, seance: PublicSeance, *, coming: bool) -> str:
    lang = page.lang
    s = seance.session
    parts = [
        f"<h3>{e(t(lang, 'seance', n=seance.number))} — "
        f'<time datetime="{e(s.date.isoformat())}">{e(when(lang, seance))}</time>'
        + (f' <span class="tag">{e(t(lang, "cancelled"))}</span>' if s.cancelled else "")
        + "</h3>",
        f'<p class="where">{e(_where(lang, seance))}</p>',
    ]
    if s.cancelled:
        # Said, not only shown: the line reads the same to a screen reader and on paper.
        parts.append(f"<p><strong>{e(t(lang, 'cancelled_line'))}</strong></p>")
        if s.cancel_reason:
            parts.append(f"<p>{e(t(lang, 'cancel_reason', reason=s.cancel_reason))}</p>")
        return f'<li class="seance cancelled">{"".join(parts)}</li>'
    if coming and s.objectives:
        parts.append(
            f'<p class="label">{e(t(lang, "objectives"))}</p><ul>'
            + "".join(f"<li>{e(o)}</li>" for o in s.objectives)
            + "</ul>"
        )
    if coming and s.agenda:
        parts.append(
            f'<p class="label">{e(t(lang, "agenda"))}</p><ul>'
            + "".join(f"<li>{e(item.title)}</li>" for item in s.agenda)
            + "</ul>"
        )
    if not coming and s.headcount:
        count = (
            t(lang, "headcount_one") if s.headcount == 1 else t(lang, "headcount", n=s.headcount)
        )
        parts.append(f'<p class="muted">{e(count)}</p>')
    return f'<li class="seance">{"".join(parts)}</li>'


def _status(lang: Lang, status: str) -> str:
    try:
        found = ProposalStatus(status)
    except ValueError:
        return status
    return found.label_fr if lang == "fr" else found.label_en


def _day(lang: Lang, value: object) -> str:
    text = str(value or "")
    try:
        return _date(lang, dt.date.fromisoformat(text))
    except ValueError:
        return text


def _decision(lang: Lang, status: ProposalStatus, decision: Mapping[str, object] | None) -> str:
    d = decision or {}
    outcome = str(d.get("outcome") or "")
    if not outcome:
        if status in (ProposalStatus.TRANSMISE, ProposalStatus.EN_INSTRUCTION):
            return f'<p class="muted">{e(t(lang, "waiting_" + status.value))}</p>'
        return ""
    verdict = t(lang, "decision", outcome=_status(lang, outcome))
    if d.get("decided_on"):
        verdict += t(lang, "decided_on", date=_day(lang, d["decided_on"]))
    parts = [f'<p class="verdict"><strong>{e(verdict)}</strong></p>']
    if d.get("deliberation_ref"):
        parts.append(f"<p>{e(t(lang, 'deliberation', ref=d['deliberation_ref']))}</p>")
    if d.get("budget_line"):
        parts.append(f"<p>{e(t(lang, 'budget_line', line=d['budget_line']))}</p>")
    if d.get("answer"):
        parts.append(
            f'<p class="label">{e(t(lang, "official"))}</p>'
            f'<blockquote class="official-answer">{e(d["answer"])}</blockquote>'
        )
    if d.get("project_id"):
        parts.append(
            f'<p><a href="{ROOT}/projets/{e(quote(str(d["project_id"])))}">'
            f"{e(t(lang, 'project_link'))}</a></p>"
        )
    milestones = d.get("milestones")
    if isinstance(milestones, list) and milestones:
        items = "".join(
            f"<li><strong>{e(_day(lang, m.get('on')))}</strong>"
            + (f" ({e(t(lang, 'planned'))})" if "done_on" in m and not m["done_on"] else "")
            + f" — {e(m.get('title', ''))}"
            + (f' <span class="muted">({e(m["note"])})</span>' if m.get("note") else "")
            + "</li>"
            for m in milestones
            if isinstance(m, dict)
        )
        parts.append(f'<p class="label">{e(t(lang, "milestones"))}</p><ol>{items}</ol>')
    return "".join(parts)


def _proposals(page: Page, atelier: PublicAtelier) -> str:
    lang = page.lang
    if not atelier.proposals:
        return f'<p class="muted">{e(t(lang, "proposals_none"))}</p>'
    items = []
    for p in atelier.proposals:
        kind = t(lang, "kind_" + p.kind) if "kind_" + p.kind in _TEXTS else p.kind
        items.append(
            '<li class="card proposal">'
            f'<h3>{e(p.title)} <span class="sub">{e(kind)}</span></h3>'
            f"<p>{e(t(lang, 'status', status=_status(lang, p.status.value)))}</p>"
            + (
                f'<p><a href="{e(page.href(version_path(p.id, p.latest_version)))}">'
                f"{e(t(lang, 'read_version', n=p.latest_version))}</a></p>"
                if p.latest_version
                else ""
            )
            + _decision(lang, p.status, p.decision)
            + "</li>"
        )
    return '<ul class="proposals">' + "".join(items) + "</ul>"


def _fact(term: str, value: str) -> str:
    return f"<div><dt>{term}</dt><dd>{value}</dd></div>"


def atelier_page(page: Page, atelier: PublicAtelier, today: dt.date, projects: str = "") -> str:
    """``projects``: the section linking its projects (``server.public.projects``), if any."""
    lang = page.lang
    image = f"/api/ateliers/{quote(atelier.id)}/image" if atelier.has_image else None
    ics = f"/api/ateliers/{quote(atelier.id)}/seances.ics"
    atom = f"/api/ateliers/{quote(atelier.id)}/activity.atom"
    facts = [
        _fact(
            e(t(lang, "fact_kind")),
            f"{e(_kind(lang, atelier.kind))} ({e(atelier.kind.abbreviation)})",
        ),
        _fact(e(t(lang, "fact_scope")), e(_scope(lang, atelier))),
        _fact(e(t(lang, "fact_stage")), _stage_badge(lang, atelier.stage)),
    ]
    if atelier.pilots:
        facts.append(_fact(e(t(lang, "fact_pilots")), e(", ".join(atelier.pilots))))
    if atelier.kind is AtelierKind.PROJET and atelier.financing:
        facts.append(_fact(e(t(lang, "fact_financing")), e(atelier.financing)))
    if atelier.instances:
        facts.append(
            _fact(
                e(t(lang, "fact_instances")),
                ", ".join(
                    f'<a href="{e(page.href(f"{ROOT}/instances/{i.value}"))}">'
                    f"{e(_instance_name(lang, i))} ({e(i.value)})</a>"
                    for i in atelier.instances
                ),
            )
        )
    coming = [s for s in atelier.seances if s.session.date >= today]
    past = [s for s in reversed(atelier.seances) if s.session.date < today]
    take_part = [f"<p>{e(t(lang, 'take_part_text'))}</p>"]
    if any(s.session.mode is not Mode.PRESENTIEL and not s.session.cancelled for s in coming):
        take_part.append(f"<p>{e(t(lang, 'take_part_remote'))}</p>")
    if atelier.closing is not None:
        when, reason = atelier.closing
        take_part = [f"<p><strong>{e(t(lang, 'closed_line', date=_date(lang, when)))}</strong></p>"]
        if reason:
            take_part.append(f"<p>{e(t(lang, 'cancel_reason', reason=reason))}</p>")
    elif atelier.kind is AtelierKind.INITIATIVE_CITOYENNE and atelier.residents is not None:
        if atelier.stage is Stage.EN_CONSTITUTION:
            line = t(lang, "constitution", n=atelier.residents, min=atelier.min_residents)
            take_part.insert(0, f'<p class="constitution"><strong>{e(line)}</strong></p>')
        else:
            line = t(lang, "constituted", min=atelier.min_residents)
            take_part.insert(0, f'<p class="constitution">{e(line)}</p>')
    seances = (
        '<ul class="seances">'
        + "".join(_seance_item(page, s, coming=True) for s in coming)
        + "</ul>"
        if coming
        else f'<p class="muted">{e(t(lang, "coming_none"))}</p>'
    )
    body = (
        f'<p class="breadcrumb"><a href="{e(page.href(DIRECTORY))}">← {e(t(lang, "back"))}</a></p>'
        '<div class="atelier-head">'
        + (
            f'<img class="logo" src="{e(image)}" alt="{e(t(lang, "logo_alt"))}" width="128" '
            'height="128">'
            if image
            else ""
        )
        + f'<div><h1>{e(atelier.title)}<span class="sub">{e(atelier.kind.abbreviation)} · '
        f"{e(_kind(lang, atelier.kind))} · {e(_scope(lang, atelier))}</span></h1></div></div>"
        f'<section aria-labelledby="facts-title"><h2 id="facts-title" class="visually-hidden">'
        f'{e(t(lang, "facts"))}</h2><dl class="facts">{"".join(facts)}</dl></section>'
        + (
            f'<section aria-labelledby="subject-title"><h2 id="subject-title">'
            f"{e(t(lang, 'subject'))}</h2>{_paragraphs(atelier.subject)}</section>"
            if atelier.subject.strip()
            else ""
        )
        + f'<section class="card" aria-labelledby="take-part-title"><h2 id="take-part-title">'
        f"{e(t(lang, 'take_part'))}</h2>{''.join(take_part)}</section>"
        f'<section aria-labelledby="coming-title"><h2 id="coming-title">{e(t(lang, "coming"))}'
        f"</h2>{seances}</section>"
        + (
            f'<section aria-labelledby="past-title"><h2 id="past-title">{e(t(lang, "past"))}</h2>'
            '<ul class="seances past">'
            + "".join(_seance_item(page, s, coming=False) for s in past)
            + "</ul></section>"
            if past
            else ""
        )
        + f'<section aria-labelledby="proposals-title"><h2 id="proposals-title">'
        f"{e(t(lang, 'proposals'))}</h2>{_proposals(page, atelier)}</section>"
        + projects
        + (
            f'<section aria-labelledby="charter-title"><h2 id="charter-title">'
            f"{e(t(lang, 'charter'))}</h2><details><summary>{e(t(lang, 'charter_read'))}"
            f'</summary><div class="charter">{_paragraphs(atelier.charter_text)}</div></details>'
            "</section>"
            if atelier.charter_text.strip()
            else ""
        )
        + _follow(
            page,
            t(lang, "follow"),
            [(t(lang, "subscribe"), ics, "text/calendar"), (t(lang, "activity"), atom, "")],
        )
        + subscribe_form.form(page, subscribe_form.for_atelier(atelier.id, atelier.title))
    )
    description = (
        _summary(atelier.subject) or f"{_kind(lang, atelier.kind)} · {_scope(lang, atelier)}"
    )
    return _layout(
        page,
        title=atelier.title,
        description=description,
        body=body,
        image=image,
        feeds=[(t(lang, "activity"), atom)],
    )


def _follow(page: Page, title: str, links: Sequence[tuple[str, str, str]]) -> str:
    lang = page.lang
    items = "".join(
        f'<li><a href="{e(href)}"'
        + (f' type="{e(media)}"' if media else "")
        + f">{e(text)}</a>"
        + (
            f'<p class="hint">{e(t(lang, "subscribe_hint"))}</p>'
            if media == "text/calendar"
            else ""
        )
        + "</li>"
        for text, href, media in links
    )
    return (
        '<section class="card follow" aria-labelledby="follow-title">'
        f'<h2 id="follow-title">{e(title)}</h2><ul class="links">{items}</ul></section>'
    )


# --- an instance -----------------------------------------------------------------------------


def instance_page(page: Page, instance: Instance, found: Directory, subjects: str = "") -> str:
    """``subjects``: its « Sujets proposés et priorisés » (``server.public.subjects``)."""
    lang = page.lang
    name = _instance_name(lang, instance)
    description = instance.description_fr if lang == "fr" else instance.description_en
    code = instance.value
    ateliers = (
        _cards(page, found.ateliers)
        if found.ateliers
        else f'<p class="muted">{e(t(lang, "instance_ateliers_none"))}</p>'
    )
    body = (
        f'<p class="breadcrumb"><a href="{e(page.href(DIRECTORY))}">← {e(t(lang, "back"))}</a></p>'
        f'<h1>{e(name)} <span class="sub">{e(code)}</span></h1>'
        f'<p class="lead">{e(description)}</p>'
        f"<p>{e(t(lang, 'instances_lead'))}</p>"
        f'<section aria-labelledby="ateliers-title"><h2 id="ateliers-title">'
        f"{e(t(lang, 'instance_ateliers'))}</h2>{ateliers}</section>"
        + subjects
        + _follow(
            page,
            t(lang, "follow_instance"),
            [
                (t(lang, "subscribe"), f"/api/instances/{code}/seances.ics", "text/calendar"),
                (t(lang, "activity"), f"/api/instances/{code}/activity.atom", ""),
                (t(lang, "handoffs"), f"/api/instances/{code}/handoffs.atom", ""),
            ],
        )
        + subscribe_form.form(page, subscribe_form.for_instance(instance))
        + f'<section aria-labelledby="others-title"><h2 id="others-title">'
        f"{e(t(lang, 'other_instances'))}</h2>{_instances_list(page, skip=instance)}</section>"
    )
    return _layout(
        page,
        title=f"{name} ({code})",
        description=_summary(description),
        body=body,
        feeds=[(t(lang, "activity"), f"/api/instances/{code}/activity.atom")],
    )


# --- not found -------------------------------------------------------------------------------


def not_found_page(page: Page, what: Literal["atelier", "instance", "page"]) -> str:
    lang = page.lang
    text = {
        "atelier": t(lang, "not_found_atelier"),
        "instance": t(lang, "not_found_instance"),
        "page": "",
    }[what]
    body = (
        f"<h1>{e(t(lang, 'not_found'))}</h1>"
        + (f"<p>{e(text)}</p>" if text else "")
        + f'<p><a href="{e(page.href(DIRECTORY))}">{e(t(lang, "back"))}</a></p>'
    )
    return _layout(page, title=t(lang, "not_found"), description=text, body=body)
