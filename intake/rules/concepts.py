"""Ideas that decide what a message is, in the words of seven languages.

A labelled corpus of a few hundred messages cannot teach a model that "Honorar",
"tarifa", "cobram" and "what would you charge" all name a price: each word is seen
once or not at all. A concept groups them, and the model learns one weight for the
idea, which then carries to the words and languages it saw least. Stems are folded
(lower case, no accents, intake.rules.features.fold) and match the start of a word;
stems of three letters or fewer match whole words only. English, Spanish, French,
Portuguese and German, which the labelled corpus has; Italian and Dutch too, which it
has not: their words reach the weights the other languages taught. A word missing here
still counts as itself.
"""

from __future__ import annotations

CONCEPTS: dict[str, tuple[str, ...]] = {
    # Paying or being paid, either way: a sponsor's offer, or a writer's question.
    "money": (
        "pay", "paid", "paying", "payment", "fee", "fees", "compensat", "commission",
        "affiliat", "backlink", "invoice", "dollar", "euro", "usd", "eur", "gbp",
        "paypal", "remunerat", "monetis", "monetiz",
        "pagar", "pago", "pagamos", "pagamento", "comision", "comissao", "remuner",
        "honorar", "payer", "payant", "paiement", "facture",
        "bezahl", "zahl", "honorar", "vergutung", "entgelt",
        # Italian and Dutch
        "pagare", "pagamento", "pagato", "compenso", "commissione", "betalen", "betaald",
        "betaling", "vergoeding", "commissie", "bureau",
    ),
    # What the blog would charge: a sponsor asking the price of a post.
    "price": (
        "price", "pricing", "prices", "rate", "rates", "cost", "costs", "charge",
        "budget", "quote", "rate card", "media kit",
        "precio", "precios", "preco", "precos", "tarifa", "tarifas", "coste", "costo",
        "cobra", "cobran", "cobram", "valor", "valores", "presupuesto", "orcamento",
        "cuanto cuesta", "quanto custa", "quanto cobram",
        "prix", "tarif", "cout", "combien coute", "combien coutent",
        "preis", "preise", "kosten", "konditionen", "was kostet",
        # Italian and Dutch
        "prezzo", "prezzi", "tariff", "costi", "quanto costa", "tarief", "tarieven",
        "kosten",
    ),
    # A writer asking to be paid, not offering to pay: "do you pay writers?", "are
    # authors paid?", "Honorar für Gastbeiträge?" (the money a sponsor offers is above).
    "earning": (
        "pay writers", "pay authors", "pay contributors", "pay the authors",
        "pay the writers", "pay student", "get paid", "be paid", "are paid", "paid or",
        "contributors get", "contributors receive", "authors receive", "honorarium",
        "remuneration", "any payment", "give money", "pagan a", "pagan algo", "se pagan",
        "remunerados", "autores reciben", "pagam os", "pagam pelos", "autores recebem",
        "recebem alguma", "sao pagos", "remunerados", "sont remuneres", "remunerat",
        "auteurs sont", "sont payes", "etre paye", "bekommt man", "zahlt ihr",
        "bezahlt werden", "honorar fur", "compenso agli", "pagate", "worden betaald",
    ),
    # Advertising, sponsorship, promotion, partnership with a brand.
    "promotion": (
        "sponsor", "advert", "advertis", "promot", "promotional", "brand", "placement",
        "partner", "collab", "influenc", "giveaway", "advertorial", "publieditorial",
        "link", "links", "seo", "media kit", "campaign", "client", "clients", "agency",
        "patrocin", "publicidad", "publicidade", "anunci", "promocion", "promocao",
        "divulga", "marca", "alianza", "parceria", "agencia", "cliente",
        "sponsoris", "publicit", "partenariat", "annonce", "visibilit", "agence",
        "werbung", "werben", "gesponsert", "sponsern", "kooperation", "partnerschaft",
        "anzeige", "agentur", "mediadaten",
        "sponsorizz", "pubblicit", "promozion", "marchio", "agenzia", "gesponsord",
        "advertentie", "reclame", "promotie", "samenwerking", "merk", "klant",
    ),
    # Joining the team: an application.
    "joining": (
        "apply", "applying", "application", "applicant", "join", "joining", "team",
        "volunteer", "vacancy", "vacancies", "position", "role", "recruit", "board",
        "opening", "openings", "hiring",
        "reviewer", "proofread", "translator",
        "postul", "candidat", "formar parte", "unirme", "vacante", "puesto", "equipo",
        "voluntari", "colaborador", "revisor", "revisora", "integrar", "equipa", "equipe",
        "vaga", "processo seletivo", "candidature", "rejoindre", "poste", "benevole",
        "relect", "redaction",
        "bewerb", "bewerbung", "mitarbeit", "mitmachen", "stelle", "redaktionsteam",
        "team", "initiativ", "lektor", "gutacht",
        "unirmi", "squadra", "redazione", "volont", "posizione", "ruolo", "revisore",
        "traduttore", "solliciteren", "sollicitatie", "aansluiten", "vrijwillig",
        "redacteur", "vacature", "functie",
    ),
    # A CV or its parts.
    "cv": (
        "cv", "resume", "curriculum", "vitae", "biosketch", "lebenslauf", "curriculo",
        "hoja de vida", "hojadevida", "lattes", "education", "experience", "publications",
        "skills", "formacion", "experiencia", "publicaciones", "formation", "experiences",
        "formacao", "experiencia", "publicacoes", "ausbildung", "berufserfahrung",
        "veroffentlichungen", "idiomas", "langues", "sprachen", "languages",
        "formazione", "esperienza", "pubblicazioni", "lingue", "istruzione", "opleiding",
        "werkervaring", "publicaties", "talen", "vaardigheden",
    ),
    # A contest, a prize, an entry.
    "contest": (
        "contest", "competition", "prize", "award", "entry", "entries", "entering",
        "judges", "jury", "concurso", "certamen", "premio", "premiacao", "concours",
        "prix", "jure", "wettbewerb", "preis", "jury", "einreichung", "ausschreibung",
        "participa", "inscri", "teilnahme", "wettbewerbsbeitrag", "essaypreis",
        "schreibwettbewerb",
        "concors", "gara", "partecip", "iscri", "wedstrijd", "prijsvraag", "deelname",
        "inzending",
    ),
    # A piece of writing offered for publication.
    "writing": (
        "article", "articles", "piece", "essay", "post", "blog", "manuscript", "draft",
        "write", "wrote", "written", "writing", "story", "reflection", "opinion",
        "publish", "publication", "submit", "submission", "contribution", "attached",
        "articulo", "texto", "relato", "ensayo", "escrito", "publicar", "adjunto",
        "adjunta", "artigo", "redacao", "publicacao", "anexo", "segue", "envio",
        "texte", "tribune", "billet", "temoignage", "ecrit", "redige", "publier",
        "ci-joint", "joint", "artikel", "beitrag", "text", "bericht", "erfahrungsbericht",
        "geschrieben", "veroffentlich", "anbei", "anhang",
        "articolo", "testo", "saggio", "scrit", "pubblicare", "allegato", "bozza",
        "racconto", "riflessione", "tekst", "bijdrage", "geschreven", "bijlage",
        "publiceren", "verhaal",
    ),
    # Asking after something already sent.
    "status": (
        "status", "update", "heard", "news", "received", "receive", "still", "yet",
        "estado", "recibido", "recibieron", "noticias", "novedad", "recebido",
        "receberam", "resposta", "retorno", "recu", "reponse", "nouvelles", "statut",
        "erhalten", "ruckmeldung", "neuigkeiten",
        "ricevuto", "notizie", "aggiornament", "risposta", "ontvangen", "nieuws",
    ),
    # Personal data, withdrawal, corrections: requests about what is held or published.
    "request": (
        "delete", "deletion", "remove", "gdpr", "withdraw", "correct", "fix", "typo",
        "replace", "unsubscribe", "permission", "certificate",
        "borrar", "eliminar", "retirar", "corregir", "rgpd", "apagar", "corrigir",
        "supprim", "retirer", "corriger", "loschen", "loschung", "dsgvo", "korrigier",
        "korrektur",
        "cancellare", "rimuovere", "ritirare", "correggere", "verwijder", "intrekken",
        "corrigeren",
    ),
    # When: deadlines and dates asked about.
    "deadline": (
        "deadline", "when", "until", "results", "announced", "limit",
        "plazo", "cuando", "fecha", "resultado", "prazo", "quando", "date limite",
        "quand", "resultat", "frist", "wann", "bis wann", "ergebnis",
        "scadenza", "termine", "risultati", "wanneer", "uiterlijk", "uitslag",
    ),
}


