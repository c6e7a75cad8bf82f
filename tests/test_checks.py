"""The answer checks on the real report's passages: figures bound to their year, name and class; names
grounded; answer-level rules; each verdict with its reason."""
import pytest

from bot.chunk import chunk_corpus
from bot.checks import verify
from bot.ingest import load_corpus
from bot.types import Passage
from bot.questions import asks_quantity

from conftest import REPORT

CHUNKS = chunk_corpus(load_corpus(REPORT.parent), 700)


def passages(*needles: str) -> list[Passage]:
    """The real report's chunks holding these texts, numbered [1], [2]… in that order."""
    found = [next(c for c in CHUNKS if needle in c.text) for needle in needles]
    return [Passage(c, i, 1.0, 0.8) for i, c in enumerate(found, 1)]


MARKET = passages("18,88 milliards", "Ali Health, JD Health")
DEVICES = passages("92 dispositifs", "38 000+")


@pytest.mark.parametrize("question,draft", [
    ("What is the projected market size in 2030?", "16,02 milliards of dollars US from 2023 to 2030 [1]."),
    ("Quelle est la taille du marché en 2030 ?", "Le marché atteindra 16,02 milliards de dollars US en 2030 [1]."),
    ("2030年中国医疗人工智能市场规模预计是多少？", "The market will reach US$16.02 billion [1]."),
    ("Quel est le chiffre d'affaires annuel de JD Health ?", "Le chiffre d'affaires est de 16,02 milliards de dollars US [1]."),
    ("What is JD Health's annual revenue?", "JD Health's revenue is US$18.88 billion [1]."),
    ("How many class II AI devices had the NMPA approved by mid-2024?", "The NMPA had approved 92 devices by mid-2024 [1]."),
    # another currency than the passage's
    ("What is the market worth in 2028 in euros?", "The market is worth 16.02 billion euros in 2028 [1]."),
    # the whole market's figure given as a company's (a name of several words in a short question)
    ("Quel est le chiffre d'affaires de Ping An Good Doctor en 2023 ?", "1,59 milliard de dollars US [1]."),
])
def test_a_figure_attached_to_something_else_is_declined_with_its_reason(question, draft):
    ps = DEVICES if "92" in draft else MARKET
    verdict = verify(draft, question, ps)
    assert verdict.refusal in ("misbound_figure", "other_year"), verdict
    assert verdict.text == "" and verdict.cited == ()
    assert any(w.reason == "misbound_figure" for w in verdict.withdrawn) or verdict.refusal == "other_year"


@pytest.mark.parametrize("question,draft", [
    ("What is the projected market size in 2030?", "The market should reach 18,88 milliards de dollars US by 2030 [1]."),
    ("2030年中国医疗人工智能市场规模预计是多少？", "By 2030 the market is expected to reach US$18.88 billion [1]."),
    ("Quelle est la taille du marché en 2030 ?",
     "Le marché valait 1,59 milliard de dollars US en 2023 et atteindra 18,88 milliards de dollars US d'ici 2030 [1]."),
    ("How many class III AI devices had the NMPA approved by mid-2024?",
     "By mid-2024, the NMPA had approved 92 AI-powered class III medical devices [1]."),
    ("What CAGR does the report give?", "The market grows at a CAGR of 42.5% [1]."),
    ("What is the market worth in 2028?", "The market is projected to be worth 16.02 billion US dollars by 2028 [1]."),
    # 'AI-powered' says what the market is like: the figure need not be attached to those words
    ("How big will China's AI-powered healthcare market be in 2030?",
     "China's AI-powered healthcare market should reach US$18.88 billion by 2030 [1]."),
    ("Quelle sera la taille du marché des solutions alimentées par l'IA en 2030 ?",
     "Le marché atteindra 18,88 milliards de dollars US d'ici 2030 [1]."),
])
def test_a_figure_bound_as_the_passage_binds_it_stands(question, draft):
    ps = DEVICES if "92" in draft else MARKET
    verdict = verify(draft, question, ps)
    assert verdict.refusal == "" and verdict.cited == (1,), verdict


def test_a_company_of_several_words_is_what_a_short_question_is_about():
    from bot.binding import subjects_in

    assert subjects_in("Quel est le chiffre d'affaires de Ping An Good Doctor en 2023 ?") == ["Ping An Good Doctor"]
    assert subjects_in("Quel rôle joue Tencent Miying ?") == ["Tencent Miying"]
    assert subjects_in("What Is The Market Size In 2030?") == []  # Title Case: capitals say nothing


def test_the_repair_quotes_no_clause_of_another_company():
    verdict = verify("16,02 milliards de dollars US [1].", "Quel est le chiffre d'affaires de Ping An Good Doctor en 2023 ?",
                     MARKET)
    assert verdict.refusal and not any("1,59" in quote for quote in verdict.repair)


