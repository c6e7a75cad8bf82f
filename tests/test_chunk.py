"""The chunker on the real report: structure, table rows with headers, stable ids."""
from pathlib import Path

from bot.chunk import chunk_corpus, split_sentences
from bot.ingest import load_corpus, parse_lines

from conftest import REPORT


def chunks(max_chars=700):
    return chunk_corpus(load_corpus(REPORT.parent), max_chars)


def test_every_chunk_knows_its_section_and_location():
    all_chunks = chunks()
    assert len(all_chunks) > 30
    for c in all_chunks:
        assert c.section and c.location.startswith(c.section)
        assert c.source == REPORT.name
        assert c.embed_text.startswith(c.section)
    tele = [c for c in all_chunks if "Ali Health, JD Health" in c.text]
    assert tele and tele[0].section == "Télémédecine et soins de santé ruraux"
    assert "¶" in tele[0].location


def test_table_rows_are_one_chunk_each_with_their_headers():
    rows = [c for c in chunks() if c.section == "Barrières à l'entrée et solutions"]
    assert [r.location.split(" › ")[1] for r in rows] == [
        "Complexité réglementaire", "Confidentialité des données et restrictions transfrontalières",
        "Les systèmes EMR fragmentés et la qualité des données", "Pénuries de talents et écart de compétences"]
    for row in rows:
        for header in ("Type : ", "Défi : ", "Exemple réel : ", "Stratégie : "):
            assert header in row.text
        assert "|" not in row.text
    philips = next(r for r in rows if "Philips" in r.text)
    assert "Stratégie : Les entreprises étrangères doivent concevoir" in philips.text
    zones = [c for c in chunks() if c.section.startswith("Canaux d'entrée rapide")]
    assert [z.location.split(" › ")[1] for z in zones] == ["Hainan Boao Lecheng", "Grande Baie"]
    assert all(z.text.startswith("Zone : ") and "Description : " in z.text for z in zones)
    assert all(c.kind == "table_row" for c in rows + zones)
    assert all(c.kind == "text" for c in chunks() if c not in rows + zones)


def test_bullets_stay_with_their_lead_sentence():
    lists = [c for c in chunks() if "Licencier des technologies d'IA à des intégrateurs locaux" in c.text]
    assert lists and "stratégies légères en actifs :" in lists[0].text
    tele = next(c for c in chunks() if "Ali Health, JD Health" in c.text)
    assert "se développent rapidement :" in tele.text


def test_long_bullets_are_split_at_sentences_and_keep_their_label():
    joint = [c for c in chunks() if c.text.startswith("- Coentreprises:")]
    assert len(joint) >= 2
    assert all(len(c.text) <= 700 for c in joint)


def test_ids_are_content_hashes_stable_across_rebuilds():
    first, second = chunks(), chunks()
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    assert {c.id for c in chunks(500)} != {c.id for c in first}


def test_paragraph_chunks_respect_the_size_limit():
    for c in chunks():
        if " › " not in c.location:  # table rows are kept whole
            assert len(c.text) <= 700, c.location


def test_every_line_of_the_report_is_in_some_chunk():
    text = " ".join(" ".join(c.text.split()) for c in chunks())
    for line in REPORT.read_text(encoding="utf-8").splitlines():
        for cell in line.split("|"):
            sentence = " ".join(cell.split())[:60]
            if len(sentence) > 20:
                assert sentence in text or sentence in " ".join(c.section for c in chunks())


def test_a_piece_opening_on_what_came_before_carries_the_sentence_it_refers_to():
    overcome = next(c for c in chunks() if "Pour surmonter cela" in c.text)
    assert overcome.text.startswith("Sans accès à ces corpus richement annotés")
    opening = "Le marché croît vite dans les grandes villes et dans les provinces côtières. "
    doc = parse_lines("x.txt", ["# Données", opening + "Les corpus sont incomplets pour les dialectes locaux. "
                                "Pour surmonter cela, affinez les modèles sur place."])
    pieces = [c.text for c in chunk_corpus([doc], 130)]
    assert pieces == [opening + "Les corpus sont incomplets pour les dialectes locaux.",
                      "Les corpus sont incomplets pour les dialectes locaux. Pour surmonter cela, affinez les modèles "
                      "sur place."]
    plain = parse_lines("x.txt", ["# Données", opening + "Les corpus sont incomplets pour les dialectes locaux. "
                                  "Les hôpitaux pilotes aident à les compléter."])
    assert [c.text for c in chunk_corpus([plain], 130)][-1] == "Les hôpitaux pilotes aident à les compléter."


def test_split_sentences_keeps_whole_sentences():
    text = "Première phrase. Deuxième phrase plus longue. Troisième."
    assert split_sentences(text, 30) == ["Première phrase.", "Deuxième phrase plus longue.", "Troisième."]


def test_markdown_headings_and_tables():
    doc = parse_lines("x.md", ["# Marché", "Le marché croît.", "| Zone | Atout |", "|---|---|",
                               "| Hainan | Bac à sable |"])
    kinds = [(b.kind, b.section) for b in doc.blocks]
    assert ("paragraph", "Marché") in kinds
    row = next(b for b in doc.blocks if b.kind == "table_row")
    assert row.text == "Zone : Hainan\nAtout : Bac à sable"


def test_html_and_pdf_files_are_ingested(tmp_path: Path):
    (tmp_path / "page.html").write_text(
        "<html><body><h2>Santé rurale</h2><p>Les cliniques <b>rurales</b> adoptent l'IA.</p>"
        "<script>alert(1)</script><ul><li>Triage</li></ul></body></html>", encoding="utf-8")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "Shenzhen accueille des incubateurs.")
    fig.savefig(tmp_path / "note.pdf")
    plt.close(fig)
    docs = {d.source: d for d in load_corpus(tmp_path)}
    html = docs["page.html"].blocks
    assert any(b.text == "Les cliniques rurales adoptent l'IA." and b.section == "Santé rurale" for b in html)
    assert not any("alert" in b.text for b in html)
    assert any("Shenzhen accueille des incubateurs." in b.text for b in docs["note.pdf"].blocks)
