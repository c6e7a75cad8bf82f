"""A yes/no question whose premise the report does not make is answered 'not as asked', in the report's words."""
from bot.checks import Context, Verdict, verify
from bot.evidence import Evidence
from bot.premise import corrected
from bot.prompts import NOT_JOINED, NOT_SAID_OF, QUOTED, TRANSLATED
from bot.questions import is_yes_no
from bot.types import Chunk, Passage, Withdrawn

from fakes import HashEmbedder

PHILIPS = ("Philips a localisé ses opérations d'imagerie IA en établissant des centres de traitement de données "
           "sécurisés dans le pays avec des protocoles de partage de données.")
YITU = "Yitu Technology a investi dans des moteurs de nettoyage de données pour les dossiers des hôpitaux chinois."
YITU_QUESTION = ("Est-ce Yitu Technology qui a établi des centres de traitement de données sécurisés dans le pays "
                 "avec des protocoles de partage ?")
YITU_DRAFT = ("Oui, Yitu Technology a établi des centres de traitement de données sécurisés dans le pays avec des "
              "protocoles de partage de données [1].")


def context(question: str, texts: list[str], read=()) -> Context:
    shown = [Passage(Chunk(id=f"c{n}", source="r.txt", section="S", location="S, § 1", text=t), n, 1.0, 0.9)
             for n, t in enumerate(texts, 1)]
    embedder = HashEmbedder()
    return Context.of(question, shown, Evidence(embedder, shown, lambda: embedder.embed_documents(texts), read))


def test_said_of_another_company_is_a_no_quoting_what_the_report_says_of_whom():
    ctx = context(YITU_QUESTION, [PHILIPS, YITU])
    verdict = verify(YITU_DRAFT, YITU_QUESTION, ctx.passages, ctx.evidence)
    assert verdict.refusal == "misbound_name"  # the checks decline the model's 'yes'
    answer = corrected(verdict, verdict.withdrawn, ctx, "fr")
    assert answer.refusal == "" and answer.cited == (1,)
    lead, quoted = answer.text.split("\n")
    assert lead == NOT_SAID_OF["fr"].format(name="Yitu Technology")
    assert quoted == QUOTED["fr"].format(sentence=PHILIPS, n=1, translated="")


def test_the_sentence_quoted_names_who_the_report_says_it_of():
    nobody = "Cela inclut des centres de traitement de données sécurisés dans le pays avec des protocoles de partage."
    ctx = context(YITU_QUESTION, [nobody + " " + PHILIPS, YITU])
    assert ctx.evidence.sentence_scores(YITU_DRAFT)[0].sentence == nobody  # closest, but names no one
    verdict = verify(YITU_DRAFT, YITU_QUESTION, ctx.passages, ctx.evidence)
    assert corrected(verdict, verdict.withdrawn, ctx, "fr").text.split("\n")[1] == QUOTED["fr"].format(
        sentence=PHILIPS, n=1, translated="")


def test_a_later_draft_declining_keeps_the_first_drafts_misattribution():
    ctx = context(YITU_QUESTION, [PHILIPS, YITU])
    first = verify(YITU_DRAFT, YITU_QUESTION, ctx.passages, ctx.evidence)
    declined = Verdict("", (), "not_found", (), 0, ())
    assert "Philips" in corrected(declined, first.withdrawn, ctx, "fr").text


def test_an_english_reader_gets_the_rendering_never_the_french():
    english = ("Philips localized its AI imaging operations by setting up secure in-country data processing "
               "centers with data sharing protocols.")
    question = ("Was it Yitu Technology that set up secure in-country data processing centers with data sharing "
                "protocols?")
    draft = "Yes, Yitu Technology set up secure in-country data processing centers with data sharing protocols [1]."
    read = [english, None]
    ctx = context(question, [PHILIPS, YITU], read)
    verdict = verify(draft, question, ctx.passages, ctx.evidence)
    answer = corrected(verdict, verdict.withdrawn, ctx, "en", read)
    assert answer.text.split("\n")[1] == QUOTED["en"].format(sentence=english, n=1, translated=TRANSLATED[True]["en"])
    assert corrected(verdict, verdict.withdrawn, ctx, "en", [None, None]).refusal  # no rendering: no French


def test_names_the_passages_never_join_get_what_the_report_says_of_each():
    drugs = "Les initiatives de découverte de médicaments font partie du plan quinquennal, le 14e."
    healthy = "Le plan Healthy China 2030 fait partie des initiatives du gouvernement pour les patients."
    question = "Est-ce que les initiatives de découverte de médicaments font partie du plan Healthy China 2030 ?"
    ctx = context(question, [drugs, healthy])
    verdict = verify("Oui, elles font partie de Healthy China 2030 [1].", question, ctx.passages, ctx.evidence)
    assert verdict.refusal == "false_premise"
    answer = corrected(verdict, verdict.withdrawn, ctx, "fr")
    lead, *quoted = answer.text.split("\n")
    assert lead == NOT_JOINED["fr"] and quoted == [QUOTED["fr"].format(sentence=drugs, n=1, translated="")]
    assert answer.cited == (1,)  # the sentence naming Healthy China is not close enough to the question
    # one passage joining them: the premise may hold, the refusal stands
    joined = context(question, [drugs + " Le plan Healthy China 2030 les soutient.", healthy])
    assert corrected(verdict, (), joined, "fr") == verdict
    # a name the passages never give: nothing to say of it, the refusal stands
    absent = "Est-ce que les initiatives de découverte de médicaments font partie du plan Zhejiang Santé Plus ?"
    assert corrected(verdict, (), context(absent, [drugs, healthy]), "fr") == verdict


def test_only_a_declined_yes_no_question_is_corrected():
    ctx = context(YITU_QUESTION, [PHILIPS, YITU])
    withdrawn = (Withdrawn(YITU_DRAFT, "misbound_name"),)
    standing = Verdict("Philips l'a fait [1].", (1,), "", (), 0, ())
    assert corrected(standing, withdrawn, ctx, "fr") == standing
    open_question = "Quelle entreprise a établi des centres de traitement de données sécurisés dans le pays ?"
    declined = Verdict("", (), "misbound_name", withdrawn, 0, ())
    assert corrected(declined, withdrawn, context(open_question, [PHILIPS, YITU]), "fr") == declined
    assert is_yes_no(YITU_QUESTION) and is_yes_no("Was it Yitu that did it?") and not is_yes_no(open_question)
