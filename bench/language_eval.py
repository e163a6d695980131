"""The language an author is answered in: how often it is right, and what it costs.

Every labelled email (tests/labelled/ and its held-out sets) whose entry names its
language (`lang`, default en; the message and the documents are written in it) goes
through intake's own parser and converter, then core.languages.detect (lingua, high
accuracy, the five languages). Peers in the same run: the same rule with lingua's
low-accuracy mode, and the message body alone with no fallback. The author's own words
decide; a message too short to tell falls back to its document, then to English.

Measured: right (the entry's language), wrong (another language: a French author
answered in Portuguese), and defaulted (English, because nothing could be told: wrong
only for a non-English author); memory after the detector loads (ru_maxrss) and time
per message.

Usage: .venv/bin/python bench/language_eval.py
"""

from __future__ import annotations

import resource
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from intake.core import languages  # noqa: E402
from intake.core.config import DraftsSection  # noqa: E402
from intake.drafts.build import read_manuscript  # noqa: E402
from intake.mail.parse import parse_message  # noqa: E402
from intake.rules import corpus  # noqa: E402

LABELLED = REPO / "tests" / "labelled"
OFFERED = ("en", "es", "fr", "pt", "de")


def cases() -> list[tuple[str, str, str]]:
    """(language, the message body, the document's text) of every labelled email."""
    found = []
    drafts = DraftsSection()
    for folder in (LABELLED, LABELLED / "holdout"):
        entries, bank = corpus.load(folder)
        for number, entry in enumerate(entries):
            if entry["label"] == "ignored":
                continue
            msg = parse_message(corpus.build(entry, number, bank))
            read = read_manuscript(msg, drafts)
            document = read.converted.markdown if read.attachment is not None and \
                not read.problem else ""
            found.append((str(entry.get("lang") or "en"), msg.text, document))
    return found


# One-line messages, as authors send them beside a file (written for this benchmark):
# the hard case, where a wrong guess is likeliest.
SHORT = [
    ("en", "Please find my article attached."), ("en", "Article attached, thanks!"),
    ("en", "Here is my CV."), ("en", "Are there any openings?"),
    ("en", "Do you pay writers?"), ("en", "Sorry, wrong file, this is the right one."),
    ("en", "Thanks for the quick reply!"), ("en", "My entry for the contest."),
    ("es", "Adjunto mi artículo."), ("es", "Les envío mi texto para el blog."),
    ("es", "¿Buscan editores?"), ("es", "Gracias por la respuesta."),
    ("es", "Aquí va la versión corregida."), ("es", "¿Pagan por los artículos?"),
    ("es", "Mi participación para el concurso."), ("es", "Perdón, olvidé adjuntar el archivo."),
    ("fr", "Ci-joint mon article."), ("fr", "Voici mon texte pour le blog."),
    ("fr", "Vous recrutez ?"), ("fr", "Merci pour votre réponse."),
    ("fr", "Voici la version corrigée."), ("fr", "Les auteurs sont-ils payés ?"),
    ("fr", "Ma participation au concours."), ("fr", "Désolée, j'ai oublié la pièce jointe."),
    ("pt", "Segue o meu artigo em anexo."), ("pt", "Envio o texto para o blog."),
    ("pt", "Vocês têm vagas?"), ("pt", "Obrigada pela resposta."),
    ("pt", "Aqui está a versão corrigida."), ("pt", "Vocês pagam os autores?"),
    ("pt", "Minha participação no concurso."), ("pt", "Desculpe, esqueci o anexo."),
    ("de", "Anbei mein Artikel."), ("de", "Hier mein Text für den Blog."),
    ("de", "Sucht ihr noch Leute?"), ("de", "Danke für die schnelle Antwort."),
    ("de", "Hier die korrigierte Fassung."), ("de", "Zahlt ihr ein Honorar?"),
    ("de", "Mein Beitrag zum Wettbewerb."), ("de", "Sorry, ich habe den Anhang vergessen."),
]


def score(name: str, told: list[languages.Detected], truth: list[str]) -> str:
    right = sum(t.language == lang for t, lang in zip(told, truth, strict=True))
    defaulted = sum(t.source == "default" for t in told)
    wrong = sum(t.language != lang and t.source != "default"
                for t, lang in zip(told, truth, strict=True))
    sources = Counter(t.source for t in told)
    return (f"{name:<34} right {right}/{len(told)} ({right / len(told):.1%})  "
            f"wrong {wrong}  defaulted {defaulted}  "
            f"(told from message {sources['message']}, document {sources['document']})")


def main() -> None:
    found = cases()
    truth = [lang for lang, _, _ in found]
    print(f"{len(found)} labelled emails: " + ", ".join(
        f"{k} {v}" for k, v in sorted(Counter(truth).items())))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    started = time.perf_counter()
    high = [languages.detect(body, doc, OFFERED, "en") for _, body, doc in found]
    spent = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(score("intake (lingua, high accuracy)", high, truth))
    print(f"  peak memory {before} MiB before the detector, {after} MiB after; "
          f"{spent / len(found) * 1000:.1f} ms a message (models loaded on the first)")
    alone = [languages.detect(body, "", OFFERED, "en") for _, body, _ in found]
    print(score("the message alone, no document", alone, truth))

    from lingua import Language, LanguageDetectorBuilder

    low = LanguageDetectorBuilder.from_languages(
        *[getattr(Language, languages._LINGUA_NAMES[c]) for c in sorted(OFFERED)]
    ).with_low_accuracy_mode().build()
    languages._DETECTORS[tuple(sorted(OFFERED))] = low
    lows = [languages.detect(body, doc, OFFERED, "en") for _, body, doc in found]
    print(score("peer: lingua, low-accuracy mode", lows, truth))
    languages._DETECTORS.pop(tuple(sorted(OFFERED)))
    lines = [lang for lang, _ in SHORT]
    print(f"\n{len(SHORT)} one-line messages, nothing else to go on:")
    print(score("intake (lingua, high accuracy)",
                [languages.detect(text, "", OFFERED, "en") for _, text in SHORT], lines))
    languages._DETECTORS[tuple(sorted(OFFERED))] = low
    print(score("peer: lingua, low-accuracy mode",
                [languages.detect(text, "", OFFERED, "en") for _, text in SHORT], lines))
    languages._DETECTORS.pop(tuple(sorted(OFFERED)))
    for (lang, text), t in zip(SHORT, [languages.detect(text, "", OFFERED, "en")
                                       for _, text in SHORT], strict=True):
        if t.language != lang:
            print(f"  {'defaulted' if t.source == 'default' else 'wrong'}: {lang} "
                  f"{text!r} → {t.language}")
    mistakes = [(lang, t.language, body[:60].replace("\n", " "))
                for (lang, body, _), t in zip(found, high, strict=True)
                if t.language != lang and t.source != "default"]
    for lang, got, body in mistakes:
        print(f"  wrong: {lang} taken as {got}: {body!r}")


if __name__ == "__main__":
    main()