def test_the_repair_quotes_the_clause_that_holds_the_asked_year():
    verdict = verify("16,02 milliards de dollars US [1].", "Quelle est la taille du marché en 2030 ?", MARKET)
    assert verdict.refusal and verdict.repair
    assert any("18,88" in quote and "2030" in quote for quote in verdict.repair)
    assert not any("16,02" in quote for quote in verdict.repair)
    # nothing in the passages is JD Health's revenue: no second attempt, a refusal
    jd = verify("16,02 milliards de dollars US [1].", "Quel est le chiffre d'affaires annuel de JD Health ?", MARKET)
    assert jd.refusal == "misbound_figure" and jd.repair == ()


def test_an_invented_expansion_is_removed_and_the_sentence_kept():
    ps = passages("entreprises entièrement étrangères (WFOE)")
    verdict = verify("Foreign firms can enter through a WFOE (Workforce Outsourcing Enterprise) [1].",
                     "How can foreign firms enter?", ps)
    assert verdict.refusal == "" and "Workforce" not in verdict.text and "WFOE" in verdict.text
    right = verify("Foreign firms can enter through a WFOE (wholly foreign-owned enterprise) [1].",
                   "How can foreign firms enter?", ps)
    assert "wholly foreign-owned enterprise" in right.text


@pytest.mark.parametrize("draft,kept", [
    ("Shanghai Hospital a testé l'outil de Deepwise [1].", False),  # each word is the report's, the name is not
    ("Deepwise's stroke tool was tested at Ruijin Hospital in Shanghai [1].", False),
    ("L'outil de Deepwise est utilisé à l'Hôpital Ruijin [1].", False),
    ("Deepwise's stroke tool is used in tier-2 and tier-3 Hospitals [1].", True),  # a kind of hospital, not one
    ("L'outil de Deepwise est utilisé dans les hôpitaux de niveau 2 et 3 [1].", True),
])
def test_an_invented_hospital_or_university_withdraws_its_sentence(draft, kept):
    ps = passages("Deepwise, par exemple")
    verdict = verify(draft, "Quel hôpital de Shanghai a testé l'outil de Deepwise ?", ps)
    assert (verdict.refusal == "") is kept, verdict
    if not kept:
        assert [w.reason for w in verdict.withdrawn] == ["ungrounded_name"]


def test_an_invented_person_or_company_withdraws_its_sentence():
    ps = passages("Ali Health, JD Health")
    verdict = verify("Ping An Good Doctor dominates rural telemedicine [1]. It is directed by Mr. Li [1].",
                     "Who leads rural telemedicine?", ps)
    assert verdict.text == "Ping An Good Doctor dominates rural telemedicine [1]."
    assert [(w.reason, w.detail) for w in verdict.withdrawn] == [("ungrounded_name", "Li")]
    invented = verify("Zorblax Health dominates rural telemedicine [1].", "Who leads rural telemedicine?", ps)
    assert invented.refusal == "ungrounded_name"


def test_names_written_the_english_way_are_grounded():
    ps = passages("Zhongguancun à Pékin")
    verdict = verify("Zones such as Zhongguancun in Beijing offer tax incentives [1].",
                     "Which zones offer incentives?", ps)
    assert verdict.refusal == "" and verdict.cited == (1,)
    tcm = verify("Foreign-funded digital TCM companies are mainly allowed in FTZs such as Hainan Boao Lecheng [1].",
                 "What about TCM?", passages("ZFE comme Hainan Boao Lecheng"))
    assert tcm.refusal == "", tcm


def test_a_person_question_is_declined_when_the_report_names_no_one():
    ps = passages("Des entreprises comme Infervision")
    verdict = verify("Infervision is led by its founders [1].", "Who is the CEO of Infervision?", ps)
    assert verdict.refusal == "no_person"


@pytest.mark.parametrize("draft,reason", [
    ("Zhongguancun [1].", "fragment"),
    ("Passages [1] and [2] [2].", "empty"),
    ("[1]", "empty"),
    ("NOT_FOUND", "not_found"),
    ("La zone d'innovation de Pékin le rapport cite-t-il pour ses incitations [1].", "echo"),
])
def test_garbage_is_never_an_answer(draft, reason):
    verdict = verify(draft, "Quelle zone d'innovation de Pékin le rapport cite-t-il pour ses incitations ?",
                     passages("Zhongguancun à Pékin", "Ali Health, JD Health"))
    assert verdict.refusal == reason and verdict.text == ""


