"""Whether an editor's own words already greet the author or sign off, so that the
frame around them (the reply template) does neither twice: no "Dear Priya Raman, /
Dear Priya, …" and no "Best, Ana / With best wishes, Ana Lima"."""

from __future__ import annotations

import re

# The first line of a letter, in the five languages authors write in.
_GREETING = re.compile(
    r"^\s*(dear|hi|hello|hey|good (morning|afternoon|evening)|greetings|"
    r"querid[oa]s?|estimad[oa]s?|hola|buenos días|buenas tardes|"
    r"cher|chère|chers|bonjour|bonsoir|salut|"
    r"prezad[oa]s?|car[oa]s?|olá|ola|bom dia|boa tarde|"
    r"liebe|lieber|sehr geehrte[r]?|hallo|guten (tag|morgen))\b", re.I)
# A closing line, followed only by a name (or nothing).
_SIGN_OFF = re.compile(
    r"^\s*(best|best wishes|kind regards|regards|warm regards|many thanks|thanks|"
    r"thank you|cheers|sincerely|yours( sincerely| truly)?|all the best|"
    r"saludos|un saludo|atentamente|cordialmente|gracias|"
    r"cordialement|bien à vous|amicalement|merci|"
    r"abraços|atenciosamente|obrigad[oa]|"
    r"viele grüße|liebe grüße|beste grüße|mit freundlichen grüßen|grüße|danke)\b[\s,.!]*"
    # …alone on its line, or with a name after it ("Best, Ana"); not "Thanks for this".
    r"(?-i:[A-ZÀ-Ý][\w .'-]{0,40})?$", re.I)


def greets(message: str) -> bool:
    """The words open with a greeting (in their first line)."""
    first = next((line for line in message.splitlines() if line.strip()), "")
    return bool(_GREETING.match(first)) and len(first) < 120


def signs(message: str) -> bool:
    """The words close with a sign-off, within their last three lines."""
    lines = [line for line in message.splitlines() if line.strip()][-3:]
    return any(_SIGN_OFF.match(line) and len(line) < 80 for line in lines)
