"""The article type of a manuscript, read from its title, headings, phrases and shape,
in the five languages triage knows (English, Spanish, French, Portuguese, German).

Each type has signals with points; the type with most points wins, if it has at least
MIN_POINTS. A manuscript that is none of them (a blog post, an essay) has no type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TYPES = {
    "original_article": "Original article",
    "review_article": "Review article",
    "case_report": "Case report",
    "letter": "Letter to the editor",
    "news": "News article",
    "clinical_image": "Clinical image",
    "perspective": "Perspective",
    "elective_report": "Elective report",
}
MIN_POINTS = 3


@dataclass(frozen=True)
class Signal:
    where: str  # "title", "heading", "text"
    pattern: re.Pattern[str]
    points: int
    says: str  # as an editor reads it


def _s(where: str, pattern: str, points: int, says: str) -> Signal:
    return Signal(where, re.compile(pattern, re.I), points, says)


_AGE = r"\d{1,3}[- ](?:year|yr)s?[- ]old"
SIGNALS: dict[str, tuple[Signal, ...]] = {
    "case_report": (
        _s("title", r"\bcase (?:report|study)\b|\ba (?:rare )?case of\b|caso cl[ií]nico|"
           r"reporte de caso|relato de caso|cas clinique|rapport de cas|fallbericht|kasuistik",
           4, "the title names a case report"),
        _s("heading", r"^(?:case (?:presentation|report|description|history)|presentaci[oó]n "
           r"del caso|descripci[oó]n del caso|relato do caso|apresenta[cç][aã]o do caso|"
           r"pr[ée]sentation du cas|observation|fallbeschreibung|fallvorstellung)$",
           4, "a heading presents the case"),
        _s("text", rf"\bwe (?:report|present|describe) (?:a|the|an) (?:rare |unusual )?case\b|"
           rf"\b{_AGE} (?:man|woman|male|female|boy|girl|patient|gentleman|lady)"
           r"\b.{0,40}\b(?:presented|was admitted|was referred|attended|came)|"
           r"presentamos (?:el|un) caso|paciente (?:de|masculino de|femenina de) \d{1,3} a[nñ]os|"
           r"nous rapportons (?:le|un) cas|patiente? [âa]g[ée]e? de \d{1,3} ans|"
           r"relatamos (?:o|um) caso|paciente de \d{1,3} anos|"
           r"wir berichten (?:über|von) (?:einen|eine|den)|"
           r"\d{1,3}-j[äa]hrige[rn]? (?:patient|frau|mann)",
           3, "the text reports a patient's case"),
    ),
    "original_article": (
        _s("heading", r"^(?:(?:materials? and )?methods?|methodology|m[ée]todos?|material(?:es)? "
           r"y m[ée]todos|material e m[ée]todos|m[ée]thodes?|mat[ée]riel et m[ée]thodes|"
           r"methoden|material und methoden)$", 3, "a Methods section"),
        _s("heading", r"^(?:results?|resultados?|r[ée]sultats?|ergebnisse)$", 2,
           "a Results section"),
        _s("text", r"\b(?:we (?:conducted|performed|carried out) a (?:retrospective|prospective|"
           r"cross-sectional|cohort|randomi[sz]ed)|participants were (?:recruited|enrolled)|"
           r"p ?[<=] ?0[.,]0\d|95 ?% ?(?:ci|confidence interval)|estudio (?:transversal|"
           r"retrospectivo|prospectivo)|[ée]tude (?:transversale|r[ée]trospective|prospective)|"
           r"estudo (?:transversal|retrospectivo|prospectivo)|"
           r"(?:retrospektive|prospektive) studie)",
           2, "the text reports a study"),
    ),
    "review_article": (
        _s("title", r"\b(?:a )?(?:systematic |narrative |literature |scoping )?review\b|"
           r"revisi[oó]n (?:sistem[aá]tica|narrativa|de la literatura)|revue (?:de la "
           r"litt[ée]rature|syst[ée]matique)|revis[aã]o (?:sistem[aá]tica|narrativa|da "
           r"literatura)|(?:übersichtsarbeit|literaturübersicht|systematische übersicht)",
           4, "the title names a review"),
        _s("text", r"\bwe searched (?:pubmed|medline|embase|the cochrane)|\b(?:pubmed|medline|"
           r"embase|scopus|web of science) (?:and|were searched|was searched)|prisma\b",
           3, "the text describes a literature search"),
    ),
    "letter": (
        _s("title", r"letter to the editor|carta al (?:editor|director)|lettre (?:à|a) "
           r"l'[ée]diteur|carta ao editor|leserbrief|brief an die (?:redaktion|herausgeber)",
           5, "the title names a letter"),
        _s("text", r"^\s*(?:dear (?:editor|sir|madam)|estimad[oa] (?:editor|director)|"
           r"(?:cher|ch[èe]re) (?:[ée]diteur|r[ée]dacteur)|(?:caro|prezado) editor|"
           r"sehr geehrte)", 4, "it opens as a letter to the editor"),
    ),
    "clinical_image": (
        _s("title", r"clinical image|image(?:s)? in (?:clinical )?medicine|imagen cl[ií]nica|"
           r"image clinique|imagem cl[ií]nica|klinisches bild", 5, "the title names a "
           "clinical image"),
    ),
    "elective_report": (
        _s("title", r"\belective\b|rotaci[oó]n electiva|stage (?:à l'[ée]tranger|hospitalier)|"
           r"est[aá]gio (?:eletivo|no exterior)|famulatur", 4, "the title names an elective"),
        _s("text", r"\bmy elective\b|\belective (?:placement|in|at)\b|mi rotaci[oó]n|"
           r"mon stage|meu est[aá]gio|meine famulatur", 2, "the text tells of an elective"),
    ),
    "perspective": (
        _s("title", r"\b(?:perspective|viewpoint|opinion|commentary)\b|perspectiva|punto de "
           r"vista|point de vue|ponto de vista|standpunkt|kommentar", 4,
           "the title names a perspective"),
    ),
    "news": (
        _s("title", r"\bnews\b|\bannounces?\b|noticias?|nouvelles?|actualit[ée]s?|"
           r"not[ií]cias?|nachrichten|conference report", 3, "the title names news"),
    ),
}


@dataclass(frozen=True)
class Typed:
    type: str | None
    points: int
    signals: tuple[str, ...]


def headings(markdown: str) -> list[str]:
    return [re.sub(r"[*_#:]+", "", line).strip().lower()
            for line in markdown.splitlines()
            if re.match(r"^\s*(?:#{1,6}\s+\S|\*\*[^*]{2,80}\*\*\s*:?\s*$)", line)]


def detect(title: str, markdown: str, words: int = 0, images: int = 0) -> Typed:
    """The article type a manuscript reads as, and why; none below MIN_POINTS."""
    heads = headings(markdown)
    text = markdown[:60_000]
    scores: dict[str, tuple[int, list[str]]] = {}
    for name, signals in SIGNALS.items():
        points, said = 0, []
        for signal in signals:
            if signal.where == "title":
                hit = bool(signal.pattern.search(title))
            elif signal.where == "heading":
                hit = any(signal.pattern.search(h) for h in heads)
            else:
                hit = bool(signal.pattern.search(text))
            if hit:
                points += signal.points
                said.append(signal.says)
        if points:
            scores[name] = (points, said)
    if images and words and words < 400 and "clinical_image" in scores:
        points, said = scores["clinical_image"]
        scores["clinical_image"] = (points + 2, [*said, "a short text with an image"])
    if not scores:
        return Typed(None, 0, ())
    best = max(scores, key=lambda n: (scores[n][0], -list(SIGNALS).index(n)))
    points, said = scores[best]
    return Typed(best if points >= MIN_POINTS else None, points, tuple(said))