def test_a_quantity_question_needs_a_figure_and_a_share_question_a_share():
    ps = DEVICES
    vague = verify("The NMPA approved many devices [1].", "How many class III devices did the NMPA approve?", ps)
    assert vague.refusal == "no_figure"
    share = verify("There are 38 000+ public hospitals [2].", "What share of public hospitals use AI?", ps)
    assert share.refusal == "wrong_unit"
    count = verify("There are 38 000+ public hospitals [2].", "How many public hospitals are there?", ps)
    assert count.refusal == ""


@pytest.mark.parametrize("draft,reason", [
    ("The market was worth US$16.02 billion in 2028 [1].", "unmarked_forecast"),
    ("Le marché valait 18,88 milliards de dollars US en 2030 [1].", "unmarked_forecast"),
    # said as a forecast, or a figure the report states as a fact
    ("The market is projected to be worth US$16.02 billion by 2028 [1].", ""),
    ("The market should reach US$18.88 billion by 2030 [1].", ""),
    ("Le marché devrait atteindre 18,88 milliards de dollars US en 2030 [1].", ""),
    ("The market was valued at US$1.59 billion in 2023 [1].", ""),
])
def test_a_figure_the_report_forecasts_is_said_as_a_forecast(draft, reason):
    verdict = verify(draft, "How big is the market?", MARKET)
    assert verdict.refusal == reason, verdict
    if reason:  # asked again, quoting what the report says
        assert verdict.repair and any("d'ici" in quote for quote in verdict.repair)


def test_an_answer_repeating_the_question_is_an_echo():
    question = "Quelle zone d'innovation de Pékin le rapport cite-t-il pour ses incitations ?"
    ps = passages("Zhongguancun à Pékin")
    echo = verify("La zone d'innovation de Pékin le rapport cite-t-il pour ses incitations [1].", question, ps)
    assert echo.refusal == "echo" and echo.cited == ()
    answer = verify("Le rapport cite Zhongguancun à Pékin pour ses incitations [1].", question, ps)
    assert answer.refusal == "" and answer.cited == (1,)


def test_an_answer_repeating_the_question_in_the_reports_terms_is_an_echo():
    # 'EMR' is the report's 'DME': the draft says nothing the question did not
    question = "What should foreign firms budget for to deal with fragmented EMR systems?"
    ps = passages("budgétisez largement pour la normalisation des données")
    echo = verify("Foreign firms should budget for DME to deal with fragmented EMR systems [1].", question, ps)
    assert echo.refusal == "echo"
    answer = verify("Foreign firms should budget for data normalisation [1].", question, ps)
    assert answer.refusal == ""


@pytest.mark.parametrize("question,draft,refusal", [
    ("Which is more restrictive for foreign AI health firms: Hainan Boao Lecheng or the Greater Bay Area?",
     "The Greater Bay Area is more restrictive for foreign AI health firms [1].", ""),
    ("Laquelle est la plus restrictive, Hainan Boao Lecheng ou la Grande Baie ?",
     "La Grande Baie est la plus restrictive [1].", ""),
    ("Is Hainan Boao Lecheng or the Greater Bay Area more restrictive?",
     "The Greater Bay Area is more restrictive [1].", ""),
    # both things offered, or neither: the question repeated
    ("Which is more restrictive for foreign AI health firms: Hainan Boao Lecheng or the Greater Bay Area?",
     "Hainan Boao Lecheng or the Greater Bay Area is more restrictive for foreign AI health firms [1].", "echo"),
    ("Which is more restrictive for foreign AI health firms: Hainan Boao Lecheng or the Greater Bay Area?",
     "Which is more restrictive for foreign AI health firms [1].", "echo"),
])
def test_an_answer_picking_one_of_two_things_offered_is_no_echo(question, draft, refusal):
    verdict = verify(draft, question, passages("plus restrictif que Hainan Boao Lecheng"))
    assert verdict.refusal == refusal, verdict


@pytest.mark.parametrize("draft,kept", [
    ("The route that fits is [1].", False),
    ("Le modèle qui convient est [1].", False),
    ("Zhongguancun offers tax incentives, according to the passage from [1].", True),
    ("Which route fits [1]? Zhongguancun offers tax incentives [1].", True),  # the question repeated goes
    ("The report identifies three entry modes: [1]", True),
    ("A joint venture fits: the partner carries the approvals [1].", True),
    ("Zhongguancun offers tax incentives [1].", True),
])
def test_a_sentence_stopping_before_it_says_anything_is_withdrawn(draft, kept):
    verdict = verify(draft, "Which route fits?", passages("Zhongguancun à Pékin"))
    assert (verdict.refusal == "") is kept
    assert kept or verdict.refusal == "unfinished" and verdict.withdrawn[0].reason == "unfinished"
    assert "?" not in verdict.text


