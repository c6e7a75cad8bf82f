"""An overview question a table answers gets the table's rows, one line each, cited to its row."""
from bot.cite import sentence_figures
from bot.prompts import ROWS, TRANSLATED
from bot.rows import rows_text, table_rows
from bot.types import Chunk, Passage

from fakes import scripted_pipeline
from test_cells import ROW, ROW_EN

TALENT = ("Type : Pénuries de talents et écart de compétences\n"
          "Défi : Il y a une pénurie de professionnels qui comprennent à la fois la santé et l'IA.\n"
          "Exemple réel : Le bras de santé IA de Baidu a formé des partenariats avec des universités chinoises.\n"
          "Stratégie : Les acteurs étrangers peuvent localiser la R&D en embauchant des ingénieurs IA chinois.")
TALENT_EN = ("Type: talent scarcity and skill gap\n"
             "Challenge: There is a shortage of professionals who understand both health and AI.\n"
             "Real example: Baidu's AI health arm has partnered with Chinese universities.\n"
             "Strategy: Foreign actors can locate R&D by hiring Chinese AI engineers.")
LEAD = "Les barrières clés suivantes ont testé à la fois les acteurs locaux et étrangers."


def table() -> list[Passage]:
    def passage(text: str, kind: str, n: int) -> Passage:
        return Passage(Chunk(id=f"c{n}", source="r.txt", section="Barrières à l'entrée et solutions",
                             location=f"¶{n}", text=text, kind=kind), n, 1.0, 0.8)

    return [passage(LEAD, "text", 1), passage(ROW, "table_row", 2), passage(TALENT, "table_row", 3)]


def test_each_row_with_the_columns_asked_for_cited_to_its_row():
    rows = table_rows("Quelles sont les principales barrières à l'entrée et comment les surmonter ?", table(), "fr")
    assert [(r.n, r.name) for r in rows] == [(2, "Complexité réglementaire"),
                                             (3, "Pénuries de talents et écart de compétences")]
    assert [label for r in rows for label, _ in r.cells] == ["Stratégie", "Stratégie"]
    text = rows_text(rows, "fr")
    assert not sentence_figures(text.splitlines()[0])  # the lead states no figure of its own
    assert text.splitlines() == [
        ROWS["fr"].format(translated=""),
        "- Complexité réglementaire — Stratégie : Les entreprises étrangères devraient s'engager avec les "
        "régulateurs dès le début du processus. [2]",
        "- Pénuries de talents et écart de compétences — Stratégie : Les acteurs étrangers peuvent localiser la R&D "
        "en embauchant des ingénieurs IA chinois. [3]"]
    names = table_rows("Quels sont les principaux obstacles à l'entrée ?", table(), "fr")
    assert rows_text(names, "fr").splitlines()[1:] == ["- Complexité réglementaire [2]",
                                                       "- Pénuries de talents et écart de compétences [3]"]


def test_an_english_reader_gets_the_renderings_or_the_model():
    question = "What are the main barriers to entry, and how does the report suggest overcoming them?"
    rows = table_rows(question, table(), "en", [None, ROW_EN, TALENT_EN])
    assert [r.name for r in rows] == ["Regulatory complexity", "Talent scarcity and skill gap"]  # capitalised
    assert rows[1].cells == (("Strategy", "Foreign actors can locate R&D by hiring Chinese AI engineers."),)
    assert rows_text(rows, "en").splitlines()[0] == ROWS["en"].format(translated=TRANSLATED[True]["en"])
    assert table_rows(question, table(), "en", [None, ROW_EN, None]) == ()  # a row not rendered: never French


def test_a_question_about_something_else_or_a_single_row_is_left_to_the_model():
    assert table_rows("Quelles sont les principales opportunités pour les investisseurs ?", table(), "fr") == ()
    assert table_rows("Quelles sont les principales barrières ?", table()[:2], "fr") == ()
    broken = table()
    broken[2] = Passage(Chunk(id="c3", source="r.txt", section="Barrières à l'entrée et solutions", location="¶3",
                              text="Une ligne sans libellé", kind="table_row"), 3, 1.0, 0.8)
    assert table_rows("Quelles sont les principales barrières ?", broken, "fr") == ()


def test_the_pipeline_answers_a_table_overview_without_the_model(settings):
    pipeline, generator = scripted_pipeline(settings, "Une réponse du modèle [1].")
    answer = pipeline.answer("Quelles sont les barrières à l'entrée et solutions du tableau, et comment les "
                             "surmonter selon la stratégie ?")
    assert not answer.abstained and not generator.calls, answer
    assert answer.text.startswith(ROWS["fr"])
    assert len(answer.citations) >= 2 and all(c.chunk.kind == "table_row" for c in answer.citations)
    for citation in answer.citations:
        strategy = next(line for line in citation.chunk.text.splitlines() if line.startswith("Stratégie : "))
        assert f"{strategy} [{citation.n}]" in answer.text