def _index() -> tuple[dict[str, str], dict[str, tuple[tuple[str, str], ...]],
                    tuple[tuple[str, str], ...]]:
    exact: dict[str, str] = {}
    prefixes: dict[str, list[tuple[str, str]]] = {}
    phrases: list[tuple[str, str]] = []
    for concept, stems in CONCEPTS.items():
        for stem in stems:
            if " " in stem:
                phrases.append((stem, concept))
            elif len(stem) <= 3:
                exact.setdefault(stem, concept)
            else:  # by its first three letters, so a word is checked against a few stems
                prefixes.setdefault(stem[:3], []).append((stem, concept))
    return exact, {k: tuple(v) for k, v in prefixes.items()}, tuple(phrases)


_EXACT, _PREFIXES, _PHRASES = _index()


def concepts(words: list[str]) -> set[str]:
    """The concepts a list of folded words names."""
    found: set[str] = set()
    for word in words:
        concept = _EXACT.get(word)
        if concept:
            found.add(concept)
        for stem, name in _PREFIXES.get(word[:3], ()):
            if word.startswith(stem):
                found.add(name)
    joined = " " + " ".join(words) + " "
    for phrase, name in _PHRASES:
        if f" {phrase} " in joined or f" {phrase}" in joined:
            found.add(name)
    return found
