"""Who said what: statements in an article and the named speaker of each, by rules, with no model.

News reports speech in a handful of shapes, and these rules read them:

- direct quotes, attributed after the quote (“...,” Smith said / “...,” said Smith / “...,” he told
  CNN) or before it (Smith said: “...”), and a quote paragraph that continues the previous one;
- indirect speech: "Smith said (that) ...", "..., Smith said.", "..., he said.", "According to
  Smith, ...", "..., according to Smith.", "Smith told reporters ...", "Smith added ...";
- acts of speech: "Smith called on ... to ...", "Smith expressed ...", "..., saying (that) ...".

Speakers are resolved to the fullest name the article gives: "Mishustin" and "Russian Prime
Minister Mikhail Mishustin" are one man; "the premier" is whoever the article called Premier; "he"
is the last named speaker within a few sentences (news keeps a speaker until it names another),
else a person named in the sentence before. A pronoun or description with nobody to point to stays
unattributed: a wrong name is worse than none.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from qa.text import Sentence

VERBS = (
    "said|says|say|told|tells|added|adds|noted|notes|stressed|stresses|warned|warns|argued|argues|"
    "explained|explains|insisted|insists|claimed|claims|announced|announces|wrote|writes|tweeted|"
    "urged|urges|asked|asks|emphasized|emphasised|stated|states|replied|recalled|predicted|"
    "promised|vowed|pledged|reiterated|acknowledged|admitted|confirmed|denied|declared|suggested|"
    "cautioned|continued|concluded|countered|maintained|testified|posted|conceded|observed|"
    "pointed out|called on|called for|expressed|told reporters|reported|ruled|asserted|recounted|"
    "revealed|disclosed|estimated|described|added in a statement"
)
VERB = rf"(?:{VERBS})"
TITLES = (
    "president|vice president|prime minister|premier|chancellor|minister|foreign minister|senator|sen\\.|"
    "rep\\.|representative|governor|gov\\.|mayor|secretary|secretary of state|spokesperson|spokesman|"
    "spokeswoman|chairman|chairwoman|chair|chief executive|ceo|director|general|king|queen|prince|"
    "pope|judge|justice|attorney general|ambassador|leader|speaker|commissioner|coach|manager|"
    "professor|prof\\.|dr\\.|mr\\.|mrs\\.|ms\\.|chief|head|founder|economist|analyst|official|officer|sec\\.|"
    "lt\\.|col\\.|gen\\.|maj\\.|sgt\\.|capt\\.|supt\\.|gov\\.|commander|president-elect|whip"
)
TITLE = rf"(?i:{TITLES})"  # titles in any case ("Premier", "prime minister"); names stay capitalised
# A name: capitalised words (with initials, particles and hyphens), e.g. "Li Qiang", "Jean-Luc
# Mélenchon", "Kevin McCarthy", "Martin Luther King Jr.".
NAME_WORD = (
    r"(?:(?:[A-Z]\.){2,}|[A-Z]\.|Jr\.|Sr\.|St\.|[A-Z][\w'’\-]*|(?:de|van|von|der|bin|al|da|di|la|le)(?=\s+[A-Z]))"
)
NAME = rf"{NAME_WORD}(?:\s+{NAME_WORD}){{0,4}}"
# A speaker may carry an appositive or a place: "Rahm Emanuel, the U.S. ambassador to Japan, said",
# "Dick Durbin of Illinois told", "Pelosi has previously argued".
APPOSITIVE = r"(?:\s+of\s+[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,2})?(?:,\s+[^;“\"]{2,150}?,)?"
AUXILIARY = r"(?:\s+(?:has|have|had|also|further|later|previously|then|again|once|repeatedly|\w+ly)){0,3}"
PRONOUN = r"(?:he|she|He|She)"
DESCRIPTION = rf"(?:the|The)\s+(?:[a-z\-]+\s+|[A-Z][a-z]+\s+){{0,3}}{TITLE}"
# A role in lower case may stand before a name: "grower Lena Moss", "analyst Mei Tan".
ROLE = r"(?:[a-z][a-z\-]+\s+){0,3}"
# ... and an organisation or a long title before that: "Red Sox Chief Baseball Officer Chaim Bloom",
# "Greens parliamentary group spokeswoman Britta Haßelmann".
AFFILIATION = r"(?:[A-Z][\w\-]*\s+){0,4}?"
SPEAKER = rf"(?P<speaker>{PRONOUN}|{DESCRIPTION}|{AFFILIATION}{ROLE}(?:{TITLE}\s+)?{NAME})"
OPEN_QUOTE = '“"'
CLOSE_QUOTE = '”"'

# After a closing quote: ', Smith said' / ', said Smith' / ', he told CNN'.
AFTER_QUOTE_RE = re.compile(
    rf"^\s*,?\s*(?:{SPEAKER}(?:,\s+[^,;“\"]{{2,120}}?,)?{AUXILIARY}\s+(?P<verb>{VERB})\b|"
    rf"(?P<verb2>said|says|added|asked|wrote)\s+(?P<speaker2>"
    rf"{DESCRIPTION}|(?:[A-Z][\w\-]*\s+)?{ROLE}(?:{TITLE}\s+)?{NAME}))"
)
# Before an opening quote: 'Smith said: ' / 'Smith told CNN, '.
BEFORE_QUOTE_RE = re.compile(
    rf"(?:^|[.!?]\s+|,\s+)?{SPEAKER}{APPOSITIVE},?{AUXILIARY}\s+(?P<verb>{VERB})\b(?:[^.“\"]{{0,60}}[:,]|\s+that)?\s*$"
)
# Indirect speech with the speaker first: 'Smith said (that) ...', 'Noting ..., Li said ...'.
SUBJECT_FIRST_RE = re.compile(
    rf"^(?:[^“\"]{{3,300}}?,\s+)??(?:[^,.;:“\"\s]+\s+){{0,5}}?{SPEAKER}{APPOSITIVE},?{AUXILIARY}\s+"
    rf"(?P<verb>{VERB})\b(?P<rest>.*)$",
    re.DOTALL,
)
# What may follow a closing "X said": when, where, to whom; never a clause of its own.
ADJUNCT = (
    r"(?:\s+(?:on|in|at|during|to|from|via|after|before|last|this|earlier|late|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday|CNN|reporters|journalists)\b[^,.;]{0,50})?"
)
# Indirect speech with the speaker last: '..., Smith said.' / '..., he said on Monday.'
SPEAKER_LAST_RE = re.compile(
    rf"^(?P<content>.{{12,}}?),[”\"]?\s+(?:{SPEAKER}\s+(?P<verb>{VERB})|(?P<verb2>said|says)\s+(?P<speaker2>"
    rf"{DESCRIPTION}|{AFFILIATION}{ROLE}(?:{TITLE}\s+)?{NAME})(?:,\s+(?:a|an|the|who|[a-z])[^.;]{{0,150}})?)\b{ADJUNCT}[.!?]?$",
    re.DOTALL,
)
ACCORDING_FIRST_RE = re.compile(rf"^According to\s+{SPEAKER}\s*,\s*(?P<content>.+)$", re.DOTALL)
ACCORDING_LAST_RE = re.compile(
    rf"^(?P<content>.{{12,}}?),?\s+according to\s+{SPEAKER}(?:,\s+[^.]{{0,120}})?\s*[.!?]?$", re.DOTALL
)
# "according to a statement from the University of Florida", "according to data from the CDC",
# "according to Cirium's flight tracker", "according to a statement issued by his office".
ACCORDING_DOCUMENT_RE = re.compile(
    r"^(?P<content>.{12,}?),?\s+according to\s+(?:(?:a|an|the)\s+)?(?:[\w\-]+\s+){0,3}?"
    r"(?:statement|data|report|figures|stats|statistics|site|website|tracker|filing|documents?|analysis|"
    r"survey|letter|release|post|tweet)s?\s+(?:from|by|of|released by|issued by|posted (?:to|on)|kept by|"
    r"published by|on)\s+(?P<source>.+?)\s*[.!?]?$",
    re.DOTALL,
)
ACCORDING_POSSESSIVE_RE = re.compile(
    rf"^(?P<content>.{{12,}}?),?\s+according to\s+(?P<owner>{NAME}|his|her|their)(?:'s|’s)?\s+"
    rf"(?:[\w\-]+\s+){{0,2}}?(?:office|account|site|website|tracker|campaign|data|statement|figures)\b[^.]{{0,60}}[.!?]?$",
    re.DOTALL,
)
# Every indirect form needs one of these words: a sentence without any skips the costly patterns
# (a set lookup per word; most of a news story's sentences report no speech).
SPEECH_CUES = f"{VERBS}|according|saying|adding|noting|warning|arguing|stressing"
CUE_WORDS = frozenset(cue.split()[0] for cue in SPEECH_CUES.split("|"))
WORD_RE = re.compile(r"[a-z]+")
LEAD_OUT_RE = re.compile(r"[,:]?\s*(?:(?:adding|saying|noting|writing|telling \w+)(?:\s+that)?|that)?\s*$")
SAYING_RE = re.compile(r",\s+(?P<cue>saying|adding|noting|warning|arguing|stressing)\s+(?:that\s+)?(?P<content>.+)$")
# What may sit between a verb and its content: the person told ('told CNN', 'told reporters'),
# a time or place ('on Monday', 'in a statement'), then 'that'.
TOLD_OBJECT_RE = re.compile(
    r"^(?:[A-Z][\w.’']*(?:\s+[A-Z][\w.’']*){0,3}|reporters|journalists|lawmakers|senators|members|"
    r"the\s+\w+(?:\s+[A-Z]\w+)*|an?\s+\w+)\s+"
)
CIRCUMSTANCE_RE = re.compile(
    r"^(?:(?:on|in|at|during|earlier|late|last|this|after|before)\b[^,]{0,50}?(?:,\s*|\s+(?=that\s))|"
    r"(?:in|on|via|through)\s+(?:a|an|his|her|their|its|the)\s+(?:\w+\s+){0,2}?(?:tweet|statement|interview|"
    r"letter|post|email|speech|video|news conference|press conference|press release|memo|filing|blog post)"
    r"(?:\s+on\s+\w+)?,?\s+|"
    r"(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?:\s+(?:morning|afternoon|evening|night))?,?\s+)"
)
THAT_RE = re.compile(r"^that\s+")
MEDIUM_RE = re.compile(r"^(?:on|to)\s+[A-Z][\w’'.]*(?:\s+[A-Z][\w’'.]*)*(?:’s|'s)?(?:\s+“[^”]{1,40}”)?,?\s*")
GENERIC_SPEAKERS = re.compile(
    r"^(?:the\s+)?(?:officials?|sources?|analysts?|experts?|critics?|residents?|witnesses|police|"
    r"authorities|observers|people|some|many|others|company|firm|statement|report|spokesperson|"
    r"spokesman|spokeswoman|source|official|government|ministry|agency)$",
    re.IGNORECASE,
)
NOT_NAMES = frozenset(
    """The A An But And Or So If When While After Before In On At For From By With As It This That These
    Those There Here They We I You He She His Her Its Their Our My Your Some Many Most More Other Such
    However Meanwhile Still Yet Also Then Now Today Yesterday Tomorrow Monday Tuesday Wednesday Thursday
    Friday Saturday Sunday January February March April May June July August September October November
    December CNN Reuters AP AFP Read Watch Related Although Though Because Since Once Until Unless Whether
    Asked Later Earlier Last Next Despite Following During Instead Indeed Even Only Just Both Either Neither
    Each Every All Any No Not Never Perhaps Maybe According Recently Previously Speaking Writing Americans
    Democrats Republicans Officials Experts Analysts Critics Residents Members Students Proponents""".split()
)
# What stands before a name and is not part of it: "Russian Prime Minister", "Finance Minister",
# "grower", "Former President".
TITLE_WORD_RE = re.compile(rf"^(?:[a-z][a-z\-]+\s+){{0,2}}(?:(?:[A-Z][\w\-]*\s+){{0,2}}?(?:{TITLE}\s+)+)?")


@dataclass(frozen=True)
class Statement:
    start: int  # the statement's words in the text: [start, end)
    end: int
    speaker: str  # the fullest name the article gives
    cue: str  # the reporting verb, or "quote" for a quote continuing the previous one
    direct: bool  # a direct quote
    context_start: int = 0  # the whole sentence(s) the statement is in, attribution included
    context_end: int = 0

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def context_in(self, text: str) -> str:
        return text[self.context_start : self.context_end].strip()


# Candidate names: runs of capitalised words, with a lower-case title just before ("prime minister Li").
# The lookahead holds every letter either can start with, so that the many positions no name
# starts at fail at once: half of this pattern's time at ingest.
MENTION_RE = re.compile(
    r"(?=[A-Zpcmsgdvbal])"
    rf"(?:(?P<title>(?i:prime minister|premier|president|chancellor|minister|senator|governor|mayor))\s+)?"
    rf"(?P<name>{NAME_WORD}(?:\s+{NAME_WORD}){{0,7}})"
)


class _People:
    """The people (and organisations) an article names, as it goes: full names, titles, last speaker."""

    def __init__(self, text: str = "") -> None:
        # A capitalised word the article also writes in lower case opens a sentence, not a name:
        # "Sometimes Gloria said", "Members say".
        self.common = {w for w in re.findall(r"\b[a-z][a-z\-]+\b", text)}
        self._mentions: dict[str, tuple[str, str]] = {}
        self.full_names: list[str] = []
        self.known: set[str] = set()
        self.by_word: dict[str, str] = {}
        self.by_title: dict[str, str] = {}
        self.last_speaker: str | None = None
        self.last_speaker_sentence = -100
        self.last_named: str | None = None
        # "Franke said in an interview Monday." then “...”: the quote that follows is his.
        self.announced: tuple[str, int] | None = None
        self.last_named_sentence = -100

    def note_mentions(self, sentence: str, index: int) -> None:
        """Register names in a sentence, with titles in front of them ("Premier Li Qiang")."""
        for match in MENTION_RE.finditer(sentence):
            name, inner_title = self._mention(match.group("name"))
            if not name:
                continue
            full = self.canonical(name)
            if full == name and " " in name:
                self.add_full_name(name)
            title = (match.group("title") or inner_title).lower().strip()
            if title:
                self.by_title[title] = full
                self.by_title[title.split()[-1]] = full
            # A person who opens a sentence (a full name, or a known one) may be the next "he".
            at_start = match.start() < 3 or sentence[: match.start()].strip().endswith(",")
            if at_start and " " in full:
                self.last_named, self.last_named_sentence = full, index

    def _mention(self, title_and_name: str) -> tuple[str, str]:
        """A capitalised run's name ("" if it is not one) and the title words inside it. The same
        runs come back sentence after sentence, so each is read once an article."""
        known = self._mentions.get(title_and_name)
        if known is None:
            name = self.clean(_after_titles(title_and_name))
            if not name or not _looks_like_a_name(name):
                known = ("", "")
            else:
                inner = title_and_name[: len(title_and_name) - len(name)].strip()
                inner = " ".join(w for w in inner.split() if re.fullmatch(TITLE, w.lower()) or w.istitle())
                known = (name, inner)
            self._mentions[title_and_name] = known
        return known

    def clean(self, name: str) -> str:
        words = _clean_name(name).split()
        while words and ({words[0].lower(), words[0].lower() + "s", words[0].lower().rstrip("s")} & self.common):
            words = words[1:]  # "Grower Lena Moss" beside "growers"
        return " ".join(words)

    def add_full_name(self, name: str) -> None:
        if name not in self.known:
            self.full_names.append(name)
            self.known.add(name)
            for word in name.split():
                self.by_word[word] = name  # the latest full name holding the word

    def canonical(self, name: str) -> str:
        """The fullest earlier name that contains this one's words ("Mishustin" -> "Mikhail Mishustin")."""
        if name in self.known:
            return name
        parts = name.split()
        full = self.by_word.get(parts[-1]) or self.by_word.get(parts[0])
        if full and len(parts) < len(full.split()) and all(part in full.split() for part in parts):
            return full
        return name

    def resolve(self, speaker: str, index: int) -> str | None:
        speaker = " ".join(speaker.split())
        lowered = speaker.lower()
        if lowered in ("he", "she"):
            if self.last_speaker and index - self.last_speaker_sentence <= 6:
                return self.last_speaker
            if self.last_named and index - self.last_named_sentence <= 1:
                return self.last_named
            return None
        if lowered.startswith("the ") and not re.search(rf"\s{NAME_WORD}$", speaker):
            words = lowered.split()[1:]
            for size in range(min(3, len(words)), 0, -1):
                title = " ".join(words[-size:])
                if title in self.by_title:
                    return self.by_title[title]
            return None
        words = _after_titles(speaker).split()
        start = len(words)
        while start > 0 and re.match(NAME_WORD, words[start - 1]):
            start -= 1  # the trailing run of capitalised words: "Red Sox left-hander Chris Sale" -> "Chris Sale"
        name = self.clean(TITLE_WORD_RE.sub("", " ".join(words[start:])))
        if not name or GENERIC_SPEAKERS.match(name) or not _looks_like_a_name(name):
            return None
        title = speaker[: len(speaker) - len(name)].strip().lower()
        full = self.canonical(name)
        if " " in name:
            self.add_full_name(name)
        if title:
            self.by_title[title] = full
        return full

    def spoke(self, speaker: str, index: int) -> None:
        self.last_speaker, self.last_speaker_sentence = speaker, index
        self.last_named, self.last_named_sentence = speaker, index


