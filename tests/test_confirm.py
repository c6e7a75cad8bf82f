"""A yes/no question stating a figure is settled by the report's own clause, without the model."""
from bot.confirm import report_figures, settle, settled_text
from bot.questions import is_yes_no
from bot.types import Chunk, Passage

MARKET = ("Comme détaillé dans notre récent éclairage sur le marché, celui-ci est passé d'une valorisation de 1,59 "
          "milliard de dollars US en 2023 à une projection de 16,02 milliards de dollars US d'ici 2028, et devrait "
          "atteindre 18,88 milliards de dollars US d'ici 2030, reflétant un TCAC de 42,5 %.")
DEVICES = "À la mi-2024, 92 dispositifs médicaux de classe III alimentés par l'IA avaient été approuvés par la NMPA."
MARKET_EN = ("The market grew from $1.59 billion US in 2023 to a projection of $16.02 billion US by 2028, and "
             "should reach $18.88 billion US by 2030, reflecting a CAGR of 42.5%.")


def passages(*texts: str) -> list[Passage]:
    return [Passage(Chunk(id=f"c{n}", source="r.txt", section="S", location="S, § 1", text=t), n, 1.0, 0.9)
            for n, t in enumerate(texts, 1)]


def test_yes_no_questions_are_told_from_open_ones():
    assert is_yes_no("Le marché doit-il atteindre 16,02 milliards en 2030 ?")
    assert is_yes_no("Is China's AI healthcare market expected to reach US$18.88 billion by 2028?")
    assert is_yes_no("Est-ce que la NMPA a approuvé 92 dispositifs ?")
    assert not is_yes_no("En quelle année le marché était-il valorisé à 1,59 milliard ?")
    assert not is_yes_no("What is the market size in 2030?")
    assert is_yes_no("The report says the market will reach 20 billion dollars by 2030, right?")
    assert is_yes_no("Le marché atteindra 25 milliards en 2030, n’est-ce pas ?")
    assert not is_yes_no("What is the market worth in 2030, right?")
    assert not is_yes_no("Le chiffre exact ?")  # a one-word tag needs its comma


def test_a_figure_of_another_year_is_a_no_with_both_clauses_quoted():
    settled = settle("Le marché doit-il atteindre 16,02 milliards de dollars US en 2030 ?",
                     passages(DEVICES, MARKET), "fr")
    assert settled and not settled.yes and settled.said.n == 2 and settled.asked == "2030"
    assert "16,02" in settled.said.words and "2028" in settled.said.words
    assert settled.instead and "18,88" in settled.instead.words and not settled.instead.translated
    assert "18,88" not in settled.said.words  # a long sentence is quoted by the clause that states the figure
    short = "Le marché vaudra 16,02 milliards de dollars US d'ici 2028 et 18,88 milliards de dollars US d'ici 2030."
    once = settle("Le marché doit-il atteindre 16,02 milliards de dollars US en 2030 ?", passages(short), "fr")
    assert once and not once.yes and once.said.words == short and once.instead is None  # one sentence, quoted once


def test_a_figure_of_another_class_is_a_no_and_the_right_one_a_yes():
    question = "Les 92 dispositifs approuvés par la NMPA à la mi-2024 sont-ils de classe {} ?"
    no = settle(question.format("II"), passages(MARKET, DEVICES), "fr")
    assert no and not no.yes and no.said.n == 2 and "classe III" in no.said.words and no.instead is None
    yes = settle(question.format("III"), passages(MARKET, DEVICES), "fr")
    assert yes and yes.yes and "classe III" in yes.said.words


def test_an_english_reader_gets_the_rendering_that_holds_the_figures():
    settled = settle("Is the market expected to reach US$18.88 billion by 2028?", passages(MARKET), "en", [MARKET_EN])
    assert settled and not settled.yes and settled.said.translated and settled.said.words == MARKET_EN
    assert settled.instead is None  # the same sentence states both: quoted once
    assert settle("Is the market expected to reach US$18.88 billion by 2028?", passages(MARKET), "en", [None]) is None
    # An English document's own clause for an English reader; none for a French reader (left to the model).
    assert settle("Is the market expected to reach US$18.88 billion by 2028?", passages(MARKET_EN), "en").said.words \
        == MARKET_EN
    assert settle("Le marché doit-il atteindre 18,88 milliards de dollars US en 2028 ?", passages(MARKET_EN), "fr") \
        is None


def test_what_the_passages_do_not_settle_is_left_to_the_model():
    market = passages(MARKET)
    assert settle("JD Health doit-il atteindre 18,88 milliards de dollars US d'ici 2030 ?", market, "fr") is None
    assert settle("Le marché doit-il atteindre 99 milliards de dollars US en 2030 ?", market, "fr") is None
    assert settle("Quelle est la taille du marché en 2030 ?", market, "fr") is None
    assert settle("Le marché valait-il 1,59 ou 16,02 milliards ?", market, "fr") is None  # two figures
    hospitals = passages("L'IA de Tencent, désormais active dans plus de 100 hôpitaux en 2024, illustre l'approche.")
    assert settle("La NMPA a-t-elle approuvé 100 dispositifs en 2024 ?", hospitals, "fr") is None
    assert settle("L'IA de Tencent est-elle active dans 100 hôpitaux en 2024 ?", hospitals, "fr").yes
    undated = passages("Le marché devrait atteindre 18,88 milliards de dollars US.")
    assert settle("Le marché atteindra-t-il 18,88 milliards de dollars US en 2028 ?", undated, "fr") is None