def test_a_how_many_question_is_answered_by_a_figure_or_a_number_word():
    ps = passages("38 000+", "Ali Health, JD Health")
    question = "How many hospitals use Ali Health's tools?"
    assert verify("Ali Health tools are used in many hospitals [2].", question, ps).refusal == "no_figure"
    assert verify("Public hospitals number 38 000 [1].", "How many public hospitals?", ps).cited == (1,)
    assert verify("Three companies lead: Ali Health, JD Health and Ping An Good Doctor [2].",
                  "How many companies lead rural telemedicine?", ps).cited == (2,)
    assert verify("Ali Health leads rural telemedicine [2].", "Who leads?", ps).cited == (2,)


def test_a_figure_of_the_whole_market_is_not_a_segments_figure():
    verdict = verify("Le TCAC est de 42,5 % [1].", "Quel est le TCAC du segment de la télémédecine en Chine ?", MARKET)
    assert verdict.refusal == "misbound_figure"
    assert verify("Le rapport retient un TCAC de 42,5 % [1].", "Quel TCAC le rapport retient-il ?", MARKET).refusal == ""
    hainan = verify("There are 38 000+ public hospitals [2].", "How many hospitals are in the Hainan pilot zone?", DEVICES)
    assert hainan.refusal == "misbound_figure"


def test_a_tier_is_a_label_not_a_count():
    ps = passages("hôpitaux de niveau 3 dans les principaux pôles")
    verdict = verify("3 [1].", "Combien d'hôpitaux participent au projet pilote de Shanghai ?", ps)
    assert verdict.refusal == "misbound_figure"
    assert verify("Tier-3 hospitals in Shanghai and Guangzhou offer fertile ground for real-world testing [1].",
                  "Where can diagnostic tools be tested?", ps).refusal == ""


def test_a_country_the_report_does_not_cover_gets_no_figure():
    assert verify("Le marché atteindra 18,88 milliards de dollars US d'ici 2030 [1].",
                  "Quelle est la taille du marché au Japon en 2030 ?", MARKET).refusal == "misbound_figure"


def test_a_lowercase_description_before_an_acronym_is_not_taken_for_an_expansion():
    ps = passages("92 dispositifs")
    verdict = verify("NMPA est l'Administration nationale des produits médicaux (NMPA), qui a approuvé 92 dispositifs [1].",
                     "NMPA ?", ps)
    assert verdict.text.startswith("NMPA est l'Administration nationale des produits médicaux (NMPA)")
    invented = verify("The Workforce Outsourcing Enterprise (WFOE) route is open [1].", "How can firms enter?",
                      passages("entreprises entièrement étrangères (WFOE)"))
    assert "Workforce" not in invented.text and "WFOE" in invented.text


def test_an_acronym_and_its_expansion_are_one_subject():
    verdict = verify("Le rapport retient un TCAC de 42,5 % [1].",
                     "Quel taux de croissance annuel composé le rapport retient-il pour ce marché ?", MARKET)
    assert verdict.refusal == "" and verdict.cited == (1,)


def test_another_document_stating_another_figure_is_reported_as_a_disagreement():
    from bot.types import Chunk

    note = Chunk("n1", "note.md", "Note", "Note ¶1", "Selon cette note, le marché atteindra 25 milliards de dollars US "
                 "d'ici 2030. Il comptait 40 startups en 2023.")
    ps = [MARKET[0], Passage(note, 2, 1.0, 0.8)]
    verdict = verify("Le marché atteindra 18,88 milliards de dollars US d'ici 2030 [1].",
                     "Quelle est la taille du marché en 2030 ?", ps)
    assert verdict.refusal == "" and verdict.conflicts == (
        (2, "note.md", "Selon cette note, le marché atteindra 25 milliards de dollars US d'ici 2030"),)
    same_doc = verify("Le marché atteindra 18,88 milliards de dollars US d'ici 2030 [1].",
                      "Quelle est la taille du marché en 2030 ?", [MARKET[0], MARKET[1]])
    assert same_doc.conflicts == ()  # one report's other figures are other things, not a disagreement


PRIVACY_AND_EMR = passages("Philips a localisé", "Yitu Technology a abordé")


def evidence_for(ps, embedder):
    from bot.evidence import Evidence

    return Evidence(embedder, ps, lambda: embedder.embed_documents([p.chunk.text for p in ps]))


class FixedEvidence:
    """Stand-in closeness: every passage close enough to cite, and each passage sentence at a set score."""

    def __init__(self, ps, scores: dict[str, float]):
        self.ps, self.scores = ps, scores
        self.texts = [p.chunk.text for p in ps]
        self.heads = [p.chunk.text.partition("\n")[0] if p.chunk.kind == "table_row" else "" for p in ps]

    def passage_scores(self, sentences):
        return [[0.9] * len(self.ps) for _ in sentences]

    def sentence_scores(self, text):
        from bot.evidence import Scored

        found = [Scored(score, n, s) for n, p in enumerate(self.ps, 1) for s in p.chunk.text.splitlines()
                 for needle, score in self.scores.items() if needle in s]
        return sorted(found, key=lambda x: -x.score)


