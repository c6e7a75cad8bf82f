"""English renderings of the passages: checked line by line, cached, shown to the model for English questions."""
import json

from bot.chunk import chunk_corpus, sentences_of
from bot.config import ROOT, load_settings
from bot.ingest import load_corpus
from bot.models import GENERATORS
from bot.prompts import build_messages
from bot.renderings import RENDERER, Renderings, build, faithful, line_key, load
from bot.types import Chunk, Passage

SHA = "0" * 64


def line_of(messages) -> str:
    """The line a stand-in translator is asked for, whichever prompt asks."""
    text = messages[-1]["content"].split("\n\nReport terms")[0]
    return text.removeprefix("Translate into English:\n\n")
LINE = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030, selon Infervision."
GOOD = "The market should reach US$18.88 billion by 2030, according to Infervision."


def chunk(text: str, section: str = "Marché") -> Chunk:
    return Chunk(id="c1", source="r.txt", section=section, location="Marché, § 1", text=text)


def test_a_rendering_is_kept_only_with_every_figure_and_name_of_its_line():
    assert faithful(LINE, GOOD)
    assert not faithful(LINE, "The market should reach US$16.02 billion by 2030, according to Infervision.")
    assert not faithful(LINE, "The market should reach US$18.88 billion by 2030, according to the company.")
    assert not faithful(LINE, "US$18.88 billion, 2030, Infervision.")  # most of the line is gone
    assert not faithful(LINE, "")
    # The report's other spelling of a name counts: 'Pékin' is 'Beijing'.
    assert faithful("Le parc de Pékin compte 12 entreprises et attire les investisseurs.",
                    "The Beijing park has 12 companies and attracts investors.")


def test_build_stores_faithful_lines_keeps_the_others_in_french_and_reuses_its_work(tmp_path):
    path = tmp_path / "renderings.jsonl"
    text = f"{LINE}\nLa Chine compte 38 000+ hôpitaux publics."
    calls = []

    def translate(messages) -> str:
        line = line_of(messages)
        calls.append(line)
        return {LINE: GOOD, "Marché": "Market"}.get(line, "China has many public hospitals.")  # 38 000+ lost

    made = build([chunk(text)], translate, path, SHA)
    assert (made.reused, made.made, made.kept_french) == (0, 2, 1)
    renderings = load(path, SHA)
    assert renderings.english(chunk(text)) == f"{GOOD}\nLa Chine compte 38 000+ hôpitaux publics."
    assert renderings.section(chunk(text)) == "Market"

    calls.clear()
    again = build([chunk(text)], translate, path, SHA)
    assert (again.reused, again.made) == (2, 0)
    # only the line without a rendering is tried, with each of the three prompts
    assert calls == ["La Chine compte 38 000+ hôpitaux publics."] * 3


def test_a_line_never_rendered_whole_gets_its_faithful_sentences_in_english(tmp_path):
    path = tmp_path / "renderings.jsonl"
    first = "Deepwise a développé des outils d'IA pour la détection rapide des AVC, utilisés dans les hôpitaux."
    lost = "De même, les outils de dépistage d'Infervision sont largement déployés."
    english = {first: "Deepwise developed AI tools for the rapid detection of strokes, used in hospitals.",
               lost: "Similarly, screening tools are widely deployed."}  # the name is lost, whatever the prompt

    def translate(messages) -> str:
        line = line_of(messages)
        return english.get(line, " ".join(english.get(s, s) for s in (first, lost)) if line.startswith(first)
                           else "Market")

    made = build([chunk(f"{first} {lost}")], translate, path, SHA)
    assert (made.made, made.kept_french, made.by_sentence) == (1, 1, 1)  # the title whole; the line by sentence
    renderings = load(path, SHA)
    assert renderings.english(chunk(f"{first} {lost}")) == f"{english[first]} {lost}"
    assert renderings.line(lost) is None
    # kept when the file is rewritten for the same chunks, and read back without asking the model for it
    again = build([chunk(f"{first} {lost}")], translate, path, SHA)
    assert again.by_sentence == 1 and load(path, SHA).line(f"{first} {lost}") == f"{english[first]} {lost}"


