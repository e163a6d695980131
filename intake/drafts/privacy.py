"""A screen for text that may identify a patient, for the editor to look at.

Medical students write about cases; a date of birth, a record number or a name next
to a diagnosis must not reach the blog. This only flags, saying what and where: it
never changes the author's text, and it errs towards flagging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from intake.core import caseblind
from intake.drafts.sections import REFERENCES_LABEL, section_label

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|"
         rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})")
_NAME = r"[A-Z][a-z'\u2019-]+(?:\s+[A-Z][a-z'\u2019-]+)?"
# A record or insurance number: runs of capitals and digits, each holding a digit, joined
# by one space or hyphen; case-sensitive even where its label is not, so that the mark
# stops at the number and does not run on into the sentence ("MRN 4839201 was seen").
_NUMBER = (r"(?-i:(?=[A-Z\d][A-Z\d -]{2})(?:[A-Z]{1,4}[ -](?=\d))?[A-Z]{0,4}\d[A-Z\d]*"
           r"(?:[ -](?=[A-Z]{0,4}\d)[A-Z]{0,4}\d[A-Z\d]*)*)")
_CLINICAL = re.compile(
    r"\b(patients?|diagnos\w*|presented|presenting|admitted|admission|year[- ]old|years old|"
    r"symptoms?|treated|treatment|prescribed|surgery|operated|ward|clinic|history of|died|"
    r"biopsy|scan|case)\b", re.I)

# Each pattern with what it cannot match without: words (any one, in lower case) and a
# count of digits; a paragraph that lacks them is cleared by str.find (core.caseblind).
# bare: digits enough without the words (0: never).
_PATTERNS: tuple[tuple[str, tuple[str, ...], int, int, re.Pattern[str]], ...] = (
    ("a date of birth", ("dob", "d.o.b", "date of birth", "born", "nacimiento",
                         "naissance", "nascimento", "geburt", "geb.", "né", "nacid"), 4, 0,
     re.compile(
        rf"\b(?:DOB|D\.O\.B\.?|date of birth|born(?: on)?|fecha de nacimiento|nacid[oa] el|"
        rf"date de naissance|n[ée]e? le|data de nascimento|nascid[oa] em|geburtsdatum|"
        rf"geboren am|geb\.)[\s:,]*(?:(?:was|is)\s+)?{_DATE}",
        re.I)),
    ("a medical record number",
     ("mrn", "medical record", "hospital", "patient", "nhs", "chart", "case", "historia",
      "dossier", "prontu", "nummer", "aktenzeichen"), 1, 0, re.compile(
         r"\b(?:MRN|medical record (?:number|no\.?)|hospital (?:number|no\.?)|"
         r"patient (?:ID|number|no\.?)|NHS (?:number|no\.?)|chart (?:number|no\.?)|"
         r"case (?:number|no\.?)|historia cl[ií]nica(?: n[º°o]\.?)?|n[º°o] de historia|"
         r"(?:num[ée]ro|n[º°o]) de dossier|dossier n[º°o]|prontu[aá]rio(?: n[º°o]\.?)?|"
         r"patientennummer|fallnummer|aktenzeichen)\s*[:#.]?\s*" + _NUMBER, re.I)),
    # Named numbers need a word and a digit; the bare formats (US SSN, UK NINO) six.
    ("an insurance or social security number",
     ("insurance", "policy", "member", "medicare", "medicaid", "social security", "ssn",
      "nino"), 1, 6, re.compile(
         r"\b(?:(?:insurance|policy|member(?:ship)?|medicare|medicaid|social security|"
         r"national insurance)\s*(?:number|no\.?|#|ID)|SSN|NINO)\s*[:#]?\s*" + _NUMBER +
         r"|\b\d{3}-\d{2}-\d{4}\b|"
         r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)),
    # Each pattern may only start where its first run starts (a look-behind), so a long
    # run of word characters is scanned once, not once per position: linear, not square.
    ("an e-mail address", ("@",), 0, 0, re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # HIPAA Safe Harbor, beyond the above (../shared/design/MEDICAL.md): a date tied to
    # the patient's care (not a publication's year: a whole date, or a day and month).
    ("a date of admission, discharge or care",
     ("admit", "discharg", "seen", "present", "operat", "died", "death", "born", "ingres",
      "alta", "hospitali", "aufgenommen", "entlassen", "internad"), 4, 0, re.compile(
         r"\b(?:admitted|discharged|seen|presented|operated(?: on)?|died|readmitted|"
         r"transferred|ingres[oó]|dad[oa] de alta|hospitalis[ée]e?|admise?|sortie?|"
         r"internad[oa]|recebeu alta|aufgenommen|entlassen|verstorben)\b[^.;\n]{0,30}?"
         r"\b(?:on|el|le|em|am|at)?\s*" + _DATE, re.I)),
    ("an age over 89", ("year", "age", "año", "ans", "anos", "jahr"), 2, 0, re.compile(
        r"\b(?:9\d|1[0-2]\d)[- ](?:year|yr)s?[- ]old\b|\baged? (?:9\d|1[0-2]\d)\b|"
        r"\b(?:9\d|1[0-2]\d) (?:years? old|a[nñ]os|ans|anos|jahre)\b|"
        r"\b(?:9\d|1[0-2]\d)-j[äa]hrige", re.I)),
    ("a licence, device or account number",
     ("licen", "serial", "device", "account", "health plan", "vehicle", "plate",
      "pacemaker", "implant"), 1, 0, re.compile(
         r"\b(?:licen[cs]e|serial|device|account|health plan|vehicle|(?:number )?plate|"
         r"registration|pacemaker|implant)\s*(?:number|no\.?|#|ID|serial)?\s*[:#]?\s*"
         + _NUMBER, re.I)),
    ("a web address naming a person",
     ("facebook", "instagram", "linkedin", "twitter", "x.com", "tiktok", "youtube"), 0, 0,
     re.compile(r"(?<![\w/])(?:https?://)?(?:www\.)?(?:facebook|instagram|linkedin|twitter|"
                r"x|tiktok|youtube)\.com/(?:in/)?@?[\w.-]{2,}\w", re.I)),
    ("an IP address", (".",), 4, 0, re.compile(
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
        r"(?![\w.])")),
    ("a street address or postcode",
     ("street", "st ", "road", "rd", "avenue", "ave", "lane", "drive", "calle", "rue",
      "rua", "straße", "strasse", "zip", "postcode"), 1, 0, re.compile(
         r"\b\d{1,5}\s+(?:[A-Z][\w'-]+\s+){1,3}(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|"
         r"Drive|Dr\.?|Close|Way|Court|Boulevard|Blvd\.?)(?!\w)|"
         r"\b(?:calle|avenida|rue|avenue|rua|travessa)\s+[A-Z][\w'-]+(?:\s+[\w'-]+){0,3},?\s*"
         r"(?:n[º°o]\.?\s*)?\d{1,5}\b|"
         r"\b[A-Z][a-zäöüß]+(?:straße|strasse|weg|platz|gasse)\s+\d{1,4}\b|"
         r"(?i:zip(?: code)?|postcode|post code)\s*[:#]?\s*[A-Z\d]{3,5}(?:[ -][A-Z\d]{3,4})?",
         re.I)),
)
_PHONE = re.compile(r"(?<![\w/.:-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}"
                    r"(?:[\s.-]\d{2,6}){1,4}(?![\w/-])")
# International numbers (+CC) by what is possible for their country; national ones by
# what is valid in these regions (a bare "2019" or "0.003" is possible somewhere).
_PHONE_PASSES = ((None, phonenumbers.Leniency.POSSIBLE), ("US", phonenumbers.Leniency.VALID),
                 ("GB", phonenumbers.Leniency.VALID))
_PHONE_TRIES = 200  # candidates looked at per paragraph and pass: bounded on hostile text
_NAMED_PATIENT = re.compile(
    rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Master)\.?\s+{_NAME}|"
    rf"\b(?:patient|named|called)\s*,?\s+(?!The\b|A\b|An\b){_NAME}|"
    rf"\b{_NAME}(?=,?\s+(?:a|an)\s+\d{{1,3}}[- ]year[- ]old)")
# No bracket inside: a scan stops where the next one could start, so runs of "![" or
# "](" cost linear time.
_LINK_TARGET = re.compile(r"\]\([^()\[\]]*\)")
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()\[\]]*\)")
_CAPTION = re.compile(r"^\W*(figure|fig\.|photo|photograph|image|picture)\b", re.I)
_PATIENT_WORD = re.compile(r"\bpatient\w*", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_MAX_FLAGS = 30
_DIGIT = re.compile(r"\d")
# The words _CLINICAL and _NAMED_PATIENT cannot match without. _CLINICAL ignores case;
# _NAMED_PATIENT does not (a title, "patient", "named", "called", "N, a 45-year-old").
_CLINICAL_WORDS = ("patient", "diagnos", "presented", "presenting", "admitted", "admission",
                   "year", "symptom", "treated", "treatment", "prescribed", "surgery",
                   "operated", "ward", "clinic", "history of", "died", "biopsy", "scan", "case")
_NAMED_WORDS = ("M", "patient", "named", "called", "year")


@dataclass(frozen=True)
class Flag:
    what: str
    where: str
    excerpt: str
    match: str = ""  # the words flagged themselves, for showing where they are

    def as_dict(self) -> dict[str, str]:
        found = {"what": self.what, "where": self.where, "excerpt": self.excerpt}
        if self.match:
            found["match"] = self.match
        return found

    def sentence(self) -> str:
        return f"Possible patient identifier ({self.what}) in {self.where}: \"{self.excerpt}\""


def screen(markdown: str, author_email: str = "", author_name: str = "") -> list[Flag]:
    """The flags of a draft. The author's own address and name (in their byline or bio)
    are not a patient's."""
    own = {part.lower() for part in re.findall(r"[^\W\d_]{2,}", author_name)}
    return [f for f in _screen(markdown, author_email)
            if not (own and f.what == "a name next to clinical details" and
                    {p.lower() for p in re.findall(r"[^\W\d_]{2,}", f.match)} - _TITLES
                    <= own)]