# Sentences, quickly: syntok (qa.text) is exact but took half of attribution's time at ingest; a
# sentence here ends at . ! ? (a closing quote may follow) before a capital, a digit or an opening
# quote, unless the word before is an abbreviation or an initial.
SENTENCE_BREAK_RE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n")
ABBREVIATION_RE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Maj|Sgt|Capt|Supt|Sec|St|Jr|Sr|Inc|Corp|Co|Ltd|No|vs|"
    r"Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec)|\b[A-Z]|(?:[A-Z]\.){2,}|\b\w\.\w)\.[\"”’)]?$"
)


def _sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0

    def keep(begin: int, end: int) -> None:
        piece = text[begin:end]
        if piece.strip():
            begin += len(piece) - len(piece.lstrip())
            sentences.append(Sentence(piece.strip(), begin, begin + len(piece.strip())))

    for match in SENTENCE_BREAK_RE.finditer(text):
        closing = len(match.group(0)) - len(match.group(0).lstrip('"”’)'))
        end = match.start() + closing
        paragraph_break = match.group(0).count("\n") >= 2
        if not paragraph_break and ABBREVIATION_RE.search(text[max(start, end - 12) : end]):
            continue  # "Sen. Tom Carper", "U.S. officials", "J. Smith"
        keep(start, end)
        start = match.end()
    keep(start, len(text))
    return sentences