@pytest.mark.parametrize("philips,yitu,reason", [(0.80, 0.50, "misbound_name"), (0.80, 0.60, "")])
def test_a_name_given_for_what_the_report_says_of_another_is_withdrawn_with_the_right_clause(philips, yitu, reason):
    ps = PRIVACY_AND_EMR
    question = "Quelle entreprise a établi des centres de traitement de données sécurisés dans le pays ?"
    evidence = FixedEvidence(ps, {"Philips a localisé": philips, "Yitu Technology a abordé": yitu})
    verdict = verify("Yitu Technology a établi des centres de traitement de données sécurisés [2].", question, ps,
                     evidence)
    assert verdict.refusal == reason
    if reason:
        assert [w.reason for w in verdict.withdrawn] == ["misbound_name"]
        assert verdict.repair and verdict.repair[0].startswith("[1] « Exemple réel : Philips a localisé")
    right = verify("Philips a établi des centres de traitement de données sécurisés [1].", question, ps, evidence)
    assert right.refusal == "" and right.cited == (1,)


def test_a_class_question_answered_with_another_class_is_declined():
    question = "How many class II AI medical devices has the NMPA approved?"
    verdict = verify("92 class III devices had been approved by the NMPA by mid-2024 [1].", question, DEVICES)
    assert verdict.refusal == "other_class" and not verdict.text
    same = verify("92 class III devices had been approved by the NMPA by mid-2024 [1].",
                  "How many class III AI medical devices has the NMPA approved?", DEVICES)
    assert same.refusal == "" and same.cited == (1,)


@pytest.mark.integration
@pytest.mark.parametrize("draft,reason", [
    ("Yes, Yitu Technology set up secure in-country data processing centres in China [2].", "misbound_name"),
    ("No, Philips set up secure in-country data processing centres in China [1].", ""),
    ("Yitu Technology invested in advanced data-cleaning engines [2].", ""),
])
def test_names_are_bound_to_what_the_report_says_of_them_with_the_real_embedder(real_pipeline, draft, reason):
    ps = PRIVACY_AND_EMR
    question = "Was it Yitu Technology that set up secure in-country data processing centres in China?"
    verdict = verify(draft, question, ps, evidence_for(ps, real_pipeline.embedder))
    assert verdict.refusal == reason, verdict


def test_yes_to_what_no_cited_passage_says_is_declined():
    ps = passages("découverte intelligente de médicaments", "Initiative Healthy China 2030")
    question = "Are China's smart drug discovery initiatives part of Healthy China 2030?"
    # The figure 2030 sends the citation to the Healthy China passage, which says nothing of drug discovery.
    for draft in ("Yes, China's smart drug discovery initiatives are part of Healthy China 2030 [1].",
                  "Yes, they are part of Healthy China 2030 [1][2]."):
        wrong = verify(draft, question, ps)
        assert wrong.refusal == "false_premise" and not wrong.text, wrong
    plan = verify("No, they come under the 14th Five-Year Plan [1].", question, ps)
    assert plan.refusal == ""
    # One cited passage joins what the question is about: yes stands.
    right = verify("Yes, WeDoctor's chronic disease platform is backed by Tencent [2].",
                   "Is WeDoctor's chronic disease platform backed by Tencent?", ps)
    assert right.refusal == "" and right.cited == (2,)


@pytest.mark.parametrize("draft,reason", [
    ("42,5 % [1].", "fragment"),
    ("Healthy China 2030 [1].", "fragment"),
    ("The CAGR is 42.5% [1].", ""),
    ("Le TCAC est de 42,5 % [1].", ""),
])
def test_a_bare_figure_or_name_is_a_fragment_but_a_short_sentence_is_not(draft, reason):
    verdict = verify(draft, "What annual growth rate does the report give?", passages("reflétant un TCAC de 42,5 %"))
    assert verdict.refusal == reason, verdict


def test_an_invented_figure_is_repaired_with_the_clause_stating_what_was_asked():
    ps = passages("dépistage du cancer de Tencent", "Ali Health, JD Health")
    question = "In how many hospitals is Tencent's cancer screening AI active?"
    verdict = verify("Tencent's cancer screening AI is active in 4 hospitals [1].", question, ps)
    assert verdict.refusal == "unsupported_figure" and not verdict.text
    assert any("100" in quote and quote.startswith("[1]") for quote in verdict.repair), verdict.repair
    # Nothing in the passages states what is asked: no second attempt.
    nothing = verify("China has 4 hospital groups [1].", "How many hospital groups does Philips run?", ps)
    assert nothing.refusal == "unsupported_figure" and nothing.repair == ()