_TITLES = {"mr", "mrs", "ms", "miss", "mx", "master", "patient", "named", "called"}


def _screen(markdown: str, author_email: str = "") -> list[Flag]:
    flags: list[Flag] = []
    heading = ""
    in_references = False
    previous_was_image = False
    blocks = [b for b in _BLANK_LINE.split(markdown) if b.strip()]
    number = 0  # paragraphs of text, as an editor counts them: headings are not
    for block in blocks:
        label = section_label(block)
        if block.lstrip().startswith("#") or (label and REFERENCES_LABEL.match(label)):
            heading = label or heading
            in_references = bool(label and REFERENCES_LABEL.match(label))
            continue
        if in_references:
            continue
        number += 1
        where = f"paragraph {number}" + (f" under \"{heading}\"" if heading else "")
        text = _LINK_TARGET.sub("]", _IMAGE.sub(" ", block))  # images: see _images
        flags.extend(_identifiers(text, where, author_email))
        flags.extend(_images(block, where, previous_was_image))
        previous_was_image = bool(_IMAGE.search(block))
        if len(flags) >= _MAX_FLAGS:
            break
    return flags[:_MAX_FLAGS]


def _identifiers(text: str, where: str, author_email: str) -> list[Flag]:
    found: list[Flag] = []
    taken: list[tuple[int, int]] = []
    low = caseblind.lower(text)
    digits = len(_DIGIT.findall(text))
    for what, words, least, bare, pattern in _PATTERNS:
        worded = digits >= least and any(word in low for word in words)
        if not worded and not (bare and digits >= bare):
            continue
        for m in pattern.finditer(text):
            if what == "an e-mail address" and m.group(0).lower() == author_email.lower():
                continue  # the author's own address, in their bio
            found.append(Flag(what, where, _excerpt(text, m.start(), m.end()), m.group(0)))
            taken.append(m.span())
    for start, end in _phones(text) if digits >= 7 else ():
        if any(s < end and start < e for s, e in taken):
            continue  # already flagged as a record or insurance number
        found.append(Flag("a phone number", where, _excerpt(text, start, end),
                          text[start:end]))
        taken.append((start, end))
    if (not any(word in text for word in _NAMED_WORDS)
            or not any(word in low for word in _CLINICAL_WORDS) or not _CLINICAL.search(text)):
        return found
    for sentence in _SENTENCE.split(text):
        if not any(word in sentence for word in _NAMED_WORDS):
            continue  # checked first: cheaper than the clinical test, and as often false
        if not _CLINICAL.search(sentence):
            continue
        for m in _NAMED_PATIENT.finditer(sentence):
            found.append(Flag("a name next to clinical details", where,
                              _excerpt(sentence, m.start(), m.end()), m.group(0)))
    return found