AFTER_TITLE_RE = re.compile(rf".*\b{TITLE}\s+(?={NAME_WORD})")
TITLE_WORDS = frozenset(w.replace("\\", "") for title in TITLES.split("|") for w in title.split())


def _after_titles(phrase: str) -> str:
    """What follows the last title in a phrase: "Southmark's Prime Minister Oskar Brandt" -> "Oskar Brandt"."""
    lowered = phrase.lower().split()
    if not any(word in TITLE_WORDS or word.rstrip("’'s") in TITLE_WORDS for word in lowered):
        return phrase if lowered and lowered[0] not in TITLE_WORDS else TITLE_WORD_RE.sub("", phrase)
    inner = AFTER_TITLE_RE.search(phrase)
    return TITLE_WORD_RE.sub("", phrase[inner.end() :] if inner else phrase)


def _clean_name(name: str) -> str:
    words = name.replace("’s", "").replace("'s", "").split()
    while words and words[0] in NOT_NAMES:
        words = words[1:]
    return " ".join(words).strip(" ,.")


def _looks_like_a_name(name: str) -> bool:
    first = name.split()[0] if name else ""
    return bool(first) and first[0].isupper() and first not in NOT_NAMES and not GENERIC_SPEAKERS.match(name)


# "GM reported a sharp drop", "announced plans", "posted a video": a noun, not something said.
NOUN_TAKING_VERBS = frozenset(
    "reported announced declared posted denied revealed disclosed described estimated confirmed acknowledged "
    "admitted asked".split()
)
CLAUSE_START_RE = re.compile(r"^(?:that\b|it\b|he\b|she\b|they\b|we\b|I\b|there\b|this\b)")


