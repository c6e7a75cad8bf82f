"""A question asking for several things that a labelled list of the report answers gets the list: each item's
label and first sentence, cited to the passage where the item starts."""
import pytest

from bot.items import items_text, list_items, whole_list
from bot.prompts import ITEMS, TRANSLATED
from bot.questions import asks_list
from bot.types import Chunk, Passage

SECTION = "Choisir le bon modèle d'affaires"
JV = ("- Coentreprises: Ce type d'approche intègre une solution directement dans l'écosystème existant. "
      "En collaborant avec un réseau hospitalier local, les entreprises étrangères apprennent.")
JV_MORE = "- Coentreprises: Le partenaire domestique assume la responsabilité des approbations."
LICENCE = "- Licences technologiques: Ce modèle offre une entrée plus détachée. Un licencié acquiert les droits."
WFOE = ("Les entreprises étrangères devraient envisager les modes d'entrée suivants :\n"
        "- Établissement direct via des WFOE: Les institutions entièrement étrangères sont autorisées à Pékin.")
JV_EN = ("- Joint ventures: This type of approach integrates a solution directly into the existing ecosystem. "
         "By working with a local hospital network, foreign companies learn.")
LICENCE_EN = "- Technology licensing: This model offers a more detached entry. A licensee acquires the rights."
WFOE_EN = ("Foreign companies should consider the following entry modes:\n"
           "- Direct establishment via WFOE: Wholly foreign institutions are allowed in Beijing.")
OTHER = "Les zones pilotes comme Hainan offrent un environnement à faible barrière pour un premier déploiement."
TOPIC = "Le marché chinois de l'IA en santé attire les entreprises étrangères."  # the words every passage uses


def chunks() -> list[Chunk]:
    def chunk(n: int, text: str, section: str = SECTION) -> Chunk:
        return Chunk(id=f"c{n}", source="r.txt", section=section, location=f"¶{n}", text=text)

    return [chunk(0, TOPIC, "Introduction"), chunk(1, TOPIC + " " + OTHER, "Zones pilotes"), chunk(2, JV),
            chunk(3, JV_MORE), chunk(4, LICENCE), chunk(5, WFOE), chunk(6, TOPIC + " Fin.", "Conclusion")]


def found(*ids: int) -> list[Passage]:
    by_id = {c.id: c for c in chunks()}
    return [Passage(by_id[f"c{i}"], rank, 1.0, 0.6 - rank / 100) for rank, i in enumerate(ids, 1)]


QUESTION = "Quels modèles d'affaires le rapport propose-t-il pour entrer sur le marché ?"


def test_the_list_is_found_whole_from_two_of_its_items():
    listed = whole_list(found(4, 1, 3), chunks(), QUESTION)
    assert [p.chunk.id for p in listed] == ["c2", "c4", "c5"]  # where each item starts, in the report's order
    assert [p.rank for p in listed] == [1, 2, 3]
    assert listed[1].similarity == found(4, 1, 3)[0].similarity  # found: its own score; the others: the closest's
    # the sentence opening the list is a title too ('modes d'entrée')
    assert whole_list(found(2, 5), chunks(), "Which entry modes does the report list?")


def test_a_list_ends_with_its_document():
    other = Chunk(id="c9", source="autre.txt", section=SECTION, location="¶1", text="- Franchise: Un autre document.")
    by_id = {c.id: c for c in chunks()}
    everything = [*chunks()[:6], other]
    passages = [Passage(by_id["c2"], 1, 1.0, 0.6), Passage(by_id["c4"], 2, 1.0, 0.5)]
    assert [p.chunk.id for p in whole_list(passages, everything, QUESTION)] == ["c2", "c4", "c5"]


