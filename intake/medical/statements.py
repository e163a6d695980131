"""The statements a medical manuscript is expected to carry, found as a heading or a
sentence in English, Spanish, French, Portuguese or German: conflicts of interest,
funding, patient consent, ethics approval, and the use of AI tools."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    name: str
    label: str  # as an editor reads it
    ask: str  # what the author is asked to add
    pattern: re.Pattern[str]
    weight: int  # how much its absence matters: the acknowledgement lists heavier first


def _p(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I)


STATEMENTS: dict[str, Statement] = {s.name: s for s in (
    Statement(
        "consent", "patient consent",
        "Please add a statement that the patient (or their next of kin) gave informed "
        "consent to publication, or say why consent could not be obtained.",
        _p(r"\b(?:informed|written|verbal|signed) consent\b",
           r"\bconsent (?:was|has been|had been) (?:obtained|given|sought|waived)",
           r"\b(?:the )?patient(?:'s)? (?:gave|provided|has given) (?:their |her |his )?"
           r"(?:written |informed )?(?:consent|permission)",
           r"\bconsent (?:for|to) (?:publication|publish)",
           r"consentimiento (?:informado|por escrito)", r"consentement (?:[ée]clair[ée]|libre|"
           r"[ée]crit)", r"consentimento (?:informado|livre|esclarecido|por escrito)",
           r"einverst[äa]ndnis(?:erkl[äa]rung)?", r"einwilligung(?:serkl[äa]rung)?"), 4),
    Statement(
        "ethics", "ethics approval",
        "Please add the ethics approval (the committee's name and approval number), or a "
        "statement that approval was not required and why.",
        _p(r"\bethic(?:s|al) (?:committee|approval|board|review|clearance)",
           r"\binstitutional review board\b", r"\bIRB\b",
           r"\bapproved by (?:the |an? )?[\w ,'-]{0,80}(?:committee|board)",
           r"\bethics? (?:approval )?(?:was )?not required\b",
           r"comit[ée] (?:de [ée]tica|[ée]tico)", r"comit[ée] d'[ée]thique",
           r"comit[êe] de [ée]tica|comiss[aã]o de [ée]tica", r"ethikkommission|ethikvotum|"
           r"ethik-kommission"), 4),
    Statement(
        "coi", "a conflict-of-interest statement",
        "Please add a conflict-of-interest statement, even if you have none to declare.",
        _p(r"\bconflicts? of interests?\b", r"\bcompeting interests?\b",
           r"\bdeclarations? of interests?\b", r"^\W*disclosures?\W*$",
           r"\b(?:no|nothing) to (?:declare|disclose)\b",
           r"conflictos? de inter[ée]s(?:es)?", r"conflits? d'int[ée]r[êe]ts?",
           r"liens? d'int[ée]r[êe]ts?", r"conflitos? de interesses?",
           r"interessenkonflikte?"), 3),
    Statement(
        "funding", "a funding statement",
        "Please add a funding statement (who paid for the work, or that it received no "
        "specific funding).",
        _p(r"^\W*(?:funding|financial support|sources? of funding)\W*$",
           r"\b(?:received|receives) no (?:specific )?(?:grant|funding|financial support)",
           r"\b(?:was|were) (?:funded|supported) by\b", r"\bno funding\b",
           r"^\W*(?:financiaci[oó]n|financiamiento|financement|financiamento|"
           r"finanzierung|f[öo]rderung)\W*$",
           r"no (?:recibi[oó]|se recibi[oó]) financiaci[oó]n", r"aucun financement",
           r"n[aã]o recebeu financiamento", r"keine (?:finanzielle )?f[öo]rderung"), 2),
    Statement(
        "ai", "a statement on the use of AI tools",
        "Please say whether AI tools (ChatGPT or the like) helped to write the article, "
        "and how; if none did, say so.",
        _p(r"\b(?:artificial intelligence|generative ai|ai[- ](?:assisted|based|powered|"
           r"tools?)|large language models?|chatgpt|gpt-?[345]|copilot|gemini|claude)\b",
           r"\bno (?:ai|artificial intelligence)\b",
           r"inteligencia artificial", r"intelligence artificielle",
           r"intelig[êe]ncia artificial", r"k[üu]nstliche intelligenz|\bki-(?:tools?|werkzeug)"),
        1),
)}


def found(markdown: str, extra: str = "") -> set[str]:
    """The statements a text carries (the email's text may carry them too)."""
    text = f"{markdown}\n{extra}"[:200_000]
    lines = text.splitlines()
    have = set()
    for name, statement in STATEMENTS.items():
        if statement.pattern.search(text) or any(
                statement.pattern.search(re.sub(r"[#*_]", "", line).strip())
                for line in lines if len(line) < 80):
            have.add(name)
    return have
