"""The grounded reasoning chain, composed: normalize -> parse -> ground -> (evidence) -> decide.

`ReasoningEngine.understand(prompt, evidence)` is the one entry point; the infer task, the CLI and the
benchmark all call it. It knows nothing of MONAI Label or of any backbone.
"""

from __future__ import annotations

import logging
import threading

from ..ontology import load_anatomy_terms, load_language, load_ontology
from ..records import Evidence, TargetSpec
from .calibrate import calibrate
from .decide import Reading, bare_refusal, refuse
from .discourse import ChoiceReaders, DiscourseReader
from .frontend import FrontEnd
from .languages import initialisms, language_words, listed_words_by_language, load_languages, merge_language, name_terms
from .lexicon import Lexicon
from .normalize import Normalizer, kept_words, tokenize
from .parse import Term, TermIndex
from .read_geometry import GeometryReaders
from .read_lexicon import LexiconReaders
from .read_reference import ReferenceReaders
from . import readers as spatial
from .request import LearnedTrigger, Request
from .thresholds import T

__all__ = ["LearnedTrigger", "ReasoningEngine"]
LOG = logging.getLogger("seer.reasoning")
# The parts, in order. Each may settle the request (return a spec) or leave it to the next.
READERS = ("script", "discourse", "choice", "task", "open_range", "step", "list_position", "neighbours", "comparative",
           "relation", "ordinal", "report", "possessive", "reference", "lexicon", "description", "skill", "fallback")


