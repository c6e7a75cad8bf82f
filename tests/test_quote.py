"""A draft failing the checks for how it was written gives way to the report's closest sentence, quoted."""
from bot.checks import Context
from bot.evidence import Evidence
from bot.index import build_index
from bot.pipeline import Pipeline
from bot.prompts import ALSO, NOT_COVERED, NOT_FOUND, QUOTED, TRANSLATED
from bot.quote import (MAX_OTHER_MENTIONS, MIN_HELD_SIMILARITY, MIN_LIST_SIMILARITY, MIN_QUOTE_SIMILARITY,
                       closest_statement, held_statement, other_mentions)
from bot.retrieve import Retriever
from bot.types import Chunk, Passage

from fakes import HashEmbedder, ScriptedGenerator

ZONES = "Quelles zones comme Zhongguancun à Pékin offrent des incitations fiscales et des bureaux subventionnés ?"


def make(settings, *replies):
    embedder = HashEmbedder()
    generator = ScriptedGenerator(*replies)
    return Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), generator), generator


def test_an_echoed_draft_gives_way_to_the_sentence_that_names_what_is_asked(settings):
    pipeline, _ = make(settings, "Des zones offrent des incitations fiscales [1].")  # only the question's words
    answer = pipeline.answer(ZONES)
    assert not answer.abstained and answer.reason == ""
    quoted = answer.text
    assert quoted.startswith(QUOTED["fr"].split("{")[0]) and "Zhongguancun à Pékin" in quoted
    assert "incitations fiscales, des espaces de bureau subventionnés" in quoted  # the report's words, as written
    n = answer.citations[0].n
    assert quoted.endswith(f"» [{n}]") and "Zhongguancun" in answer.citations[0].chunk.text


def test_a_draft_the_model_declined_or_bound_to_another_year_is_not_quoted_over(settings):
    pipeline, generator = make(settings, NOT_FOUND)
    answer = pipeline.answer(ZONES)
    assert answer.abstained and answer.reason == "not_found" and answer.text == NOT_COVERED["fr"]
    question = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
    generator.replies = ["Le marché atteindra 16,02 milliards de dollars US en 2030 [1]."]
    assert pipeline.answer(question).reason == "misbound_figure"


def passage(text: str, n: int = 1) -> Passage:
    return Passage(Chunk(id=f"c{n}", source="r.txt", section="S", location="S, § 1", text=text), n, 1.0, 0.9)


def statement(question: str, texts: list[str], language="fr", read=()):
    shown = [passage(t, n) for n, t in enumerate(texts, 1)]
    embedder = HashEmbedder()
    evidence = Evidence(embedder, shown, lambda: embedder.embed_documents(texts), read)
    return closest_statement(Context.of(question, shown, evidence), language, read)


def test_the_sentence_quoted_names_every_name_year_and_class_asked_and_a_figure_for_how_many():
    texts = ["Le marché de l'IA en santé atteindra 16,02 milliards de dollars US d'ici 2028 selon le rapport. "
             "Le marché de l'IA en santé atteindra 18,88 milliards de dollars US d'ici 2030 selon le rapport."]
    quote = statement("Le marché de l'IA en santé atteindra combien en 2030 selon le rapport ?", texts)
    assert quote and "18,88" in quote.sentence and not quote.translated
    assert statement("Le marché de l'IA en santé de JD Health atteindra combien en 2030 selon le rapport ?",
                     texts) is None  # no sentence names JD Health
    assert statement("Les dispositifs de classe II approuvés par la NMPA à la mi-2024 sont combien ?",
                     ["À la mi-2024, 92 dispositifs médicaux de classe III approuvés par la NMPA."]) is None
    assert statement("Que dit le rapport sur les capitales du monde entier et leurs musées ?", texts) is None


CITIES = ["Cela ouvre des voies pour des hôpitaux dirigés par des acteurs étrangers dans le pays. "
          "Les institutions médicales entièrement étrangères sont désormais autorisées dans des villes comme "
          "Pékin, Shanghai, Shenzhen et Hainan."]
WHERE = "Dans quelles villes les institutions médicales entièrement étrangères sont-elles désormais autorisées ?"


def held(draft: str, question: str = WHERE, texts=CITIES):
    shown = [passage(t, n) for n, t in enumerate(texts, 1)]
    embedder = HashEmbedder()
    evidence = Evidence(embedder, shown, lambda: embedder.embed_documents(texts))
    return held_statement(draft, Context.of(question, shown, evidence), "fr")


