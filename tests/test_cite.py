"""Citation parsing, invalid markers, attribution and the figure check."""
from bot.cite import check_answer, normalize_markers, split_answer
from bot.types import Chunk, Passage


def passages(*texts):
    return [Passage(Chunk(f"id{i}", "r.txt", "S", f"S ¶{i}", t), i, 1.0, 0.8) for i, t in enumerate(texts, 1)]


P = passages(
    "Le marché est passé de 1,59 milliard de dollars US en 2023 à 16,02 milliards en 2028.",
    "Ali Health, JD Health et Ping An Good Doctor dominent la télémédecine rurale.",
    "Le gouvernement a mandaté des normes EMR dans ses 38 000+ hôpitaux publics.",
)


def test_groups_ranges_and_invalid_markers():
    text, dropped = normalize_markers("A [1, 3]. B [2-3]. C [9]. D [1 et 2].", 3)
    assert text == "A [1][3]. B [2][3]. C. D [1][2]."
    assert dropped == 1


def test_abbreviations_do_not_end_a_sentence():
    assert split_answer("It is run by Dr. Wang and Mr. Li. Next [1].") == ["It is run by Dr. Wang and Mr. Li.", "Next [1]."]


def test_marker_after_the_full_stop_joins_its_sentence():
    text, _ = normalize_markers("Premier point. [2] Second point [1].", 3)
    assert split_answer(text) == ["Premier point [2].", "Second point [1]."]


def test_valid_citation_with_supported_figures_is_kept():
    checked = check_answer("Le marché valait 1,59 milliard de dollars en 2023 [1].", P)
    assert checked.text == "Le marché valait 1,59 milliard de dollars en 2023 [1]."
    assert checked.cited == (1,) and checked.unsupported_figures == () and checked.attributed == 0


def test_figure_in_number_format_of_another_language_is_supported():
    checked = check_answer("The government mandated EMR standards in its 38,000+ public hospitals [3].", P)
    assert checked.cited == (3,) and not checked.unsupported_figures


def test_invented_figure_removes_the_sentence_and_is_reported():
    checked = check_answer("Le marché valait 1,59 milliard en 2023 [1]. Il vaudra 25 milliards en 2026 [1].", P)
    assert checked.text == "Le marché valait 1,59 milliard en 2023 [1]."
    assert set(checked.unsupported_figures) == {"25", "2026"}


def test_wrong_citation_is_moved_to_the_passage_holding_the_figure():
    checked = check_answer("Il y a plus de 38 000 hôpitaux publics [1].", P)
    assert checked.text == "Il y a plus de 38 000 hôpitaux publics [3]."
    assert checked.cited == (3,)


def test_uncited_sentence_is_attributed_by_figures_then_similarity():
    checked = check_answer("The market reached 16.02 billion in 2028.", P)
    assert checked.text == "The market reached 16.02 billion in 2028 [1]."
    assert checked.attributed == 1
    sims = lambda sentences: [[0.1, 0.9, 0.2] for _ in sentences]  # noqa: E731
    checked = check_answer("Ali Health and JD Health lead rural telemedicine.", P, sims)
    assert checked.cited == (2,)


def test_sentence_tied_to_no_passage_is_removed_but_a_list_lead_in_stays():
    low = lambda sentences: [[0.1, 0.2, 0.1] for _ in sentences]  # noqa: E731
    checked = check_answer("Philips is a multinational company. Ali Health leads rural care [2].", P, low)
    assert checked.text == "Ali Health leads rural care [2]." and checked.removed == 1
    checked = check_answer("Three companies lead:\n1. Ali Health [2]\n2. JD Health [2]", P, low)
    assert checked.text.startswith("Three companies lead:") and checked.removed == 0
    assert check_answer("Voici la réponse.", P, low).cited == ()


def test_a_short_list_item_far_in_meaning_is_tied_by_its_words_to_the_text_the_model_read():
    low = lambda sentences: [[0.1, 0.2, 0.1] for _ in sentences]  # noqa: E731
    read = [p.chunk.text for p in P]
    read[2] += "\nThe government mandated EMR standards across its 38,000+ public hospitals."
    answer = "Measures named [1]:\n- mandated standards\n- public hospitals\n- private clinics"
    checked = check_answer(answer, P, low, read)
    assert checked.text == "Measures named [1]:\n- mandated standards [3]\n- public hospitals [3]"
    assert [w.reason for w in checked.withdrawn] == ["untied"]  # 'clinics' is in no passage
    # A long sentence is not tied by its words: only meaning or figures tie it.
    long = "The government mandated standards for public hospitals across the provinces and the cities of China today."
    assert check_answer(long, P, low, read).cited == ()


def test_an_answer_of_bare_markers_cites_nothing():
    for raw in ("[1]", "Passage [1]", "[2] Réponse : [2]."):
        checked = check_answer(raw, P)
        assert checked.cited == () and checked.removed == 1, raw


def test_a_percentage_needs_a_percentage_in_the_passage():
    checked = check_answer("L'imagerie représente 38 000 % du marché [3].", P)
    assert checked.cited == () and checked.unsupported_figures == ("38000%",)


def test_list_numbering_is_not_taken_for_a_figure():
    checked = check_answer("1. Ali Health [2]\n2. JD Health [2]", P)
    assert checked.cited == (2,) and not checked.unsupported_figures


def test_a_draft_stopped_by_the_token_limit_loses_its_cut_sentence_only():
    from bot.cite import without_cut_sentence

    cut = "Le marché vaut 1,59 milliard [1]. Il atteindra 18,88 mi"
    assert without_cut_sentence(cut) == "Le marché vaut 1,59 milliard [1]."
    listed = "Trois modes [1]:\n- Coentreprises [1]\n- Licences [2]\nPour éviter ce risque, les"
    assert without_cut_sentence(listed) == "Trois modes [1]:\n- Coentreprises [1]\n- Licences [2]"
    assert without_cut_sentence("Un ratio de 3.5 ans [1]. Puis") == "Un ratio de 3.5 ans [1]."  # 3.5 ends nothing
    assert without_cut_sentence("Rien de fini ici") == "Rien de fini ici"  # for the checks to judge
    assert without_cut_sentence("Il dit « oui ». Et puis") == "Il dit « oui »."


def test_a_line_labelled_with_its_passage_cites_it_and_a_repeated_sentence_is_said_once():
    draft = ("[2] Oui, Ali Health domine la télémédecine rurale. JD Health aussi.\n"
             "[3] Ali Health domine la télémédecine rurale.\n"
             "[1] Oui, Ali Health domine la télémédecine rurale. JD Health aussi.")
    checked = check_answer(draft, P)
    assert checked.text == "Oui, Ali Health domine la télémédecine rurale [2].\nJD Health aussi [2]."
    assert [w.reason for w in checked.withdrawn] == ["repeated"] * 3
    # Sentences sharing words but each saying something of its own stay
    both = check_answer("Ali Health domine la télémédecine rurale [2]. JD Health domine la télémédecine rurale [2].", P)
    assert both.withdrawn == ()
    assert normalize_markers("[2] [3]", 3)[0] == "[2] [3]"
