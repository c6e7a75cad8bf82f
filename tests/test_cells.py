"""A question about one column of a table row is answered by that cell, quoted from the row retrieved first."""
from bot.cells import asked_columns, cell_for, cell_text
from bot.prompts import CELL, TRANSLATED
from bot.types import Chunk, Passage

from fakes import scripted_pipeline

ROW = ("Type : Complexité réglementaire\n"
       "Défi : La réglementation de l'IA en santé en Chine évolue rapidement, sans voie d'approbation unifiée.\n"
       "Exemple réel : Jenfervision a obtenu l'approbation de la NMPA pour son système de détection de nodules.\n"
       "Stratégie : Les entreprises étrangères devraient s'engager avec les régulateurs dès le début du processus.")
ROW_EN = ("Type: Regulatory complexity\n"
          "Challenge: AI health regulation in China evolves quickly, with no unified approval path.\n"
          "Real example: Jenfervision obtained NMPA approval for its lung nodule detection system.\n"
          "Strategy: Foreign enterprises should engage with regulators from the beginning of the process.")


def row(text: str = ROW, kind: str = "table_row", n: int = 1) -> Passage:
    return Passage(Chunk(id=f"r{n}", source="r.txt", section="Barrières", location="Barrières › 1", text=text,
                         kind=kind), n, 1.0, 0.8)


def test_the_columns_asked_for():
    assert asked_columns("Quelle stratégie le tableau recommande-t-il face à la pénurie de talents ?") == ("strategie",)
    assert asked_columns("How should a foreign firm handle the data privacy barrier, per the table?") == ("strategie",)
    # what to do to overcome a barrier is its strategy, however the question is put
    assert asked_columns("What should foreign firms budget for to deal with fragmented EMR systems?") == (
        "strategie",)
    assert asked_columns("Que faut-il prévoir pour surmonter la pénurie de talents ?") == ("strategie",)
    assert asked_columns("Quel problème posent les dossiers médicaux, d'après le tableau ?") == ("defi",)
    assert asked_columns("According to the barriers table, what is the data privacy challenge?") == ("defi",)
    assert asked_columns("Dans le tableau, quel exemple réel illustre la complexité ?") == ("exemple reel",)
    assert asked_columns("Que dit le tableau des canaux d'entrée rapide sur la Grande Baie ?") == ("*",)
    assert set(asked_columns("Which example and which strategy does the table give for talent?")) == {
        "exemple reel", "strategie"}
    assert asked_columns("Combien de défis le tableau liste-t-il ?") == ()  # a count, not a cell
    assert asked_columns("Le tableau recommande-t-il de s'engager tôt ?") == ()  # yes or no
    assert asked_columns("Quelle est la taille du marché en 2030 ?") == ()


def test_the_cell_of_the_first_row_in_the_readers_language():
    question = "What strategy does the table recommend for regulatory complexity?"
    cell = cell_for(question, [row()], "en", [ROW_EN])
    assert cell and cell.translated and cell.row == "Regulatory complexity"
    assert cell.text == "Strategy: Foreign enterprises should engage with regulators from the beginning of the process."
    assert cell_text(cell, "en") == CELL["en"].format(row="Regulatory complexity", cell=cell.text, n=1,
                                                      translated=TRANSLATED[True]["en"])
    assert cell_for(question, [row()], "en", [None]) is None  # no rendering: never the French to an English reader
    assert cell_for("Quelle stratégie le tableau recommande-t-il ?", [row(ROW_EN)], "fr") is None  # nor the reverse
    french = cell_for("Quel exemple réel le tableau donne-t-il pour la complexité réglementaire ?", [row()], "fr")
    assert french and french.text.startswith("Exemple réel : Jenfervision") and not french.translated
    whole = cell_for("Que dit le tableau sur la complexité réglementaire ?", [row()], "fr", leads=True)
    assert whole and whole.text.split("\n")[0].startswith("Défi :") and len(whole.text.split("\n")) == 3
    # the whole table asked for, its first row not clearly ahead: left to the model
    assert cell_for("Que dit le tableau des barrières ?", [row(), row(n=2)], "fr") is None
    both = cell_for("Comment surmonter le défi de la complexité réglementaire, selon le tableau ?", [row()], "fr")
    assert both and [line.split(" : ")[0] for line in both.text.split("\n")] == ["Défi", "Stratégie"]


def test_only_a_table_row_leading_or_asked_about_as_a_table_answers():
    question = "What strategy does the report recommend for regulatory complexity?"  # no 'table' in it
    assert cell_for(question, [row(), row(n=2)], "fr") is None  # the row does not lead: left to the model
    assert cell_for(question, [row()], "fr", leads=True) is not None
    assert cell_for(question, [row(kind="text"), row(n=2)], "fr") is None
    # a question about the table is answered by the closest of its rows found, though a text passage comes first
    cell = cell_for("Quelle stratégie le tableau recommande-t-il ?", [row(kind="text"), row(n=2)], "fr")
    assert cell and cell.n == 2 and cell.text.startswith("Stratégie : Les entreprises étrangères")
    assert cell_for("Quelle stratégie le tableau recommande-t-il ?", [row(kind="text"), row(kind="text", n=2)],
                    "fr") is None
    assert cell_for("Quelle stratégie le tableau recommande-t-il ?", [row("Type : x\nune ligne sans libellé")],
                    "fr") is None


def test_the_pipeline_answers_a_cell_question_without_the_model(settings):
    pipeline, generator = scripted_pipeline(settings, "Une réponse du modèle [1].")
    answer = pipeline.answer("Quelle stratégie le tableau des barrières recommande-t-il face à la complexité "
                             "réglementaire et aux régulateurs nationaux ?")
    cited = answer.citations[0].chunk
    assert not answer.abstained and cited.kind == "table_row" and not generator.calls
    strategy = next(line for line in cited.text.splitlines() if line.startswith("Stratégie : "))
    assert f"« {strategy} » [1]" in answer.text