def test_a_bare_draft_points_at_the_sentence_of_its_passage_holding_its_names():
    quote = held("Pékin, Shanghai, Shenzhen et Hainan [1].")
    assert quote and quote.n == 1 and quote.sentence.startswith("Les institutions médicales entièrement étrangères")
    assert MIN_HELD_SIMILARITY <= quote.score < MIN_QUOTE_SIMILARITY  # too far to be quoted without the draft
    assert held("Pékin, Shanghai et Wuhan [1].") is None  # a name no sentence of the passage gives
    assert held("Pékin, Shanghai [2].", texts=[*CITIES, "Autre passage sur Pékin et Shanghai."]) is None  # [2] says
    assert held("Pékin et Shanghai [1].", "Que disent les musées du monde entier sur leurs collections ?") is None
    assert held("Dans des villes [1].") is None  # nothing to look for


def test_a_bare_list_of_names_points_at_its_sentence_from_a_lower_closeness():
    imaging = ["Le secteur est très avancé. Des entreprises comme Infervision, DeepWise et Shukun Technology "
               "s'associent à des hôpitaux locaux et à des groupes pharmaceutiques mondiaux."]
    asked = "Quelles entreprises travaillent avec des hôpitaux locaux ?"
    quote = held("Infervision, DeepWise et Shukun Technology [1]", asked, imaging)
    assert quote and quote.sentence.startswith("Des entreprises comme Infervision")
    assert MIN_LIST_SIMILARITY <= quote.score < MIN_HELD_SIMILARITY  # a list's source, under one name's floor
    assert held("Infervision [1]", asked, imaging) is None  # one name: the floor of one name
    assert held("Infervision, DeepWise et Shukun Technology [1]", "Quelles entreprises chinoises s'associent aux "
                "hôpitaux ?", imaging) is None  # a sentence this far from the question is not quoted

    # The report term asked about may be in the passage's heading; without it anywhere, nothing is quoted.
    term = "Quelles entreprises d'imagerie médicale s'associent à des hôpitaux ?"
    for section, found in (("Imagerie médicale et diagnostics", True), ("Marché", False)):
        shown = [Passage(Chunk(id="c1", source="r.txt", section=section, location=section, text=imaging[0]), 1, 1, 1)]
        embedder = HashEmbedder()
        evidence = Evidence(embedder, shown, lambda: embedder.embed_documents(imaging))
        draft = "Infervision, DeepWise et Shukun Technology [1]"
        assert (held_statement(draft, Context.of(term, shown, evidence), "fr") is not None) == found, section


def test_an_english_reader_gets_the_rendering_marked_as_translated_and_never_the_french():
    french = ["Des zones comme Zhongguancun à Pékin offrent des incitations fiscales aux entreprises étrangères."]
    english = ["Areas like Zhongguancun in Beijing offer tax incentives to foreign companies and their staff."]
    question = "Which areas like Zhongguancun in Beijing offer tax incentives to foreign companies?"
    quote = statement(question, french, "en", english)
    assert quote and quote.translated and quote.sentence == english[0] and quote.score >= MIN_QUOTE_SIMILARITY
    assert statement(question, french, "en", [None]) is None  # no rendering: no French quoted to an English reader
    assert "translated" in QUOTED["en"].format(sentence="", n=1, translated=TRANSLATED[True]["en"])


def test_a_question_about_a_company_gets_what_the_uncited_passages_say_of_it():
    texts = ["Ali Health, JD Health et Ping An Good Doctor dominent la télémédecine rurale avec le triage IA.",
             "Le marché des dispositifs médicaux progresse vite dans les grandes villes de l'est du pays.",
             "Des plateformes comme Tencent Miying et Ping An Good Doctor ont intégré des moteurs de NLP.",
             "Ping An Good Doctor propose aussi des suivis à distance dans les provinces de l'ouest du pays."]
    shown = [passage(t, n) for n, t in enumerate(texts, 1)]
    embedder = HashEmbedder()
    evidence = Evidence(embedder, shown, lambda: embedder.embed_documents(texts))
    ctx = Context.of("Dans quels domaines le rapport mentionne-t-il Ping An Good Doctor ?", shown, evidence)
    more = other_mentions(ctx, [1], "fr")
    assert [q.n for q in more] == [3, 4] and more[0].sentence == texts[2] and more[0].name == "Ping An Good Doctor"
    assert [q.n for q in other_mentions(ctx, [1], "fr")[:MAX_OTHER_MENTIONS]] == [3, 4]
    assert other_mentions(ctx, [1, 3, 4], "fr") == []
    two = Context.of("Que disent les passages de Tencent Miying et de Ping An Good Doctor dans ce rapport ?",
                     shown, evidence)
    assert other_mentions(two, [1], "fr") == []  # two companies asked about: nothing is added