def _content_after_verb(rest: str, offset: int, verb: str) -> tuple[int, int] | None:
    """The reported words after a verb: past 'told CNN on Monday that', up to the sentence's end."""
    start = len(rest) - len(rest.lstrip())
    if verb in ("told", "tells"):
        told = TOLD_OBJECT_RE.match(rest[start:])
        start += told.end() if told else 0
    for _ in range(3):  # "in an interview", "Monday", "on CNBC"
        circumstance = CIRCUMSTANCE_RE.match(rest[start:]) or MEDIUM_RE.match(rest[start:])
        if not circumstance:
            break
        start += circumstance.end()
    if rest[start:].startswith((":", ",")):
        start += 1
        start += len(rest[start:]) - len(rest[start:].lstrip())
    if verb in NOUN_TAKING_VERBS and not CLAUSE_START_RE.match(rest[start:]):
        return None
    that = THAT_RE.match(rest[start:])
    start += that.end() if that else 0
    body = rest[start:].rstrip().rstrip(" .!?")
    if len(body) < 12 or body[0] in OPEN_QUOTE:
        return None
    return offset + start, offset + start + len(body)


def find_statements(text: str) -> list[Statement]:
    """Every attributed statement in an article's text, in order, with its speaker's fullest name."""
    people = _People(text)
    statements: list[Statement] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, speaker: str | None, cue: str, direct: bool, index: int) -> bool:
        while start < end and text[start] in " \n" + OPEN_QUOTE:
            start += 1
        while end > start and text[end - 1] in " \n,.;:" + CLOSE_QUOTE:
            end -= 1
        if speaker is None or end - start < 8 or any(s < end and start < e for s, e in taken):
            return False
        statements.append(Statement(start, end, speaker, cue, direct))
        taken.append((start, end))
        people.spoke(speaker, index)
        return True

    sentences = _sentences(text)
    paragraph_starts = [0] + [m.end() for m in re.finditer(r"\n\n", text)]
    quotes = _quotes(text)
    quote_marks = [q_start - 1 for q_start, _ in quotes]  # where each opening mark stands, in order
    previous_quote_speaker: tuple[str, int] | None = None  # speaker and the paragraph of their last quote
    for index, sentence in enumerate(sentences):
        people.note_mentions(sentence.text, index)
        paragraph = bisect.bisect_right(paragraph_starts, sentence.start) - 1
        quoted_here = False
        # Direct quotes that open in this sentence.
        opening_here = quotes[
            bisect.bisect_left(quote_marks, sentence.start) : bisect.bisect_left(quote_marks, sentence.end)
        ]
        for q_start, q_end in opening_here:
            if _embedded(text, q_start, q_end):
                continue  # a few quoted words inside a sentence: the sentence is indirect speech
            after = text[q_end + 1 : q_end + 120]
            before = text[max(sentence.start, q_start - 160) : q_start - 1]
            speaker, cue = None, ""
            match = AFTER_QUOTE_RE.match(after)
            if match and text[q_end - 1] == "." and re.match(r"^\W*[A-Z][a-z]*\b", after):
                opener = re.match(r"^\W*([A-Z][a-z]*)", after).group(1)
                if opener in NOT_NAMES:
                    match = None  # '..." But Jacobson said ...': a new sentence, not this quote's speaker
            if match:
                raw = match.group("speaker") or match.group("speaker2")
                speaker, cue = people.resolve(raw, index), (match.group("verb") or match.group("verb2"))
            else:
                match = BEFORE_QUOTE_RE.search(before)
                if match:
                    speaker, cue = people.resolve(match.group("speaker"), index), match.group("verb")
                elif people.announced and people.announced[1] == index - 1:
                    speaker, cue = people.announced[0], "said"
                elif (
                    previous_quote_speaker
                    and (
                        paragraph == previous_quote_speaker[1]  # “A,” she said. “B.”
                        or (
                            paragraph == previous_quote_speaker[1] + 1
                            and text[max(0, q_start - 3) : q_start - 1] == "\n\n"
                        )
                    )
                ):
                    speaker, cue = previous_quote_speaker[0], "quote"  # the same speaker carrying on
            if add(q_start, q_end, speaker, cue, True, index):
                previous_quote_speaker = (speaker, bisect.bisect_right(paragraph_starts, q_end) - 1)
                quoted_here = True
                tail = text[q_end : sentence.end]
                more = SAYING_RE.search(tail)  # “...,” he said, adding that ...
                if more and not any(mark in more.group("content") for mark in OPEN_QUOTE):
                    add(
                        q_end + more.start("content"),
                        q_end + more.end("content"),
                        speaker,
                        more.group("cue"),
                        False,
                        index,
                    )
        if quoted_here:
            # Its speech is the quote; what comes before it may be speech too ('The NFL said it
            # respects the decision, adding that "..."').
            first = min(q for q, _ in opening_here)
            prefix = LEAD_OUT_RE.sub("", text[sentence.start : first - 1])
            if len(prefix) > 30:
                _indirect(prefix, sentence.start, index, people, add)
            continue
        _indirect(sentence.text, sentence.start, index, people, add)
    return sorted((_with_context(s, sentences) for s in statements), key=lambda s: s.start)