@pytest.mark.parametrize("draft,reason", [
    ("Le gouvernement soutient la plateforme de gestion des maladies chroniques de WeDoctor [1].", "no_name"),
    ("Tencent soutient la plateforme de gestion des maladies chroniques de WeDoctor [1].", ""),
])
def test_a_question_asking_which_group_is_answered_only_by_a_name_it_does_not_give(draft, reason):
    ps = passages("soutenue par Tencent")
    verdict = verify(draft, "Quel groupe soutient la plateforme de gestion des maladies chroniques de WeDoctor ?", ps)
    assert verdict.refusal == reason, verdict


def test_a_name_in_lower_camel_case_or_opening_the_sentence_answers_which_company():
    ps = passages("iCarbonX")
    question = "Quelle entreprise locale de médecine de précision par IA a prospéré en s'implantant à Zhongguancun ?"
    assert verify("iCarbonX a prospéré en s'implantant dans des zones d'innovation [1].", question, ps).refusal == ""
    # Not a question asking for a name: the rule says nothing.
    assert verify("Le gouvernement soutient ces plateformes [1].", "Que fait le gouvernement ?",
                  passages("soutenue par Tencent")).refusal != "no_name"


@pytest.mark.parametrize("needle,question,draft,shown", [
    ("dépistage du cancer de Tencent", "In how many hospitals is Tencent's cancer-screening AI active?",
     "Tencent's cancer-screening AI is active in 100 hospitals [1].",
     "Tencent's cancer-screening AI is active in 100+ hospitals [1]."),
    ("38 000+", "Combien d'hôpitaux publics ?", "Il y a 38 000 hôpitaux publics [1].",
     "Il y a 38 000+ hôpitaux publics [1]."),
    # Already qualified, by the draft's own words: left as written.
    ("dépistage du cancer de Tencent", "In how many hospitals is Tencent's cancer-screening AI active?",
     "Tencent's cancer-screening AI is active in more than 100 hospitals [1].",
     "Tencent's cancer-screening AI is active in more than 100 hospitals [1]."),
])
def test_a_count_the_report_gives_as_a_lower_bound_keeps_it(needle, question, draft, shown):
    assert verify(draft, question, passages(needle)).text == shown


def test_an_exact_count_is_left_as_written():
    verdict = verify("By mid-2024 the NMPA had approved 92 class III AI devices [1].",
                     "How many class III AI devices had the NMPA approved by mid-2024?", DEVICES)
    assert verdict.text == "By mid-2024 the NMPA had approved 92 class III AI devices [1]."


@pytest.mark.parametrize("question,asks", [
    ("Quel groupe soutient la plateforme de WeDoctor ?", True),
    ("Which company obtained dual approval for its lung nodule detection system?", True),
    ("Quelle entreprise de robotique le rapport cite-t-il ?", True),
    ("Which groups of patients does their multilingual support help reach?", False),
    ("Quels groupes de patients la téléconsultation touche-t-elle ?", False),
    ("Which patient groups does it reach?", False),
    ("Hospital records look messy. Has anyone actually solved that, and how?", True),
    ("Une entreprise a-t-elle déjà résolu ce problème ?", True),
    ("Quelqu'un a-t-il réglé le problème des dossiers disparates ?", True),
    ("Has the market grown since 2023?", False),
    ("Which non-Chinese corporations does the report name, and what is each doing in China?", True),
    ("Quelles grandes multinationales le rapport cite-t-il ?", True),
    ("What kind of companies should a foreign firm partner with?", False),
])
def test_a_question_asking_for_a_company_is_told_from_one_asking_for_a_kind_of_patient(question, asks):
    from bot.questions import asks_name
    assert asks_name(question) is asks


SHUKUN = passages("Deepwise, par exemple", "Infervision, DeepWise et Shukun Technology")


@pytest.mark.parametrize("draft,scores,cited", [
    # said by the second passage, cited to the first: the citation moves
    ("The report also names Shukun Technology among imaging companies [1].", (0.40, 0.75), (2,)),
    # too close to tell, or too short to tell by meaning: told by the name, which only the second passage gives
    ("The report also names Shukun Technology among imaging companies [1].", (0.60, 0.70), (2,)),
    ("It names Shukun Technology [1].", (0.20, 0.90), (2,)),
    # the first passage names Deepwise, the second does too: moved; one holding a figure the other lacks: kept
    ("Deepwise partners with local hospitals and global pharmaceutical firms [1].", (0.40, 0.80), (2,)),
    ("Deepwise detects ischemic strokes on CT scans in tier 2 and 3 hospitals [1].", (0.40, 0.80), (1,)),
])
def test_a_sentence_is_cited_to_the_passage_that_says_it(draft, scores, cited):
    evidence = FixedEvidence(SHUKUN, {"Deepwise, par exemple": scores[0], "Infervision, DeepWise et Shukun": scores[1]})
    verdict = verify(draft, "Which imaging AI companies does the report name?", SHUKUN, evidence)
    assert verdict.refusal == "" and verdict.cited == cited, verdict