def test_a_reader_saying_a_name_is_in_several_places_asks_about_each_of_them():
    from bot.questions import asks_about

    for question in ("Infervision apparaît à deux reprises dans le rapport : avec qui travaille-t-elle ?",
                     "Hainan Boao Lecheng comes up in more than one section. What does it make possible?",
                     "Ping An Good Doctor is mentioned in two different segments of the report. Which two?",
                     "Le rapport cite Yitu dans plusieurs sections : que fait-elle ?",
                     "Deepwise appears twice: what does it do?"):
        assert asks_about(question), question
    for question in ("Quelles sont les deux zones pilotes ?", "Which two cities host foreign-owned hospitals?",
                     "How many sections does the regulation have?", "Quelle part du marché revient à Yitu ?"):
        assert not asks_about(question), question


def test_the_answer_about_a_company_ends_with_its_other_mentions_quoted_and_cited(settings):
    question = "Dans quels domaines le rapport mentionne-t-il Ping An Good Doctor ?"
    pipeline, generator = make(settings.with_(min_similarity=0.0), "")  # the stand-in embedder scores low
    ranks = {p.rank: p.chunk.text for p in pipeline.search(question, [], settings.top_k)}
    naming = [n for n, text in ranks.items() if "Ping An Good Doctor" in text]
    assert len(naming) >= 2, ranks
    generator.reply = f"Ping An Good Doctor domine la télémédecine et les soins ruraux [{naming[0]}]."
    answer = pipeline.answer(question)
    lines = answer.text.split("\n")
    assert lines[0] == generator.reply and len(lines) == 1 + min(len(naming) - 1, MAX_OTHER_MENTIONS)
    assert all(line.startswith(ALSO["fr"].split("{")[0] + "Ping An Good Doctor") for line in lines[1:])
    assert [c.n for c in answer.citations] == sorted(naming[:1 + MAX_OTHER_MENTIONS])
    generator.reply = f"Ping An Good Doctor domine la télémédecine et les soins ruraux [{naming[0]}]."
    assert "\n" not in pipeline.answer("Ping An Good Doctor domine-t-il la télémédecine ?").text


def test_a_bare_topic_the_draft_fails_on_gets_where_the_report_speaks_of_it(settings):
    pipeline, generator = make(settings.with_(min_similarity=0.0), "PIPL [1].")  # only the question's words
    answer = pipeline.answer("PIPL ?")
    lines = answer.text.split("\n")
    assert not answer.abstained and 1 <= len(lines) <= MAX_OTHER_MENTIONS
    assert lines[0].startswith("Le rapport mentionne PIPL : « ") and "PIPL" in lines[0]
    assert all("PIPL" in c.chunk.text or "protection des informations personnelles" in c.chunk.text
               for c in answer.citations)
    generator.reply = NOT_FOUND  # the model's own refusal stands
    assert pipeline.answer("PIPL ?").abstained
    generator.reply = "Japon [1]."
    japan = pipeline.answer("Japon ?")
    assert japan.abstained and japan.reason == "echo"  # a topic no passage names: nothing to quote


def test_a_question_asking_which_group_is_answered_by_a_sentence_giving_a_name_it_does_not():
    texts = ["La plateforme de gestion des maladies chroniques de WeDoctor est pilotée par le gouvernement local. "
             "La plateforme de gestion des maladies chroniques de WeDoctor est soutenue par Tencent depuis le début."]
    quote = statement("Quel groupe soutient la plateforme de gestion des maladies chroniques de WeDoctor ?", texts)
    assert quote and "Tencent" in quote.sentence


def test_a_bare_draft_whose_second_try_fails_gives_way_to_the_sentence_holding_its_names(settings):
    question = ("Dans quelles villes les institutions médicales entièrement étrangères sont-elles désormais "
                "autorisées via des WFOE, à capitaux 100 % étrangers ?")  # too far for closest_statement alone
    pipeline, generator = make(settings, "Pékin, Shanghai, Shenzhen et Hainan [1].",
                               "Un investisseur peut ouvrir une institution à capitaux 100 % étrangers à Pékin [1].")
    answer = pipeline.answer(question)
    assert len(generator.calls) == 2  # the bare draft, then the sentence asked for, which states a figure of no passage
    assert not answer.abstained and answer.text.startswith(QUOTED["fr"].split("{")[0])
    assert "Pékin, Shanghai, Shenzhen et Hainan" in answer.text and "100" not in answer.text
    assert answer.citations[0].n == 1 and "entièrement étrangères" in answer.citations[0].chunk.text