class ReasoningEngine(FrontEnd, GeometryReaders, ReferenceReaders, LexiconReaders, ChoiceReaders):
    def __init__(self, ontology=None, language: dict | None = None, encoder=None, cache_dir: str | None = None,
                 common_words: set[str] | None = None, languages_dir: str | None = None):
        """
        Args:
            ontology: the loaded ontology (default: the packaged data file).
            language: function words (default: the packaged language file).
            encoder: a `TextEncoder` for descriptions and the fallback, or None to run on the lexicon alone.
            cache_dir: where concept embeddings are cached.
            common_words: ordinary words never to be "repaired" (default: the encoder's vocabulary).
            languages_dir: the folder of language files (default: `ontology/languages/`).
        """
        from .embed import common_words as encoder_words

        self.ontology = ontology or load_ontology()
        self.languages = load_languages(languages_dir)
        self.language = merge_language(base := language or load_language(), self.languages)
        self._listed = listed_words_by_language(base, self.languages)  # each language's words, for the normalizer
        self.encoder = encoder
        self.cache_dir = cache_dir
        self.common_words = encoder_words() if common_words is None else common_words
        self._embeddings = None
        self._embeddings_lock = threading.Lock()
        self._concept_words = {c.id: set(tokenize(" ".join((c.name, c.description, *c.lexicon, *c.singular, *c.parts))))
                               for c in self.ontology.concepts.values()}
        # What a structure is called (its name and the groups it belongs to): "gland", "muscle", "vein"
        self._name_words = {c.id: set(tokenize(" ".join([c.name, *(self.ontology[g].name for g in c.groups)])))
                            for c in self.ontology.concepts.values()}
        # Words that carry no anatomy: they may not count as evidence that a request and a concept agree.
        self._function_words = {t for key, words in self.language.items() if isinstance(words, list)
                                for w in words for t in tokenize(w)}
        self._function_words |= {t for words in self.language["side_words"].values() for w in words for t in tokenize(w)}
        # folded as the request is ("Drüse" is read as "druse")
        self._heads = {" ".join(tokenize(w)) for w in self.language["descriptive_heads"]}
        self._function_words |= self._heads
        self._clause_breaks = {" ".join(tokenize(w)) for w in self.language["clause_breaks"]}
        self._list_marks = set(self.language.get("list_marks", ()))
        self._links = set(self.language["descriptive_links"])
        self._pointers = set(self.language.get("pointer_words", ()))  # "and the one below it"
        self._side_of = {w: side for side, words in self.language["side_words"].items() for w in words}
        self.words = spatial.Vocabulary(self.language)
        self._categories = self._load_categories()
        # Verbs that only link a description ("lies", "is found"): never evidence of what is described.
        self.common_stop = {" ".join(tokenize(w)) for w in self.language.get("copulas", ())}
        self._language_tokens = self._language_words() | self.common_stop  # explained by a language file
        self._word_sets = {key: {" ".join(tokenize(w)) for w in self.language.get(key, ())}
                           for key in ("findings_words", "normal_words", "affected_words", "other_words", "same_side_words",
                                       "both_words", "universal_words", "additive_words", "negation_words",
                                       "possession_words", "weak_reference_words", "comparison_followers",
                                       "neighbour_words", "list_words", "other_task_words", "weak_action_words",
                                       "possessive_pronouns", "definite_articles", "choice_words", "object_pronouns",
                                       "relative_words", "genitive_words", "exclusion_words", "plural_markers")}
        self.discourse = DiscourseReader(self.language, self._noun_of, self._word_sets["additive_words"],
                                         self._word_sets["negation_words"],
                                         self._word_sets["negation_words"]
                                         & {" ".join(tokenize(w)) for w in self.language.get("correction_no_words", ())},
                                         self.ontology)
        self.set_learned([])

    def set_learned(self, triggers: list[LearnedTrigger]) -> None:
        """Install the skill bank's triggers; they join the lexicon as phrases of their own source."""
        self.learned = [t for t in triggers if t.concept in self.ontology]
        self._learned_matrix = None
        names = [(phrase, Term(kind, concept, f"lang:{code}")) for phrase, kind, concept, code in name_terms(self.languages)
                 if concept in self.ontology]
        extra = [(t.phrase, Term("singular" if t.form == "singular" else "concept", t.concept, f"skill:{t.skill_id}"))
                 for t in self.learned]
        self.index = TermIndex.build(self.ontology, self.language, names + extra, language_words(self.languages))
        sides = {t for words in self.language["side_words"].values() for w in words for t in tokenize(w)}
        standalone = {key[0] for key, term in self.index.phrases.items()
                      if len(key) == 1 and term.kind in ("concept", "singular")}
        bigrams = {run for key, term in self.index.phrases.items() if term.kind in ("concept", "singular")
                   for run in (*zip(key, key[1:]), *zip(key, key[1:], key[2:]))}  # pairs and triples
        suffixes = list(dict.fromkeys([*self.language["organ_suffixes"], *self.language.get("stem_suffixes", [])]))
        shorthand = {**initialisms(self.ontology, self.language["side_words"], self.index.known_tokens,
                                   self.common_words), **self.language["abbreviations"]}  # "RK", then the data's own
        self.normalizer = Normalizer(self.index.known_tokens, self.index.anatomy_tokens, sides,
                                     shorthand, self.common_words, suffixes, standalone, bigrams,
                                     stems=self.language.get("stems", {}), elisions=set(self.language.get("elisions", [])),
                                     side_of={t: side for side, words in self.language["side_words"].items()
                                              for w in words for t in tokenize(w) if side in ("left", "right")},
                                     item_words=set(self.language.get("item_words", ())),
                                     instruction_headers=set(self.language.get("instruction_headers", ())),
                                     instruction_phrases=set(self.language.get("instruction_phrases", ())),
                                     request_headers=set(self.language.get("request_headers", ())),
                                     actions={" ".join(tokenize(w)) for w in self.language["action_words"] if " " not in w},
                                     units=set(self.language.get("unit_words", ())),
                                     dotted=set(self.language.get("dotted_abbreviations", ())),
                                     plural_endings=self.language.get("plural_endings", {}),
                                     place_prefixes=set(self.language.get("place_prefixes", ())),
                                     kept=kept_words(self.language) | load_anatomy_terms(),
                                     languages=(self.index.language_words, self.index.foreign_tokens, self._listed))
        self._known = self._known_words()  # words a language file or the lexicon explains (learned phrases too)

    @property
    def lexicon(self) -> Lexicon:
        """The small word interface for other parts (skills): never the engine's internals."""
        return Lexicon(self)

    @property
    def embeddings(self):
        with self._embeddings_lock:  # a warm-up thread and a request may both ask first
            return self._load_embeddings()

    def _load_embeddings(self):
        if self._embeddings is None and self.encoder is not None:
            from .embed import ConceptEmbeddings

            phrases = []
            for concept in self.ontology.concepts.values():
                phrases.append((concept.id, concept.name))
                phrases.append((concept.id, f"{concept.name}: {concept.description}"))
                phrases.extend((concept.id, term) for term in (*concept.lexicon, *concept.singular)
                               if len(term.split()) >= 3)
            self._embeddings = ConceptEmbeddings(self.encoder, phrases, self.cache_dir)
        return self._embeddings

    def understand(self, prompt: str, evidence: Evidence, context_words: frozenset[str] = frozenset()) -> TargetSpec:
        """Run the readers in order (`READERS`); the first that settles the request answers it.

        `context_words` are words the caller has already explained (a patient's name, record number or date found
        by the privacy scrub): they are context, never a word the reasoning failed to understand.

        A reader that raises is a bug, never the user's fault, and must not fail the request: it is logged with
        the request, contributes nothing, and the answer can then only be a question or a refusal (a part of the
        request was not read, so no mask is given on the strength of the rest)."""
        request = Request(prompt=prompt, evidence=evidence, reading=Reading(), context_words=context_words)
        failed: list[str] = []
        spec = None
        for name in READERS:
            marks = (len(request.reading.expressions), len(request.reading.nodes))
            try:
                spec = getattr(self, f"_read_{name}")(request)
            except Exception as error:  # noqa: BLE001 - isolation is the point: any bug in one part
                LOG.exception("reasoning part %r failed on request %r", name, prompt)
                failed.append(f"{name} ({type(error).__name__}: {error})")
                request.reading.rationale.append(f"the {name} part failed and contributes nothing: "
                                                 f"{type(error).__name__}")
                if request.text is None or request.items is None or request.parsed is None:
                    break  # the front end itself failed: nothing for later parts to read
                continue
            if spec is not None:
                break
            # a part that did not settle the request leaves no operator in the expression
            del request.reading.expressions[marks[0]:], request.reading.nodes[marks[1]:]
        return self._isolated(request, spec, failed)

    def _isolated(self, request: Request, spec: TargetSpec | None, failed: list[str]) -> TargetSpec:
        """The answer after a failed part: a refusal that names what was understood, never a mask."""
        if not failed and spec is not None:
            try:
                return calibrate(request, self._account(request, spec), self.ontology)
            except Exception:  # noqa: BLE001 - the accounting is a part too: it may fail, the request may not
                LOG.exception("reasoning part 'account' failed on request %r", request.prompt)
                failed.append("account")
        understood = [self.ontology[c].name for c in (spec.targets or spec.candidates)] if spec is not None else []
        message = ("I could not read all of this request (an internal error in its " + ", ".join(
            f.split(" ", 1)[0] for f in failed) + " part)" + (f"; perhaps you mean {' or '.join(understood)}" if
                                                              understood else "") + ". Please rephrase it.")
        try:
            return refuse(message, T.confidence.failed, request.reading, request.evidence, self.ontology)
        except Exception:  # noqa: BLE001 - even the trace could not be built: a bare refusal still answers
            LOG.exception("reasoning could not finish a refusal for request %r", request.prompt)
            return bare_refusal(message, T.confidence.failed)