def test_a_sentence_is_not_cited_to_a_passage_missing_a_name_it_gives():
    from bot.checks import Context, cited_where_said

    ps = passages("Philips a localisé", "Yitu Technology a abordé")
    evidence = FixedEvidence(ps, {"Philips a localisé": 0.50, "Yitu Technology a abordé": 0.90})
    ctx = Context.of("Which company set up data centres in China?", ps, evidence)
    sentence = "Philips set up secure data processing centres inside China [1]."
    assert cited_where_said(sentence, ctx) == sentence
    unnamed = "A company set up secure data processing centres inside China [1]."
    assert cited_where_said(unnamed, ctx) == unnamed.replace("[1]", "[2]")


def test_a_name_written_with_or_without_its_space_is_the_same_name():
    from bot.binding import mentions_name

    assert mentions_name("Ali Health", "comme la consultation à distance activée par l'IA d'AliHealth")
    assert mentions_name("AliHealth", "Ali Health, JD Health et Ping An Good Doctor")
    assert not mentions_name("Ali Health", "JD Health et Ping An Good Doctor")


@pytest.mark.parametrize("question, asks", [
    ("What was JD Health's revenue in 2028?", True),
    ("Quel est le chiffre d'affaires de JD Health ?", True),
    ("How much revenue did Ping An Good Doctor make?", True),
    ("I'd rather just collect a cut of the revenue and not run any operations in China. Which route suits me?", False),
    ("Je veux toucher une part du chiffre d'affaires sans bureau en Chine : quelle voie me convient ?", False),
    ("Quel est le chiffre d'affaires de la société qui a obtenu la double approbation ?", True),
    ("What was the revenue of the company which obtained dual approval?", True),
])
def test_revenue_in_a_question_asks_for_a_figure_only_when_nothing_else_is_asked(question, asks):
    assert asks_quantity(question) is asks


def test_an_amount_asked_for_is_answered_by_a_figure_only():
    question = "Quel montant de subventions publiques le plan Healthy China 2030 réserve-t-il aux projets d'IA ?"
    assert asks_quantity(question) and asks_quantity("What amount of subsidies does the plan set aside?")
    verdict = verify("Le plan Healthy China 2030 priorise l'IA pour s'attaquer aux maladies chroniques [1].", question,
                     passages("Initiative Healthy China 2030"))
    assert verdict.refusal == "no_figure"


def test_a_sentence_about_the_company_asked_for_cites_a_passage_naming_it():
    ps = passages("Deepwise, par exemple", "particulièrement attrayante dans les villes de niveau 2")
    evidence = FixedEvidence(ps, {"Deepwise, par exemple": 0.55, "villes de niveau 2": 0.70})
    question = "Which tier of hospitals uses Deepwise's stroke tool?"
    wrong = verify("Tier-2 cities use Deepwise's stroke tool [2].", question, ps, evidence)
    assert wrong.refusal == "misbound_name" and [w.reason for w in wrong.withdrawn] == ["misbound_name"]
    assert wrong.repair and wrong.repair[0].startswith("[1] «") and "Deepwise, par exemple" in wrong.repair[0]
    right = verify("Deepwise's stroke tool is used in tier 2 and 3 hospitals [1].", question, ps, evidence)
    assert right.refusal == "" and right.cited == (1,)
    both = verify("Deepwise's stroke tool is used in tier 2 and 3 hospitals [1][2].", question, ps, evidence)
    assert both.refusal == ""  # one of its passages names Deepwise
    other = verify("Tier-2 cities use AI hospital IT integration [2].", question, ps, evidence)
    assert other.refusal == ""  # names no company the question asks about


def test_a_sentence_joining_a_company_its_passage_does_not_name_is_withdrawn():
    ps = passages("Ping An Smart Healthcare a été pionnier", "United Imaging Healthcare et Tencent Miying")
    evidence = FixedEvidence(ps, {"Ping An Smart Healthcare": 0.70, "United Imaging Healthcare": 0.50})
    question = "Which two companies does the report say partnered to build smart hospitals?"
    joined = verify("Ping An Smart Healthcare and United Imaging Healthcare were pioneers in smart hospitals [1].",
                    question, ps, evidence)
    assert joined.refusal == "misbound_name" and [w.reason for w in joined.withdrawn] == ["misbound_name"]
    alone = verify("Ping An Smart Healthcare was a pioneer in smart hospitals [1].", question, ps, evidence)
    assert alone.refusal == "" and alone.cited == (1,)