def _phones(text: str) -> list[tuple[int, int]]:
    """Where phone numbers are: libphonenumber finds every international one (+CC …) and
    the national formats of _PHONE_REGIONS; the pattern, the national ones of elsewhere
    that start with a trunk 0 (07700 900123), which no region can claim for sure."""
    spans: list[tuple[int, int]] = []
    for region, leniency in _PHONE_PASSES:
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency,
                                                 max_tries=_PHONE_TRIES):
            if 7 <= len(_DIGIT.findall(m.raw_string)) <= 15 and \
                    not any(s < m.end and m.start < e for s, e in spans):
                spans.append((m.start, m.end))
    for found in _PHONE.finditer(text):
        digits = len(_DIGIT.findall(found.group(0)))
        if 9 <= digits <= 15 and found.group(0)[0] in "+(0" and \
                not any(s < found.end() and found.start() < e for s, e in spans):
            spans.append(found.span())
    return sorted(spans)


def _images(block: str, where: str, after_image: bool) -> list[Flag]:
    """A photo whose alt text or caption names a person: the flag's match is the alt text
    (the desk marks the image that carries it) or the words in the caption."""
    found = []
    for m in _IMAGE.finditer(block):
        alt = m.group(1)
        if _NAMED_PATIENT.search(alt) or _PATIENT_WORD.search(alt):
            found.append(Flag("a photo whose caption names a person", where, alt[:120],
                              alt))
    if after_image and _CAPTION.match(block):
        named = _NAMED_PATIENT.search(block) or _PATIENT_WORD.search(block)
        if named:
            found.append(Flag("a photo whose caption names a person", where, block[:120],
                              named.group(0)))
    return found


def _excerpt(text: str, start: int, end: int, context: int = 30) -> str:
    left = max(0, start - context)
    right = min(len(text), end + context)
    snippet = " ".join(text[left:right].split())
    return ("…" if left else "") + snippet + ("…" if right < len(text) else "")