def test_an_english_question_is_compared_with_the_english_of_the_lists_heading():
    english = {WFOE.split("\n")[0]: "Foreign companies should consider the following entry structures:",
               JV.split("\n")[0]: JV_EN, LICENCE: LICENCE_EN, WFOE.split("\n")[1]: WFOE_EN.split("\n")[1]}.get
    question = "What are the main ways a foreign company can structure its entry into the market?"
    assert whole_list(found(5, 2), chunks(), question) is None  # no French word of the heading in it
    assert [p.chunk.id for p in whole_list(found(5, 2), chunks(), question, english)] == ["c2", "c4", "c5"]
    # an item named as its English rendering names it ('licensing', not 'licences') is asked about alone
    about_one = "How does licensing structure an entry?"
    assert whole_list(found(5, 2), chunks(), about_one, english) is None
    heading_only = {WFOE.split("\n")[0]: english(WFOE.split("\n")[0])}.get
    assert whole_list(found(5, 2), chunks(), about_one, heading_only)  # 'licences' alone is not 'licensing'


@pytest.mark.parametrize("ids, question", [
    ((1, 2, 4), QUESTION),  # the closest passage is not an item
    ((2, 3, 1), QUESTION),  # one item found, twice
    ((2, 4), "Quels sont les avantages des coentreprises ?"),  # names an item: about that one
    ((2, 4), "Quelles approches légères en actifs le rapport suggère-t-il ?"),  # about nothing the list is titled
    ((2, 4), "Quelles entreprises étrangères visent le marché chinois ?"),  # only words every passage uses
])
def test_otherwise_the_passages_found_are_kept(ids, question):
    assert whole_list(found(*ids), chunks(), question) is None


def test_each_item_is_its_label_and_first_sentence_cited_in_the_readers_language():
    listed = whole_list(found(2, 4), chunks(), QUESTION)
    items = list_items(listed, "fr")
    assert items_text(items, "fr").splitlines() == [
        ITEMS["fr"].format(translated=""),
        "- Coentreprises : Ce type d'approche intègre une solution directement dans l'écosystème existant. [1]",
        "- Licences technologiques : Ce modèle offre une entrée plus détachée. [2]",
        "- Établissement direct via des WFOE : Les institutions entièrement étrangères sont autorisées à Pékin. [3]"]
    english = list_items(listed, "en", [JV_EN, LICENCE_EN, WFOE_EN])
    assert [i.label for i in english] == ["Joint ventures", "Technology licensing", "Direct establishment via WFOE"]
    assert items_text(english, "en").splitlines()[0] == ITEMS["en"].format(translated=TRANSLATED[True]["en"])
    # an item not rendered, or whose line the rendering left in French: never French to an English reader
    assert list_items(listed, "en", [JV_EN, None, WFOE_EN]) == ()
    assert list_items(listed, "en", [JV_EN, LICENCE, WFOE_EN]) == ()


@pytest.mark.parametrize("question, expected", [
    ("Quels modèles d'affaires le rapport propose-t-il ?", True),
    ("What business models does the report describe?", True),
    ("What kinds of AI tools are growing fastest?", True),
    ("What are the main barriers to entry?", True),
    ("Which route fits?", False),  # one thing: the verb ends in s, not the noun
    ("What is the market size in 2030?", False),
    ("Quel est le TCAC du marché ?", False),
])
def test_a_question_asks_for_several_things(question, expected):
    assert asks_list(question) is expected


def test_the_pipeline_answers_a_list_question_without_the_model(settings, tmp_path):
    from fakes import scripted_pipeline

    corpus = tmp_path / "list-corpus"
    corpus.mkdir()
    (corpus / "rapport.md").write_text(
        "# Zones pilotes\n\n" + OTHER + "\n\n# " + SECTION + "\n\n" + "\n\n".join([JV, LICENCE, WFOE]) + "\n",
        encoding="utf-8")
    pipeline, generator = scripted_pipeline(settings, "Une réponse du modèle [1].", corpus_dir=corpus, chunk_chars=150,
                                            min_similarity=-1.0)
    answer = pipeline.answer("Quels modèles d'affaires : intègre, entrée détachée, écosystème existant ?")
    assert not answer.abstained and not generator.calls, answer
    assert answer.text.startswith(ITEMS["fr"]), answer.text
    assert [c.chunk.text.split(":")[0] for c in answer.citations] == [
        "- Coentreprises", "- Licences technologiques", "- Établissement direct via des WFOE"]
    assert "- Licences technologiques : Ce modèle offre une entrée plus détachée. [2]" in answer.text