def test_a_figure_the_report_states_nowhere_is_answered_by_what_it_states_for_that_year():
    shown = passages(MARKET, DEVICES)
    stated = report_figures(p.chunk for p in shown)
    settled = settle("Le marché atteindra 25 milliards de dollars en 2030, n'est-ce pas ?", shown, "fr", (), stated)
    assert settled and not settled.yes and settled.said is None and settled.asked == "2030"
    assert settled.instead.n == 1 and "18,88" in settled.instead.words and "16,02" not in settled.instead.words
    assert settled_text(settled, "fr") == ("Le rapport ne donne pas ce chiffre. Pour 2030, il dit : « devrait "
                                           "atteindre 18,88 milliards de dollars US d'ici 2030 » [1].")
    english = settle("The report says the market will reach 20 billion dollars by 2030, right?", shown, "en",
                     [MARKET_EN, None], stated)
    assert settled_text(english, "en").startswith("The report does not give that figure. For 2030, it says "
                                                  "(translated from French): “The market grew")
    devices = settle("La NMPA a-t-elle approuvé 100 dispositifs de classe III ?", shown, "fr", (), stated)
    assert devices.instead.n == 2 and "92 dispositifs" in devices.instead.words and devices.asked == ""
    assert settled_text(devices, "fr").startswith("Le rapport ne donne pas ce chiffre. Il dit : « À la mi-2024, 92")


def test_a_figure_stated_elsewhere_or_bound_to_nothing_is_left_to_the_model():
    shown = passages(MARKET)
    elsewhere = report_figures(p.chunk for p in passages(MARKET, "Le marché comptera 99 milliards de dollars US."))
    assert settle("Le marché doit-il atteindre 99 milliards de dollars US en 2030 ?", shown, "fr", (), elsewhere) \
        is None  # the report states it, in a passage not retrieved: it is not 'not given'
    stated = report_figures(p.chunk for p in shown)
    assert settle("Le rapport cite-t-il 99 milliards ?", shown, "fr", (), stated) is None  # no year, class or name
    assert settle("Le marché valait-il 99 milliards de dollars US en 2029 ?", shown, "fr", (), stated) is None
    two = passages("Le marché atteindra 18,88 milliards de dollars US en 2030.",
                   "Le segment atteindra 4 milliards de dollars US en 2030.")
    assert settle("Le marché atteindra-t-il 25 milliards de dollars US en 2030 ?", two, "fr", (),
                  report_figures(p.chunk for p in two)) is None  # two figures for 2030: which one is not said


def test_an_amount_of_another_scale_is_not_the_reports_figure():
    shown = passages(MARKET)
    stated = report_figures(p.chunk for p in shown)
    assert ("amount", "18.88", "e9") in stated
    million = settle("Will the market reach US$18.88 million by 2030?", shown, "en", [MARKET_EN], stated)
    assert million and not million.yes and million.said is None and "$18.88 billion" in million.instead.words
    assert settle("Will the market reach US$18.88 billion by 2030?", shown, "en", [MARKET_EN], stated).yes


def test_the_pipeline_answers_a_settled_question_without_the_model(settings):
    from bot.index import build_index
    from bot.pipeline import Pipeline
    from bot.prompts import SETTLED
    from bot.retrieve import Retriever
    from fakes import HashEmbedder, ScriptedGenerator

    embedder, generator = HashEmbedder(), ScriptedGenerator("never asked")
    pipeline = Pipeline(settings.with_(min_similarity=0.0), embedder,
                        Retriever(build_index(settings, embedder), embedder), generator)
    question = "Le marché de l'IA en santé en Chine doit-il atteindre 16,02 milliards de dollars US en 2030 ?"
    answer = pipeline.answer(question)
    assert generator.calls == [] and not answer.abstained
    assert answer.text.startswith(SETTLED[False]["fr"].split("{")[0])
    assert "2028" in answer.text and "18,88" in answer.text
    assert all("16,02" in c.chunk.text for c in answer.citations) and answer.citations
    wrong = pipeline.answer("Le marché de l'IA en santé en Chine atteindra 25 milliards de dollars US en 2030, "
                            "n'est-ce pas ?")
    assert generator.calls == [] and not wrong.abstained
    assert wrong.text.startswith("Le rapport ne donne pas ce chiffre.")
    assert "18,88" in wrong.text and [c.chunk.id for c in wrong.citations] == \
        [c.chunk.id for c in answer.citations if "18,88" in c.chunk.text][:1]
