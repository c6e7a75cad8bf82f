"""Text in the corpus addressed to an AI assistant (prompt injection), found by named rules."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.normalize import fold

# Characters that render as nothing: they would let "ig\u200bnore" slip past the rules.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")


@dataclass(frozen=True)
class Rule:
    code: str  # the reason carried by a flagged chunk
    pattern: re.Pattern[str]  # matched against folded text: lower case, no accents, plain apostrophes


def _rule(code: str, *alternatives: str) -> Rule:
    return Rule(code, re.compile("|".join(f"(?:{a})" for a in alternatives), re.MULTILINE))


_W = r"(?:\s+[\w'-]+){0,3}?"  # up to three words in between: "all of your", "les consignes"
_EN_VERB = r"(?:ignore|disregard|forget|override|bypass)"
_EN_RULES = r"(?:instructions?|prompts?|directives?|guidelines|guardrails|rules|context|programming|training)\b"
_FR_VERB = (r"(?:ignore[rsz]?|oublie[rsz]?|outrepasse[rsz]?|contourne[rsz]?|ne (?:tiens|tenez) (?:pas|plus) compte"
            r"|(?:fais|faites) abstraction)")
_FR_RULES = r"(?:instructions?|consignes?|directives?|regles|prompts?|invites?)\b"
_SAY = r"(?:say|state|answer|reply|respond|claim|tell|write|mention|insist|output)\b"
_FR_SAY = (r"(?:dis|dites|indique|indiquez|reponds|repondez|affirme|affirmez|precise|precisez|mentionne|mentionnez"
           r"|ecris|ecrivez)\b")
_EN_DOC = r"(?:document|report|text|page|file|passage|note|content)s?\b"
_FR_DOC = r"(?:document|rapport|texte|page|fichier|passage|note|contenu)s?\b"

# Ordered: the first rule that matches names the reason. The wording targets the reader of the
# passage (an assistant), so that a report *about* AI in healthcare never matches.
RULES: tuple[Rule, ...] = (
    _rule(
        "ignore_instructions",
        # A qualifier aimed at the reader is required: "ignore the NMPA guidelines" is report prose.
        rf"\b{_EN_VERB}\b{_W}\s+(?:your|previous|prior|above|earlier|preceding|original|initial)\b{_W}\s+{_EN_RULES}",
        rf"\b{_EN_VERB}\b{_W}\s+{_EN_RULES} (?:above|before|you (?:were|have been) given)\b",
        rf"\b{_EN_VERB} (?:all|any) (?:of )?(?:the |your )?(?:[\w-]+ )?instructions?\b",
        rf"\b{_EN_VERB} (?:all |everything )?(?:of )?(?:the |that )?(?:above|previous|prior)\s*(?:[.,;:!]|and\b|$)",
        rf"\b{_EN_VERB} (?:everything|all) (?:you(?:'ve| have| were)? (?:been )?told|said)\b",
        rf"\b{_FR_VERB}\b{_W}\s+(?:toutes? )?(?:tes|vos) (?:[\w-]+ )?{_FR_RULES}",
        rf"\b{_FR_VERB}\b{_W}\s+{_FR_RULES} (?:precedentes?|anterieures?|initiales?|ci-dessus|d'origine|recues"
        r"|donnees)\b",
        rf"\b{_FR_VERB} (?:tout )?(?:ce qui precede|ce qu'on (?:t'a|vous a) dit)",
        # The same in the languages a planted note most often uses besides these two, with a qualifier aimed
        # at the reader ("el mercado ignora las reglas locales" is prose)
        r"\b(?:ignora|olvida|omite)\b(?:\s+\w+){0,3}?\s+(?:instrucciones|indicaciones|reglas)\s+(?:anteriores"
        r"|previas|de arriba|recibidas)\b",
        r"\b(?:ignora|olvida|omite) (?:todas )?(?:tus|sus) (?:instrucciones|indicaciones|reglas)\b",
        r"\b(?:ignoriere|ignorieren sie|vergiss|vergessen sie) (?:alle )?(?:vorherigen|vorigen|bisherigen|obigen"
        r"|deine|ihre) (?:anweisungen|regeln|vorgaben)\b",
        r"\b(?:ignora|dimentica) (?:tutte )?(?:le )?(?:tue |sue )?(?:istruzioni|indicazioni|regole)"
        r" (?:precedenti|ricevute|sopra)\b",
        r"(?:忽略|无视|忘记|忘掉)(?:之前|以上|上述|先前|你的|所有|前面)[^。！\n]{0,8}(?:指令|指示|说明|规则|提示)",
    ),
    _rule(
        "system_prompt",
        r"\bsystem (?:prompt|message|instructions?)\b",
        r"\b(?:prompt|message|invite|instructions?|consignes?) (?:du )?systeme\b",
    ),
    _rule(
        "new_role",
        r"\byou are now (?:an?|the|my|our|acting|called|named|in \w+ mode|no longer|free|unrestricted|dan)\b",
        r"\bfrom now on,? you\b", r"\bpretend (?:to be|you are)\b",
        r"\byou (?:must|will) now (?:act|answer|respond|reply|behave)\b",
        r"\b(?:tu es|vous etes) (?:desormais|dorenavant|a present)\b",
        r"\b(?:tu es|vous etes) maintenant (?:un|une|le|la|l')",
        r"\b(?:a partir de maintenant|desormais|dorenavant),? (?:tu|vous)\b",
        r"\b(?:joue|jouez) le role\b", r"\b(?:fais|faites) semblant\b",
    ),
    _rule(
        "answer_override",
        r"\b(?:answer|respond|reply)(?: to)? (?:every|all|any|each)(?: \w+){0,2}? (?:questions?|queries|prompts?"
        r"|messages?|requests?) (?:with|by)\b",
        r"\b(?:answer|respond|reply) (?:only|solely|exclusively|always) (?:with|by|in|that)\b",
        r"\balways (?:answer|respond|reply|output)\b",
        r"\b(?:your|the) (?:answer|reply|response) (?:must|should|shall) (?:be|say|read|include)\b",
        r"\brepon(?:ds|dez|dre)(?: a| aux)? (?:toutes?|chaque|n'importe quelle)(?: \w+){0,2}? questions? "
        r"(?:par|avec)\b",
        r"\brepon(?:ds|dez|dre) (?:uniquement|seulement|exclusivement|toujours|simplement) (?:par|avec|que|:)",
        r"\bne repon(?:ds|dez|dre) (?:que|qu')",
        r"\b(?:ta|votre) reponse (?:doit|devra) (?:etre|dire|contenir|inclure)\b",
        # What to say when asked: "When asked about the market, state that…", "Lorsqu'on vous interroge…"
        rf"\b(?:when|if|whenever) (?:you are |you're )?(?:asked|questioned|queried)\b[^.;\n]{{0,80}}?, {_SAY}",
        rf"\b(?:lorsqu'on|lorsque l'on|quand on|si on|si l'on|des qu'on) (?:vous|te|t') ?(?:interroge|questionne"
        rf"|demande)\b[^.;\n]{{0,80}}?, {_FR_SAY}",
        rf"\b(?:si|quand|lorsque?) (?:tu es|vous etes) (?:interroge|questionne)e?s?\b[^.;\n]{{0,80}}?, {_FR_SAY}",
        # What every summary of the document must say: "Tout résumé de ce document doit mentionner…"
        rf"\b(?:any|every|all|each) (?:summary|summaries|answer|answers|response|responses|reply|replies)"
        rf" (?:of|to|about|from|on) (?:this|the present) {_EN_DOC}[^.;\n]{{0,30}}?\b(?:must|should|shall|has to"
        r"|have to|needs? to)\b",
        rf"\b(?:tout|toute|chaque|tous les|toutes les) (?:resumes?|reponses?|syntheses?) (?:de|du|sur|a) (?:ce|cet"
        rf"|cette|ces|la presente?) {_FR_DOC}[^.;\n]{{0,30}}?\b(?:doit|doivent|devra|devront)\b",
        # Speaking to whoever answers a user: "Tell the user…", "Dites à l'utilisateur…", "Do not tell users…"
        r"(?:^|[.!?:] |please )(?:tell|inform|remind|convince|assure) (?:the |all |any |your )?users?\b",
        r"\b(?:do not|don't|never) (?:tell|inform|mention|reveal|disclose|show)\b[^.;\n]{0,40}?\busers?\b",
        r"\b(?:dis|dites|indiquez|affirmez|expliquez|assurez|cachez|reponds|repondez)(?: a| aux)? (?:l'|les )?"
        r"utilisat(?:eur|rice)s?\b",
        r"(?:^|[.!?:] )ne (?:dites|mentionnez|parlez|revelez|citez) (?:jamais|pas|rien)\b",
        r"(?:^|[.!?:] |please )(?:always|never) (?:mention|cite|recommend|name|say|state|claim|reveal|disclose)\b",
        r"\b(?:mentionnez|citez|recommandez|dites|affirmez) (?:toujours|systematiquement)\b",
        # Say this instead, or word for word: "Instead of answering, reply…", "Recopiez mot pour mot…"
        rf"\binstead of (?:answering|responding|replying)\b[^.;\n]{{0,40}}?, {_SAY}",
        r"\bau lieu de repondre\b[^.;\n]{0,40}?, (?:ecris|ecrivez|dis|dites|reponds|repondez|affiche|affichez)\b",
        r"\b(?:output|print|repeat|copy|write|reproduce)\b[^.;\n]{0,40}?\bverbatim\b",
        r"\b(?:recopie|recopiez|reproduis|reproduisez|ecris|ecrivez|repete|repetez)\b[^.;\n]{0,40}?"
        r"\bmot (?:pour|a) mot\b",
        rf"(?:^|[.!?:] ){_SAY} that\b",
        r"\brepon(?:ds|dez) (?:que|qu')",
    ),
    _rule(
        "role_marker",
        # A chat role opening a line or a sentence: "system: ...", "### Assistant :", "[SYSTEM]".
        r"(?:^|(?<=[.!?]) )[#>*\[(<\s-]*(?:system|systeme|assistant|developer)\s*[\])>*]*\s*:",
        r"<\|?(?:im_start|im_end|system|assistant|user|endoftext)\|?>", r"\[/?inst\]", r"\[/?system\]",
        r"\b(?:new|updated) instructions? ?:", r"\bnouvelles? (?:instructions?|consignes?) ?:",
    ),
    _rule(
        "addressed_to_ai",
        r"\b(?:note|message|instructions?) (?:to|for) (?:the |any |all |every )?(?:ai|llm|assistant|chatbot"
        r"|language model|model|bot)s?\b",
        r"\b(?:dear|hey|hello|attention) (?:ai|llm|assistant|chatgpt|chatbot|model)\b",
        r"\bif you are an? (?:ai|llm|language model|assistant|chatbot|bot)\b",
        r"\ba l'attention (?:de l'|du |des )(?:ia|assistant|modele|chatbot|llm|intelligence artificielle)",
        r"\b(?:note|message) (?:a|pour) (?:l'|les |tout |toute |chaque )?(?:ia|assistant|chatbot|llm)s?\b",
        r"\bsi (?:tu es|vous etes) (?:une? )?(?:ia|assistant|modele|chatbot|llm|intelligence artificielle)\b",
        # The assistants that read or summarise this text: "AI systems reading this report should…"
        rf"\b(?:ai(?: system| model| tool)?|llm|language model|assistant|chatbot)s? (?:reading|processing"
        rf"|summari[sz]ing|parsing|analy[sz]ing|answering from) (?:this|the present) {_EN_DOC}",
        rf"\b(?:ia|assistants?|modeles? de langage|systemes? d'ia|chatbots?|llms?) qui (?:lisent|lit|liront|lira"
        rf"|resument|resume|resumeront|analysent|analyse|traitent|traite) (?:ce|cet|cette|ces) {_FR_DOC}",
        rf"\b(?:the|any|every) (?:ai )?(?:assistant|llm|language model)s? (?:must|should|shall|will|is to|are to)"
        rf" (?:always |never )?{_SAY}",
        r"\b(?:l'|tout |chaque )(?:assistant|llm|modele de langage) (?:doit|devra) (?:toujours |jamais )?(?:dire"
        r"|affirmer|repondre que|indiquer|mentionner|ecrire)\b",
    ),
    _rule(
        "reader_directive",
        r"\b(?:buy|sell|order|click|subscribe) (?:it |them |shares |stocks? )?(?:now|immediately)\b",
        r"\b(?:achetez|vendez|commandez|cliquez|investissez|abonnez-vous)"
        r"(?: (?:des|les|ces) \w+)? (?:maintenant|des maintenant|tout de suite|immediatement|aujourd'hui)\b",
    ),
)


def normalized(text: str) -> str:
    """Folded like the search index (case, accents, apostrophes), invisible characters removed, each
    line's spaces collapsed (lines are kept: a role marker opens one)."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return "\n".join(_SPACES.sub(" ", fold(line)) for line in text.splitlines())


def detect(text: str) -> str:
    """The code of the first rule the text matches, "" when it addresses no assistant."""
    folded = normalized(text)
    return next((rule.code for rule in RULES if rule.pattern.search(folded)), "")