def test_another_model_or_a_torn_file_costs_only_those_renderings(tmp_path):
    path = tmp_path / "renderings.jsonl"
    build([chunk(LINE)], lambda m: GOOD if line_of(m) == LINE else "Market", path, SHA)
    assert load(path, "1" * 64).english(chunk(LINE)) is None  # made by another model: not used
    with path.open("a", encoding="utf-8") as out:
        out.write('{"key": "abc", "te')  # a run killed mid-line
    assert load(path, SHA).english(chunk(LINE)) == GOOD
    other = "Les hôpitaux de Shanghai partagent leurs données."
    build([chunk(other)], lambda m: "Shanghai hospitals share their data." if line_of(m) == other else "Market",
          path, SHA)
    assert load(path, SHA).english(chunk(other)) == "Shanghai hospitals share their data."
    assert load(tmp_path / "missing.jsonl", SHA).lines == {}


def test_english_questions_read_the_renderings_and_french_ones_the_report():
    renderings = Renderings({line_key(LINE, SHA): GOOD, line_key("Marché", SHA): "Market"}, SHA)
    passages = [Passage(chunk(LINE), 1, 1.0, 0.9)]
    english = build_messages("What size by 2030?", "en", passages, [], turns=2, chars=600, renderings=renderings)
    assert f"[1] (Market) « {GOOD} »" in english[-1]["content"]
    assert "18,88" not in english[-1]["content"]
    french = build_messages("Quelle taille en 2030 ?", "fr", passages, [], turns=2, chars=600, renderings=renderings)
    assert f"[1] (Marché) « {LINE} »" in french[-1]["content"]


def test_the_committed_renderings_cover_the_report():
    """The repository's cache matches today's report and chunker: a fresh set-up gets them for free."""
    settings = load_settings({})
    chunks = chunk_corpus(load_corpus(ROOT / "corpus"), settings.chunk_chars)
    renderings = load(settings.renderings_path, GENERATORS[RENDERER].sha256)
    rendered = [c for c in chunks if renderings.english(c)]
    assert len(rendered) >= 0.85 * len(chunks), f"{len(rendered)} of {len(chunks)} chunks have an English rendering"
    for line in settings.renderings_path.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) == {"key", "text"}
    lines = {line for c in chunks for line in [c.section, *c.text.split("\n")] if line.strip()}
    # each stored rendering is faithful to its text: a whole line, or a sentence of a line never rendered whole
    stored = {text: r for line in lines for text in [line, *sentences_of(line)]
              if (r := renderings.lines.get(line_key(text, renderings.model_sha256))) is not None}
    unfaithful = [text for text, rendering in stored.items() if not faithful(text, rendering)]
    assert not unfaithful, unfaithful


def test_a_capitalised_french_word_may_be_translated_but_a_brand_or_acronym_may_not():
    line = "- Coentreprises: le partenaire de Jenfervision porte les dépôts auprès de la NMPA et de l'IA."
    assert faithful(line, "- Joint ventures: Jenfervision's partner handles the filings with the NMPA and AI.")
    assert not faithful(line, "- Joint ventures: the partner handles the filings with the NMPA and the AI side.")
    assert not faithful(line, "- Joint ventures: Jenfervision's partner handles the filings with the regulator.")
    assert faithful("Les ZFE et la MTC numérique attirent les investisseurs étrangers.",
                    "FTZs and digital TCM attract foreign investors.")
    # The instruction repeated instead of, or after, the translation
    assert not faithful("Imagerie médicale et diagnostics", "Every clause and every item of a list.")
    assert not faithful("Les ZFE attirent les investisseurs étrangers.",
                        "FTZs attract foreign investors. Every clause and every item of a list.")


