"""Subjects on the public door (issue 22, #2): the list, a subject's page with its support form,
and the form to propose one — server-rendered, no script, French first (``?lang=en``).

* ``GET /decouvrir/sujets``: published subjects, filtered by ``quartier`` and ``etat``, the most
  supported first, or in an instance's order with ``instance=CQ``.
* ``GET /decouvrir/sujets/proposer``: the form; ``POST`` it: 303 to ``?envoye=1``, which says
  the subject waits for moderation; a bad field: the form again (422) saying which and why;
  past the hour's share of one address: a page saying so (429).
* ``GET /decouvrir/sujets/{id}``: the subject; ``POST /decouvrir/sujets/{id}/soutenir``: 303 to
  the subject's page saying the support is counted (or why not).

What these pages never show: a supporter's name (none is stored), an initiator's name they
did not choose to show, who moderated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect

from domain.ateliers import AtelierKind, Instance
from domain.errors import DomainError
from domain.subjects import HOOD_MAX, NAME_MAX, TITLE_MAX, WHY_MAX, SubjectState, new_subject
from server.errors import Problem
from server.public import pages, subscribe_form
from server.public.pages import ROOT, Lang, Page, e
from server.services import subjects as svc
from server.state import AppServices

__all__ = [
    "SUBJECTS",
    "atelier_section",
    "instance_section",
    "subject_page_routes",
]

SUBJECTS: Final = f"{ROOT}/sujets"
PROPOSE: Final = f"{SUBJECTS}/proposer"
_FORM_BYTES = 32 * 1024

_T: Final[Mapping[str, tuple[str, str]]] = {
    "list_title": ("Les sujets proposés", "Proposed subjects"),
    "list_lead": (
        "Un sujet est une idée pour la ville ou un quartier, proposée par des habitant·es ou "
        "une instance. Soutenez ceux qui vous tiennent à cœur : quand les soutiens atteignent "
        "le seuil fixé par la Ville ({min}), elle en fait un atelier d’initiative citoyenne, "
        "ouvre un atelier de projet, ou répond publiquement pourquoi elle décline.",
        "A subject is an idea for the city or a neighbourhood, proposed by residents or a "
        "body. Support those you care about: once their supports reach the city’s threshold "
        "({min}), the city makes it a citizens’ initiative atelier, opens a project atelier, or "
        "answers publicly why it declines.",
    ),
    "propose_link": ("Proposer un sujet", "Propose a subject"),
    "filters": ("Filtrer les sujets", "Filter the subjects"),
    "f_where": ("Quartier", "Neighbourhood"),
    "f_all": ("Tous les quartiers et la ville", "All neighbourhoods and the city"),
    "f_city": ("Toute la ville", "The whole city"),
    "f_state": ("État", "State"),
    "f_states": ("Tous les états", "All states"),
    "f_order": ("Ordre", "Order"),
    "f_by_supports": ("Les plus soutenus d’abord", "Most supported first"),
    "f_by_instance": ("Priorisés par : {name}", "Prioritised by: {name}"),
    "f_submit": ("Filtrer", "Filter"),
    "none": ("Aucun sujet ne correspond.", "No subject matches."),
    "count_one": ("1 sujet", "1 subject"),
    "count_many": ("{n} sujets", "{n} subjects"),
    "supports": ("{n} / {min} soutiens", "{n} / {min} supports"),
    "f_supports": ("Soutiens", "Supports"),
    "threshold": ("seuil atteint", "threshold reached"),
    "rank": ("n° {n}", "#{n}"),
    "city": ("toute la ville", "the whole city"),
    "hood": ("quartier {name}", "{name} neighbourhood"),
    "by_instance": ("Proposé par : {name}", "Proposed by: {name}"),
    "by_people": ("Proposé par : {names}", "Proposed by: {names}"),
    "why": ("Pourquoi ?", "Why?"),
    "answer": ("La réponse de la Ville", "The city’s answer"),
    "became_aic": (
        "Ce sujet est devenu un atelier d’initiative citoyenne :",
        "This subject became a citizens’ initiative atelier:",
    ),
    "became_ap": (
        "La Ville ouvre un atelier de projet sur ce sujet :",
        "The city opens a project atelier on this subject:",
    ),
    "declined": (
        "La Ville décline ce sujet. Sa raison :",
        "The city declines this subject. Its reason:",
    ),
    "reached_text": (
        "Le seuil de soutiens est atteint : la Ville va y répondre (atelier d’initiative "
        "citoyenne, atelier de projet, ou une réponse motivée).",
        "The support threshold is reached: the city will answer (a citizens’ initiative "
        "atelier, a project atelier, or a reasoned answer).",
    ),
    "support_title": ("Soutenir ce sujet", "Support this subject"),
    "support_text": (
        "Un soutien par personne. Votre nom et votre quartier servent seulement à compter une "
        "fois chaque personne : ils ne sont ni affichés ni conservés en clair.",
        "One support per person. Your name and neighbourhood only serve to count each person "
        "once: they are neither shown nor kept as such.",
    ),
    "your_name": ("Votre nom", "Your name"),
    "your_hood": ("Votre quartier", "Your neighbourhood"),
    "support": ("Je soutiens", "I support this"),
    "supported": ("Merci : votre soutien est compté.", "Thank you: your support is counted."),
    "closed": (
        "Ce sujet ne recueille plus de soutiens : la Ville y a répondu.",
        "This subject no longer takes support: the city has answered it.",
    ),
    "back": ("Tous les sujets", "All subjects"),
    # the form
    "form_title": ("Proposer un sujet", "Propose a subject"),
    "form_lead": (
        "Votre idée pour un quartier ou pour toute la ville. Les services de la Ville la "
        "relisent avant de la publier (ni propos injurieux ni données personnelles) ; ensuite, "
        "les habitant·es peuvent la soutenir. Aucun compte, aucune adresse e-mail : la Ville "
        "répond sur la page du sujet.",
        "Your idea for a neighbourhood or the whole city. The city’s staff read it before "
        "publishing it (no abuse, no personal data); then residents may support it. No "
        "account, no e-mail address: the city answers on the subject’s page.",
    ),
    "f_title": ("Titre du sujet", "Title of the subject"),
    "f_subject_where": ("Quartier concerné", "Neighbourhood concerned"),
    "f_subject_where_hint": (
        "Laissez vide si le sujet concerne toute la ville.",
        "Leave empty if the subject concerns the whole city.",
    ),
    "f_why": ("Pourquoi ?", "Why?"),
    "f_why_hint": (
        "Ce qui vous amène à le proposer, ce que vous aimeriez voir changer.",
        "What brings you to propose it, what you would like to see change.",
    ),
    "f_you": ("Vous", "You"),
    "f_name": ("Votre nom (ou un nom d’usage)", "Your name (or the name you go by)"),
    "f_home": ("Votre quartier", "Your neighbourhood"),
    "f_show": (
        "Afficher mon nom sur la page du sujet (sinon, il reste connu des seuls services de "
        "la Ville)",
        "Show my name on the subject’s page (otherwise only the city’s staff know it)",
    ),
    "f_send": ("Proposer ce sujet", "Propose this subject"),
    "sent": (
        "Merci : votre sujet est envoyé. Il paraîtra ici une fois relu par les services de la "
        "Ville.",
        "Thank you: your subject is sent. It will appear here once the city’s staff have read it.",
    ),
    "invalid": ("Le sujet n’est pas envoyé : {why}", "The subject is not sent: {why}"),
    "limited_title": ("Trop d’envois depuis votre connexion", "Too many from your connection"),
    # hooks on other pages
    "instance_subjects": ("Sujets proposés et priorisés", "Subjects proposed and prioritised"),
    "instance_subjects_none": (
        "Cette instance n’a encore proposé ni priorisé aucun sujet publié.",
        "This body has not proposed or prioritised any published subject yet.",
    ),
    "from_subject": ("Né du sujet", "Born of the subject"),
    "porteurs": ("Porté par", "Carried by"),
    "pilot_service": ("Service pilote", "Pilot service"),
    "about": ("D’où vient cet atelier", "Where this atelier comes from"),
}


def tt(lang: Lang, key: str, **params: object) -> str:
    text = _T[key][0 if lang == "fr" else 1]
    return text.format(**params) if params else text


def _state(lang: Lang, state: SubjectState) -> str:
    return state.label_fr if lang == "fr" else state.label_en


def _where(lang: Lang, neighbourhood: str | None) -> str:
    return tt(lang, "hood", name=neighbourhood) if neighbourhood else tt(lang, "city")


def _instance_name(lang: Lang, instance: Instance) -> str:
    return instance.name_fr if lang == "fr" else instance.name_en


def _badge(lang: Lang, subject: svc.PublicSubject) -> str:
    badges = [f'<span class="stage stage-subject">{e(_state(lang, subject.state))}</span>']
    if subject.state is SubjectState.PUBLIE and subject.threshold_met:
        badges.append(f'<span class="stage stage-actif">{e(tt(lang, "threshold"))}</span>')
    return " ".join(badges)


def _count(lang: Lang, subject: svc.PublicSubject) -> str:
    return tt(lang, "supports", n=subject.supports, min=subject.minimum)


def _card(page: Page, subject: svc.PublicSubject, level: int = 3) -> str:
    lang = page.lang
    link = page.href(f"{SUBJECTS}/{quote(subject.id)}")
    rank = (
        f'<span class="rank">{e(tt(lang, "rank", n=subject.rank))}</span> ' if subject.rank else ""
    )
    return (
        '<li class="atelier-card subject-card"><div>'
        f'<h{level}>{rank}<a href="{e(link)}">{e(subject.title)}</a></h{level}>'
        f'<p class="tag">{e(_where(lang, subject.neighbourhood))} {_badge(lang, subject)}</p>'
        f'<p class="next">{e(_count(lang, subject))}</p>'
        "</div></li>"
    )


def cards(page: Page, subjects: Sequence[svc.PublicSubject], level: int = 3) -> str:
    return '<ul class="ateliers">' + "".join(_card(page, s, level) for s in subjects) + "</ul>"


def _html(body: str, status: int = 200, *, cache: bool = True) -> Response[str]:
    headers = (
        {"cache-control": "public, max-age=60", "vary": "Accept-Language"}
        if status == 200 and cache
        else {"cache-control": "no-store"}
    )
    return Response(body, status_code=status, media_type="text/html", headers=headers)


def _page(request: Request[Any, Any, Any]) -> Page:
    from server.public.routes import _page as page_of  # the door's one way of naming a page

    return page_of(request)


def _minimum(request: Request[Any, Any, Any]) -> int:
    return AppServices.of(request.app).settings.subject_min_supports


def _instance(code: str | None) -> Instance | None:
    code = (code or "").upper()
    return Instance(code) if code in Instance.__members__ else None


# --- the list ---------------------------------------------------------------------------------


@get(SUBJECTS, include_in_schema=False, name="public-subjects")
async def subjects_list(request: Request[Any, Any, Any]) -> Response[str]:
    page = _page(request)
    lang = page.lang
    engine = AppServices.of(request.app).engine
    where = (request.query_params.get("quartier") or "").strip() or None
    state_value = request.query_params.get("etat") or ""
    state = SubjectState(state_value) if state_value in SubjectState._value2member_map_ else None
    if state is not None and not state.public:
        state = None
    instance = _instance(request.query_params.get("instance"))
    minimum = _minimum(request)
    found = await svc.list_public(engine, minimum, where=where, state=state, instance=instance)
    hoods = await svc.neighbourhoods(engine)
    select = pages._select
    form = (
        f'<form class="card filters" method="get" action="{SUBJECTS}" aria-label="'
        f'{e(tt(lang, "filters"))}">'
        + (f'<input type="hidden" name="lang" value="{lang}">' if page.explicit else "")
        + '<div class="filter-grid">'
        + select(
            "quartier",
            tt(lang, "f_where"),
            [("", tt(lang, "f_all")), ("ville", tt(lang, "f_city")), *((h, h) for h in hoods)],
            where or "",
        )
        + select(
            "etat",
            tt(lang, "f_state"),
            [
                ("", tt(lang, "f_states")),
                *((s.value, _state(lang, s)) for s in SubjectState if s.public),
            ],
            state.value if state else "",
        )
        + select(
            "instance",
            tt(lang, "f_order"),
            [
                ("", tt(lang, "f_by_supports")),
                *(
                    (
                        i.value,
                        tt(lang, "f_by_instance", name=f"{i.value} — {_instance_name(lang, i)}"),
                    )
                    for i in Instance
                ),
            ],
            instance.value if instance else "",
        )
        + "</div>"
        f'<div class="actions"><button type="submit" class="primary">{e(tt(lang, "f_submit"))}'
        "</button></div></form>"
    )
    n = len(found)
    count = tt(lang, "count_one") if n == 1 else tt(lang, "count_many", n=n)
    body = (
        f"<h1>{e(tt(lang, 'list_title'))}</h1>"
        f'<p class="lead">{e(tt(lang, "list_lead", min=minimum))}</p>'
        f'<p><a class="button" href="{e(page.href(PROPOSE))}">{e(tt(lang, "propose_link"))}</a></p>'
        + form
        + f'<section aria-labelledby="results-title"><h2 id="results-title">{e(count)}</h2>'
        + (cards(page, found) if found else f'<p class="empty">{e(tt(lang, "none"))}</p>')
        + "</section>"
    )
    html = pages._layout(
        page,
        title=tt(lang, "list_title"),
        description=tt(lang, "list_lead", min=minimum),
        body=body,
    )
    return _html(html)


# --- a subject --------------------------------------------------------------------------------


def _text_field(
    name: str,
    label: str,
    value: str,
    *,
    max_length: int,
    required: bool = True,
    hint: str | None = None,
    autocomplete: str = "off",
    error: bool = False,
) -> str:
    hint_id = f"h-{name}"
    return (
        f'<div class="field"><label for="f-{name}">{e(label)}</label>'
        + (f'<p class="hint" id="{hint_id}">{e(hint)}</p>' if hint else "")
        + f'<input type="text" id="f-{name}" name="{name}" value="{e(value)}" '
        f'maxlength="{max_length}" autocomplete="{autocomplete}"'
        + (" required" if required else "")
        + (f' aria-describedby="{hint_id}"' if hint else "")
        + (' aria-invalid="true"' if error else "")
        + "></div>"
    )


def _support_form(page: Page, subject: svc.PublicSubject) -> str:
    lang = page.lang
    action = page.href(f"{SUBJECTS}/{quote(subject.id)}/soutenir")
    return (
        '<section class="card" aria-labelledby="support-title">'
        f'<h2 id="support-title">{e(tt(lang, "support_title"))}</h2>'
        f'<p class="hint">{e(tt(lang, "support_text"))}</p>'
        f'<form method="post" action="{e(action)}" class="form">'
        + _text_field("name", tt(lang, "your_name"), "", max_length=NAME_MAX, autocomplete="name")
        + _text_field("quartier", tt(lang, "your_hood"), "", max_length=HOOD_MAX)
        + f'<div class="actions"><button type="submit" class="primary">{e(tt(lang, "support"))}'
        "</button></div></form></section>"
    )


def _notice(text: str, *, problem: bool = False) -> str:
    if problem:
        return f'<p class="notice problem" role="alert">{e(text)}</p>'
    return f'<p class="notice" role="status">{e(text)}</p>'


def subject_html(
    page: Page, subject: svc.PublicSubject, notice: str = "", problem: str = ""
) -> str:
    lang = page.lang
    facts = [
        pages._fact(e(tt(lang, "f_where")), e(_where(lang, subject.neighbourhood))),
        pages._fact(e(tt(lang, "f_state")), _badge(lang, subject)),
        pages._fact(e(tt(lang, "f_supports")), e(_count(lang, subject))),
    ]
    if subject.instance is not None:
        facts.append(
            pages._fact(
                e(tt(lang, "by_instance", name="").rstrip(" :")),
                f'<a href="{e(page.href(f"{ROOT}/instances/{subject.instance.value}"))}">'
                f"{e(_instance_name(lang, subject.instance))} ({e(subject.instance.value)})</a>",
            )
        )
    elif subject.initiators:
        facts.append(
            pages._fact(
                e(tt(lang, "by_people", names="").rstrip(" :")), e(", ".join(subject.initiators))
            )
        )
    answer = ""
    if subject.state in (SubjectState.AIC, SubjectState.AP) and subject.atelier_id:
        key = "became_aic" if subject.state is SubjectState.AIC else "became_ap"
        link = page.href(f"{pages.DIRECTORY}/{quote(subject.atelier_id)}")
        answer = (
            f"<p>{e(tt(lang, key))} "
            f'<a href="{e(link)}">{e(subject.atelier_title or subject.title)}</a></p>'
        )
    elif subject.state is SubjectState.DECLINE:
        answer = (
            f"<p>{e(tt(lang, 'declined'))}</p>"
            f'<blockquote class="official-answer">{e(subject.reason or "")}</blockquote>'
        )
    elif subject.threshold_met:
        answer = f'<p class="constitution"><strong>{e(tt(lang, "reached_text"))}</strong></p>'
    body = (
        f'<p class="breadcrumb"><a href="{e(page.href(SUBJECTS))}">← {e(tt(lang, "back"))}</a></p>'
        + (_notice(notice) if notice else "")
        + (_notice(problem, problem=True) if problem else "")
        + f'<h1>{e(subject.title)}<span class="sub">{e(_where(lang, subject.neighbourhood))}'
        "</span></h1>"
        f'<dl class="facts">{"".join(facts)}</dl>'
        f'<section aria-labelledby="why-title"><h2 id="why-title">{e(tt(lang, "why"))}</h2>'
        f"{pages._paragraphs(subject.why)}</section>"
        + (
            f'<section class="card" aria-labelledby="answer-title"><h2 id="answer-title">'
            f"{e(tt(lang, 'answer'))}</h2>{answer}</section>"
            if answer
            else ""
        )
        + (_support_form(page, subject) if subject.state is SubjectState.PUBLIE else "")
        + subscribe_form.form(page, subscribe_form.for_subject(subject.id, subject.title))
    )
    return pages._layout(
        page,
        title=subject.title,
        description=pages._summary(subject.why),
        body=body,
    )


_NOTICES: Final = {"soutenu": "supported"}


@get(f"{SUBJECTS}/{{subject_id:str}}", include_in_schema=False, name="public-subject")
async def subject_view(request: Request[Any, Any, Any], subject_id: str) -> Response[str]:
    page = _page(request)
    found = await svc.get_public(AppServices.of(request.app).engine, subject_id, _minimum(request))
    if found is None:
        return _html(pages.not_found_page(page, "page"), status=404)
    notice = tt(page.lang, "supported") if request.query_params.get("soutenu") == "1" else ""
    return _html(subject_html(page, found, notice=notice), cache=not notice)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    body = await request.body()
    if len(body) > _FORM_BYTES:
        raise Problem(413, "form_too_large", "Formulaire trop long.", "Form too large.")
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@post(
    f"{SUBJECTS}/{{subject_id:str}}/soutenir",
    include_in_schema=False,
    name="public-subject-support",
    status_code=303,
)
async def support_form(request: Request[Any, Any, Any], subject_id: str) -> Response[Any]:
    from server.routes.subjects import give_support, set_support_cookie, support_cookie

    page = _page(request)
    fields = await _form(request)
    cookie, new = support_cookie(request)
    try:
        await give_support(
            request, subject_id, fields.get("name", ""), fields.get("quartier", ""), cookie
        )
    except (Problem, DomainError) as refused:
        status = refused.status_code if isinstance(refused, Problem) else 409
        if status == 404:
            return _html(pages.not_found_page(page, "page"), status=404)
        found = await svc.get_public(
            AppServices.of(request.app).engine, subject_id, _minimum(request)
        )
        if found is None:
            return _html(pages.not_found_page(page, "page"), status=404)
        message = _message(page.lang, refused)
        if isinstance(refused, DomainError) and refused.code.startswith("supporter_"):
            status = 422
        response = _html(subject_html(page, found, problem=message), status=status, cache=False)
        if isinstance(refused, Problem) and refused.headers:
            response.headers.update(refused.headers)
        if new:
            set_support_cookie(response, cookie)
        return response
    target = page.href(f"{SUBJECTS}/{quote(subject_id)}", soutenu="1")
    response: Response[Any] = Redirect(target, status_code=303)
    if new:
        set_support_cookie(response, cookie)
    return response


def _message(lang: Lang, refused: Problem | DomainError) -> str:
    if isinstance(refused, DomainError):
        return refused.message_fr if lang == "fr" else refused.message_en
    return refused.detail_fr if lang == "fr" else refused.detail_en


# --- proposing --------------------------------------------------------------------------------


def propose_html(
    page: Page,
    values: Mapping[str, str] | None = None,
    *,
    sent: bool = False,
    problem: str = "",
    field: str | None = None,
) -> str:
    lang = page.lang
    v = values or {}
    action = page.href(PROPOSE)
    checked = " checked" if v.get("afficher_nom") else ""
    body = (
        f'<p class="breadcrumb"><a href="{e(page.href(SUBJECTS))}">← {e(tt(lang, "back"))}</a></p>'
        f"<h1>{e(tt(lang, 'form_title'))}</h1>"
        + (_notice(tt(lang, "sent")) if sent else "")
        + (_notice(problem, problem=True) if problem else "")
        + f'<p class="lead">{e(tt(lang, "form_lead"))}</p>'
        f'<form method="post" action="{e(action)}" class="card form">'
        + _text_field(
            "titre",
            tt(lang, "f_title"),
            v.get("titre", ""),
            max_length=TITLE_MAX,
            error=field == "title",
        )
        + _text_field(
            "quartier",
            tt(lang, "f_subject_where"),
            v.get("quartier", ""),
            max_length=HOOD_MAX,
            required=False,
            hint=tt(lang, "f_subject_where_hint"),
            error=field == "neighbourhood",
        )
        + '<div class="field"><label for="f-pourquoi">'
        + e(tt(lang, "f_why"))
        + "</label>"
        f'<p class="hint" id="h-pourquoi">{e(tt(lang, "f_why_hint"))}</p>'
        f'<textarea id="f-pourquoi" name="pourquoi" rows="6" maxlength="{WHY_MAX}" required '
        'aria-describedby="h-pourquoi"'
        + (' aria-invalid="true"' if field == "why" else "")
        + f">{e(v.get('pourquoi', ''))}</textarea></div>"
        f"<fieldset><legend>{e(tt(lang, 'f_you'))}</legend>"
        + _text_field(
            "nom",
            tt(lang, "f_name"),
            v.get("nom", ""),
            max_length=NAME_MAX,
            autocomplete="name",
            error=field == "initiator_name",
        )
        + _text_field(
            "mon_quartier",
            tt(lang, "f_home"),
            v.get("mon_quartier", ""),
            max_length=HOOD_MAX,
            error=field == "initiator_neighbourhood",
        )
        + '<div class="field check"><input type="checkbox" id="f-afficher_nom" '
        f'name="afficher_nom" value="1"{checked}>'
        f'<label for="f-afficher_nom">{e(tt(lang, "f_show"))}</label></div>'
        "</fieldset>"
        f'<div class="actions"><button type="submit" class="primary">{e(tt(lang, "f_send"))}'
        "</button></div></form>"
    )
    return pages._layout(
        page, title=tt(lang, "form_title"), description=tt(lang, "form_lead"), body=body
    )


@get(PROPOSE, include_in_schema=False, name="public-subject-form")
async def propose_view(request: Request[Any, Any, Any]) -> Response[str]:
    page = _page(request)
    sent = request.query_params.get("envoye") == "1"
    return _html(propose_html(page, sent=sent), cache=False)


@post(PROPOSE, include_in_schema=False, name="public-subject-propose", status_code=303)
async def propose_form(request: Request[Any, Any, Any]) -> Response[Any]:
    from server.guards import client_address
    from server.routes.subjects import guards, too_many_subjects

    page = _page(request)
    lang = page.lang
    fields = await _form(request)
    services = AppServices.of(request.app)
    limit = guards(services).proposals
    key = f"address:{client_address(request)}"
    if wait := limit.blocked(key):
        problem = too_many_subjects(wait)
        html = propose_html(page, fields, problem=_message(lang, problem))
        response = _html(html, status=429, cache=False)
        response.headers["retry-after"] = str(int(wait) + 1)
        return response
    try:
        draft = new_subject(
            title=fields.get("titre", ""),
            why=fields.get("pourquoi", ""),
            neighbourhood=fields.get("quartier"),
            initiator_name=fields.get("nom", ""),
            initiator_neighbourhood=fields.get("mon_quartier") or None,
            show_name=bool(fields.get("afficher_nom")),
        )
        if draft.initiator_neighbourhood is None:
            raise_home_required()
    except DomainError as refused:
        why = refused.message_fr if lang == "fr" else refused.message_en
        field = getattr(refused, "field", None)
        html = propose_html(page, fields, problem=tt(lang, "invalid", why=why), field=field)
        return _html(html, status=422, cache=False)
    await svc.propose(services.engine, draft, instance=None, staff=None)
    limit.failed(key)
    return Redirect(page.href(PROPOSE, envoye="1"), status_code=303)


def raise_home_required() -> None:
    from domain.errors import InvalidInput

    raise InvalidInput(
        "home_required",
        "Indiquez votre quartier.",
        "Give your neighbourhood.",
        field="initiator_neighbourhood",
    )


# --- hooks on the instance's and the atelier's pages -----------------------------------------


async def instance_section(request: Request[Any, Any, Any], page: Page, instance: Instance) -> str:
    """« Sujets proposés et priorisés » on an instance's page: the subjects it ranked, in its
    order, then those it proposed."""
    lang = page.lang
    found = await svc.list_public(
        AppServices.of(request.app).engine, _minimum(request), instance=instance
    )
    mine = [s for s in found if s.rank is not None or s.instance is instance]
    content = (
        cards(page, mine)
        if mine
        else f'<p class="muted">{e(tt(lang, "instance_subjects_none"))}</p>'
    )
    return (
        '<section aria-labelledby="subjects-title">'
        f'<h2 id="subjects-title">{e(tt(lang, "instance_subjects"))}</h2>{content}'
        f'<p><a href="{e(page.href(SUBJECTS, instance=instance.value))}">'
        f"{e(tt(lang, 'list_title'))}</a></p></section>"
    )


async def atelier_section(request: Request[Any, Any, Any], page: Page, atelier_id: str) -> str:
    """On an atelier's page: the subject it was born of, its porteurs (an AIC) or its pilot
    service (an AP)."""
    lang = page.lang
    about = await svc.atelier_origin(AppServices.of(request.app).engine, atelier_id)
    if about is None:
        return ""
    facts = []
    if about.subject_id:
        link = page.href(f"{SUBJECTS}/{quote(about.subject_id)}")
        facts.append(
            pages._fact(
                e(tt(lang, "from_subject")), f'<a href="{e(link)}">{e(about.subject_title)}</a>'
            )
        )
    if about.kind is AtelierKind.INITIATIVE_CITOYENNE and about.porteurs:
        facts.append(pages._fact(e(tt(lang, "porteurs")), e(", ".join(about.porteurs))))
    if about.kind is AtelierKind.PROJET and about.pilot_service:
        facts.append(pages._fact(e(tt(lang, "pilot_service")), e(about.pilot_service)))
    if not facts:
        return ""
    return (
        '<section aria-labelledby="origin-title">'
        f'<h2 id="origin-title">{e(tt(lang, "about"))}</h2>'
        f'<dl class="facts">{"".join(facts)}</dl></section>'
    )


def subject_page_routes() -> list[BaseRouteHandler]:
    # The form before ``{id}``: « proposer » is no subject's id.
    return [subjects_list, propose_view, propose_form, subject_view, support_form]