def _quotes(text: str) -> list[tuple[int, int]]:
    """The [start, end) of every quotation's words, in order. Marks pair up within a paragraph;
    straight marks alternate open and close. A quote left open at a paragraph's end runs to it: news
    opens each paragraph of a long quote and closes only the last."""
    spans = []
    offset = 0
    for paragraph in text.split("\n\n"):
        opened = None
        for mark in QUOTE_MARK_RE.finditer(paragraph):
            position, char = mark.start(), mark.group()
            if char == "“" or (char == '"' and opened is None):
                if opened is None:
                    opened = position
            elif opened is not None:  # ” or a closing "
                if position - opened > 2:
                    spans.append((offset + opened + 1, offset + position))
                opened = None
        if opened is not None and len(paragraph) - opened > 20:
            spans.append((offset + opened + 1, offset + len(paragraph)))
        offset += len(paragraph) + 2
    return spans


QUOTE_MARK_RE = re.compile('[“”"]')


def _embedded(text: str, start: int, end: int) -> bool:
    """A few quoted words in the middle of a sentence ('he\'s "a little skeptical" of'), not a quotation."""
    before = text[max(0, start - 3) : start - 1]
    return len(text[start:end].split()) <= 5 and bool(re.search(r"[\w,]\s?$", before)) and not before.endswith(": ")