def test_a_rendering_keeps_no_french_word_and_gives_each_report_term_its_english():
    line = "Confidentialité des données et restrictions transfrontalières"
    assert faithful(line, "Data privacy and cross-border restrictions")
    assert not faithful(line, "Confidentiality of data and restrictions transfrontaliers")  # a French word left
    queues = "Les hôpitaux améliorent la gestion des files d'attente et la facturation des patients."
    assert faithful(queues, "Hospitals improve queue management and the billing of patients.")
    assert not faithful(queues, "Hospitals improve patient file management and the billing of patients.")
    assert not faithful("Les données de santé doivent être traitées en Chine.",
                        "The health data must be traitées in China.")
    # 'alimentés par l'IA' is AI-powered, not food ('aliment')
    powered = "Les entreprises étrangères mettent sur le marché des produits de santé alimentés par l'IA."
    assert faithful(powered, "Foreign companies bring AI-powered health products to market.")
    assert not faithful(powered, "Foreign companies bring food and health products using AI to market.")
    devices = "À la mi-2024, 92 dispositifs médicaux de classe III avaient été approuvés par la NMPA."
    assert faithful(devices, "By mid-2024, 92 class III medical devices had been approved by the NMPA.")
    assert not faithful(devices, "By mid-2024, 92 III-class medical devices had been approved by the NMPA.")
    # British spellings and English words French also uses are English
    assert faithful("La localisation des données est une priorité du programme.",
                    "Data localisation is a priority of the programme.")


def test_a_report_term_left_in_french_is_written_in_english_before_the_rendering_is_judged(tmp_path):
    line = "Confidentialité des données et restrictions transfrontalières"
    path = tmp_path / "renderings.jsonl"
    made = build([chunk(line)], lambda m: "Data privacy and restrictions transfrontalières" if line_of(m) == line
                 else "Market", path, SHA)
    assert made.made == 2
    assert load(path, SHA).line(line) == "Data privacy and restrictions cross-border"


def test_a_line_whose_terms_the_model_ignores_is_asked_last_with_them_in_english(tmp_path):
    line = "Les hôpitaux améliorent la gestion des files d'attente et la facturation des patients."
    asked = []

    def translate(messages) -> str:
        asked.append(line_of(messages))
        if "queues" in line_of(messages):
            return "Hospitals improve the management of queues and the billing of patients."
        return "Hospitals improve patient file management and the billing of patients." if "files" in \
            line_of(messages) else "Market"

    build([chunk(line)], translate, tmp_path / "renderings.jsonl", SHA)
    assert asked[-1] == "Les hôpitaux améliorent la gestion des queues et la facturation des patients."
    assert load(tmp_path / "renderings.jsonl", SHA).line(line) == \
        "Hospitals improve the management of queues and the billing of patients."


def test_a_line_the_model_summarises_or_echoes_is_asked_again_sentence_by_sentence_then_plainly(tmp_path):
    first, second = "Le marché valait 1,59 milliard en 2023.", "Il atteindra 18,88 milliards en 2030."
    english = {first: "The market was worth 1.59 billion in 2023.", second: "It will reach 18.88 billion in 2030."}
    asked = []

    def translate(messages) -> str:
        line = line_of(messages)
        asked.append((line, messages[0]["content"].startswith("Translate this line")))
        return english.get(line, "A market of 1.59 billion.")  # the whole line: summarised, a figure lost

    path = tmp_path / "renderings.jsonl"
    made = build([chunk(f"{first} {second}", section="")], translate, path, SHA)
    assert made.made == 1 and asked == [(f"{first} {second}", True), (first, True), (second, True)]
    assert load(path, SHA).english(chunk(f"{first} {second}", section="")) == " ".join(english.values())

    title = "Imagerie médicale et diagnostics"
    plain = lambda m: "Medical imaging and diagnostics" if m[-1]["content"].startswith("Translate into") \
        else "Every clause and every item of a list."  # noqa: E731  (the first prompt echoed)
    assert build([chunk(title, section="")], plain, path, SHA).made == 1
    assert load(path, SHA).english(chunk(title, section="")) == "Medical imaging and diagnostics"


def test_translate_the_sources_gives_the_rendering_at_once_and_asks_the_model_only_without_one(settings):
    from bot.index import build_index
    from bot.pipeline import Pipeline
    from bot.retrieve import Retriever

    from fakes import HashEmbedder, ScriptedGenerator

    embedder, generator = HashEmbedder(), ScriptedGenerator("Translated by the model.")
    renderings = Renderings({line_key(LINE, SHA): GOOD}, SHA)
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), generator,
                        renderings)
    assert pipeline.passage_in(chunk(LINE), "en") == GOOD
    assert pipeline.passage_in(chunk("Une autre ligne."), "en") == "Translated by the model."
    assert pipeline.passage_in(chunk(LINE), "fr") == "Translated by the model."
