"""Who said what (qa/attribution.py) on articles written for these tests: each reporting pattern,
nested quotes, alternating speakers, pronouns across an intervening sentence, and a "he said" with
nobody to point to."""

from __future__ import annotations

from qa.attribution import find_statements


def said(text: str) -> list[tuple[str, str]]:
    return [(s.speaker, s.text_in(text)) for s in find_statements(text)]


def test_direct_quotes_attributed_after_and_before():
    text = (
        "Harbour talks resumed in Marlow on Monday.\n\n"
        "“We will reopen the quay by June,” Mayor Ann Lindqvist said.\n\n"
        "“Nobody will lose their berth,” said Tom Okafor, the harbour master.\n\n"
        "Lindqvist told reporters: “The money is already there.”"
    )
    assert said(text) == [
        ("Ann Lindqvist", "We will reopen the quay by June"),
        ("Tom Okafor", "Nobody will lose their berth"),
        ("Ann Lindqvist", "The money is already there"),
    ]


def test_indirect_speech_shapes():
    text = (
        "Finance Minister Carla Bruni-Ott said the budget would be balanced by 2026.\n\n"
        "Growth will slow next year, according to Peter Haldane.\n\n"
        "According to Haldane, exports fell for a third month.\n\n"
        "Bruni-Ott told lawmakers on Tuesday that taxes would not rise.\n\n"
        "She added that pensions were safe."
    )
    assert said(text) == [
        ("Carla Bruni-Ott", "the budget would be balanced by 2026"),
        ("Peter Haldane", "Growth will slow next year"),
        ("Peter Haldane", "exports fell for a third month"),
        ("Carla Bruni-Ott", "taxes would not rise"),
        ("Carla Bruni-Ott", "pensions were safe"),
    ]


def test_speech_acts_and_saying_that():
    text = (
        "Premier Jonas Reyes met President Ilse Varga in Bishkek.\n\n"
        "Reyes called on the two sides to expand exchanges in education.\n\n"
        "He also expressed his country's willingness to deepen cooperation in energy.\n\n"
        "Varga congratulated Reyes on the summit, saying that relations were at an unprecedented high."
    )
    assert said(text) == [
        ("Jonas Reyes", "the two sides to expand exchanges in education"),
        ("Jonas Reyes", "his country's willingness to deepen cooperation in energy"),
        ("Ilse Varga", "relations were at an unprecedented high"),
    ]


def test_two_speakers_alternating_each_closed_by_he_said():
    """The seed article's shape: both men's statements end in "he said"; each goes to the right one."""
    text = (
        "Premier Li Wen met Prime Minister Pavel Orlov in Bishkek on Wednesday.\n\n"
        "Li said the two countries are committed to bringing benefits to their peoples.\n\n"
        "China is willing to work with Russia to deepen cooperation in the energy sector, he said.\n\n"
        "The premier said China welcomes more Russian products.\n\n"
        "Orlov praised the Belt and Road Forum, saying that the partnership is at a high level.\n\n"
        "Russia is willing to align the Belt and Road Initiative with the Eurasian Union, he said."
    )
    speakers = [speaker for speaker, _ in said(text)]
    assert speakers == ["Li Wen", "Li Wen", "Li Wen", "Pavel Orlov", "Pavel Orlov"]


def test_a_pronoun_after_a_sentence_about_a_third_person_stays_with_the_speaker():
    text = (
        "“The bridge is overdue,” Mayor Ann Lindqvist said.\n\n"
        "Governor Tom Park has opposed the plan for years and did not attend.\n\n"
        "“We will build it with or without the state,” she said."
    )
    assert said(text) == [
        ("Ann Lindqvist", "The bridge is overdue"),
        ("Ann Lindqvist", "We will build it with or without the state"),
    ]


def test_nested_quotes_and_a_quote_paragraph_that_carries_on():
    text = (
        "“My mother used to say ‘never sell the farm,’ and I never did,” grower Lena Moss said.\n\n"
        "“The frost came late this year. We lost a third of the blossom.”\n\n"
        "The county has promised help."
    )
    assert said(text) == [
        ("Lena Moss", "My mother used to say ‘never sell the farm,’ and I never did"),
        ("Lena Moss", "The frost came late this year. We lost a third of the blossom"),
    ]


def test_a_he_said_with_nobody_to_point_to_stays_unattributed():
    text = (
        "The storm closed the harbour for three days.\n\n"
        "Ferries will run again once the quay is inspected, he said.\n\n"
        "“It was the worst in a decade,” officials said."
    )
    assert said(text) == []


def test_offsets_point_into_the_text():
    text = "Intro.\n\nAnalyst Mei Tan said demand for chips would fall in the spring."
    [statement] = find_statements(text)
    assert text[statement.start : statement.end] == "demand for chips would fall in the spring"
    assert statement.speaker == "Mei Tan" and statement.cue == "said" and not statement.direct