def _with_context(statement: Statement, sentences: list) -> Statement:
    first = next((s for s in sentences if s.end > statement.start), None)
    last = next((s for s in reversed(sentences) if s.start < statement.end), None)
    start = min(first.start if first else statement.start, statement.start)
    end = max(last.end if last else statement.end, statement.end)
    return Statement(statement.start, statement.end, statement.speaker, statement.cue, statement.direct, start, end)


def _indirect(sentence: str, offset: int, index: int, people: _People, add) -> None:
    body = sentence.rstrip()
    if CUE_WORDS.isdisjoint(WORD_RE.findall(body.lower())):
        return
    match = ACCORDING_FIRST_RE.match(body)
    if match:
        add(offset + match.start("content"), offset + match.end("content"),
            people.resolve(match.group("speaker"), index), "according to", False, index)  # fmt: skip
        return
    match = ACCORDING_LAST_RE.match(body)
    if match:
        add(offset + match.start("content"), offset + match.end("content"),
            people.resolve(match.group("speaker"), index), "according to", False, index)  # fmt: skip
        return
    match = ACCORDING_DOCUMENT_RE.match(body)
    if match:
        source = re.match(rf"^(?:{SPEAKER})", match.group("source"))
        owner = re.match(rf"^(?P<speaker>{PRONOUN}|{NAME})(?:'s|’s)?", match.group("source"))
        raw = source.group("speaker") if source else (owner.group("speaker") if owner else None)
        if raw and raw.lower() in ("he", "she") or (owner and owner.group("speaker").lower() in ("his", "her")):
            subject = re.match(rf"^(?:{TITLE}\s+)?(?P<speaker>{NAME})", body)
            raw = subject.group("speaker") if subject else "he"
        if raw and add(offset + match.start("content"), offset + match.end("content"),
                       people.resolve(raw, index), "according to", False, index):  # fmt: skip
            return
    match = ACCORDING_POSSESSIVE_RE.match(body)
    if match:
        owner = match.group("owner")
        raw = {"his": "he", "her": "she", "their": "they"}.get(owner, owner)
        subject = re.match(rf"^(?:{TITLE}\s+)?(?P<speaker>{NAME})", body)
        if owner in ("his", "her") and subject:
            raw = subject.group("speaker")  # "Maloney was arrested, according to her account"
        if add(offset + match.start("content"), offset + match.end("content"),
               people.resolve(raw, index), "according to", False, index):  # fmt: skip
            return
    match = SPEAKER_LAST_RE.match(body)
    if match and not SUBJECT_FIRST_RE.match(match.group("content")):
        raw = match.group("speaker") or match.group("speaker2")
        add(offset + match.start("content"), offset + match.end("content"),
            people.resolve(raw, index), match.group("verb") or match.group("verb2"), False, index)  # fmt: skip
        return
    match = SUBJECT_FIRST_RE.match(body)
    if match:
        speaker = people.resolve(match.group("speaker"), index)
        span = _content_after_verb(match.group("rest"), offset + match.start("rest"), match.group("verb"))
        if span and add(span[0], span[1], speaker, match.group("verb"), False, index):
            return
        if span is None and speaker and match.group("verb") in ("said", "says", "told", "added", "wrote"):
            people.announced = (speaker, index)
    # 'Mishustin congratulated China ..., saying that ...': the sentence's subject says it.
    match = SAYING_RE.search(body)
    if match:
        subject = re.match(rf"^(?:[^,]{{0,80}},\s+)?{SPEAKER}\b", body)
        if subject:
            add(offset + match.start("content"), offset + match.end("content"),
                people.resolve(subject.group("speaker"), index), match.group("cue"), False, index)  # fmt: skip


def statements_in_chunks(chunks: list[tuple[str, str]]) -> list[tuple[str, Statement, str, str]]:
    """(chunk_id, statement, its words, its sentence) for one article given as its (chunk_id, text) chunks in order.

    Chunks overlap by a paragraph: the article is put back together (each paragraph once) so a
    "he said" sees the paragraphs before it, and each statement goes to the chunk it starts in.
    """
    paragraphs: list[tuple[str, str]] = []  # (paragraph, chunk_id of its first chunk)
    for chunk_id, text in chunks:
        pieces = text.split("\n\n")
        if paragraphs and pieces and pieces[0] == paragraphs[-1][0]:
            pieces = pieces[1:]
        paragraphs += [(piece, chunk_id) for piece in pieces]
    text = "\n\n".join(piece for piece, _ in paragraphs)
    starts, offset = [], 0
    for piece, _ in paragraphs:
        starts.append(offset)
        offset += len(piece) + 2
    found = []
    for statement in find_statements(text):
        index = max(i for i, start in enumerate(starts) if start <= statement.start)
        found.append((paragraphs[index][1], statement, statement.text_in(text), statement.context_in(text)))
    return found