def test_a_table_row_cell_is_said_of_the_row_it_belongs_to():
    # The Hainan row's description does not repeat the zone's name: its row label gives it
    ps = passages("Zone : Hainan Boao Lecheng")
    evidence = FixedEvidence(ps, {"bac à sable": 0.80, "Zone : Hainan": 0.30})
    question = "According to the fast-track entry table, what can a foreign AI health firm build up in Hainan?"
    verdict = verify("A foreign AI health firm can build up clinical validation and commercial traction in the "
                     "Hainan Boao Lecheng sandbox [1].", question, ps, evidence)
    assert verdict.refusal == "" and verdict.cited == (1,)
    # A row's label names no company its cells do not: Yitu's clause said of Philips is still withdrawn
    ps = PRIVACY_AND_EMR
    evidence = FixedEvidence(ps, {"Philips a localisé": 0.80, "Yitu Technology a abordé": 0.50})
    wrong = verify("Yitu Technology a établi des centres de traitement de données sécurisés [2].",
                   "Quelle entreprise a établi des centres de traitement de données sécurisés ?", ps, evidence)
    assert wrong.refusal == "misbound_name"


def test_a_sentence_about_a_place_the_question_asks_about_cites_a_passage_naming_it():
    ps = passages("Zone : Grande Baie", "Zone : Hainan Boao Lecheng")
    evidence = FixedEvidence(ps, {"Bien que plus restrictif": 0.70, "bac à sable": 0.80})
    question = "Qu'est-ce qui rend la Grande Baie différente de Hainan Boao Lecheng ?"
    # Hainan's sandbox, said of the Greater Bay Area
    wrong = verify("La Grande Baie se distingue de Hainan Boao Lecheng par son environnement de bac à sable [2].",
                   question, ps, evidence)
    assert wrong.refusal == "misbound_name" and wrong.repair and wrong.repair[0].startswith("[1] «")
    right = verify("La Grande Baie est plus restrictive que Hainan Boao Lecheng [1].", question, ps, evidence)
    assert right.refusal == "" and right.cited == (1,)
    english = verify("The Greater Bay Area is more restrictive than Hainan Boao Lecheng [1].",
                     "How does the Greater Bay Area differ from Hainan Boao Lecheng?", ps, evidence)
    assert english.refusal == ""


def test_a_statement_keeps_no_inversion_copied_from_the_question():
    question = "Selon le tableau, pourquoi la conformité réglementaire est-elle si compliquée pour l'IA médicale ?"
    draft = ("La conformité réglementaire est-elle si compliquée pour l'IA médicale parce que les pilotes régionaux, "
             "les autorisations de la NMPA et la surveillance parallèle créent un environnement en couches [1].")
    verdict = verify(draft, question, passages("Complexité réglementaire"))
    assert verdict.refusal == "" and verdict.text.startswith(
        "La conformité réglementaire est si compliquée pour l'IA médicale parce que"), verdict
    advice = verify("Le tableau conseille-t-il de cibler les hôpitaux de niveau 3 à Shanghai [1].",
                    "Quelles villes le tableau conseille-t-il de cibler ?", passages("Plan pour l'ingénierie"))
    assert advice.text.startswith("Le tableau conseille de cibler"), advice
    english = verify("Tencent offers a hands-on, plug-and-play add-on in more than 100 hospitals [1].",
                     "What does Tencent offer?", passages("plus de 100 hôpitaux"))
    assert "hands-on" in english.text and "add-on" in english.text, english


@pytest.mark.parametrize("draft", [
    "The NMPA's AI device approvals are not mentioned in the given passage [1]. The passage only discusses the "
    "approval of AI-powered Class III medical devices by the NMPA [1].",
    "Le passage ne mentionne pas la FDA [1]. Il indique que 92 dispositifs avaient été approuvés [1].",
])
def test_a_draft_saying_the_passages_do_not_hold_the_answer_declines(draft):
    question = "How do the NMPA's AI device approvals compare with those of the US FDA?"
    verdict = verify(draft, question, DEVICES)
    assert verdict.refusal == "not_found" and verdict.text == ""


def test_a_question_asking_how_many_months_is_not_answered_by_a_count():
    question = "Combien de mois faut-il prévoir pour une homologation complète auprès de la NMPA ?"
    verdict = verify("92 dispositifs médicaux de classe III avaient été approuvés par la NMPA [1].", question, DEVICES)
    assert verdict.refusal == "wrong_unit"
    count = verify("92 dispositifs médicaux de classe III avaient été approuvés par la NMPA [1].",
                   "Combien de dispositifs de classe III la NMPA avait-elle approuvés ?", DEVICES)
    assert count.refusal == ""
