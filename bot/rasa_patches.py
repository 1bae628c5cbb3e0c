"""Per-message costs in Rasa 3.6 that do the same work every time, done once instead.

Found with `python -m bench.profile` (docs/benchmarks.md, "Where the time goes"):

- Every answer from the action server is checked against Rasa's response schema with
  `jsonschema.validate`, which first checks the *schema itself* against the JSON Schema
  meta-schema, then builds a fresh validator: about 40 ms for each custom action here, more than
  the rest of the turn. And the schema says each event is "one of" 23 kinds, each kind fixing
  the `event` name with `const`, so every event was checked against all 23 (7 ms for the ten
  events of a form reset). We check the schema once, keep the validators, and check each event
  against the one kind its name can match: the only one that can pass, so the same answers pass
  and the same fail (tests/test_rasa_patches.py holds this against Rasa's own check).
- Every stored event is turned back into an object by looking its type up among all of `Event`'s
  subclasses, found by walking the class tree again for each event. We keep the name-to-class
  table, and walk the tree again only for a name it does not know (a class imported later).

- Every message runs the NLU graph and each dialogue prediction runs the policy graph through
  dask: for every run, Rasa works out again which nodes the targets need, builds a dask graph,
  has dask order it, and formats the inputs (the whole tracker) into a debug message that is
  then not logged. The graphs never change while the model is loaded, so the order of the
  nodes each set of targets needs is worked out once and the nodes are called in that order,
  each with its parents' outputs, as dask's synchronous scheduler would (dask itself is only
  a way of doing that here: Rasa's graphs run in one thread).

- NumPy's OpenBLAS (and scikit-learn's OpenMP) start a thread per core and keep them spinning
  after each product: for the classifier's one-row products that doubled the CPU time of a
  message (14 ms of work, 27 ms of CPU) and took the core the other Sanic worker needed. Each
  worker gets one core, so BLAS and OpenMP get one thread.

Each replaces a Rasa method with one that gives the same results. Nothing is replaced on
import: `install` is called once, explicitly, by bot/serve.py when a Rasa server starts
(`make run`, `make shell`, the tests' and bench's servers, all through tools/launcher.py); training,
evaluation and the action server run Rasa as shipped. `install` replaces only on the Rasa
version the replacements were written and tested against (RASA_VERSION), logs one line saying
what it replaced, and `uninstall` puts Rasa's originals back (for tests). docs/architecture.md
lists every Rasa internal the project replaces or reads.
"""

from __future__ import annotations

import copy
import logging
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.version import __version__ as INSTALLED_RASA
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

# The Rasa these replacements restate: on any other, the originals are left in place.
RASA_VERSION = "3.6.21"

DOCS_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    "Action endpoint is valid. For more information about the format visit "
)


class ActionResultValidator:
    """Rasa's action-response schema, checked once, with each event checked against its kind."""

    def __init__(self) -> None:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        outer = copy.deepcopy(schema)
        kinds = outer["properties"]["events"]["items"].pop("oneOf")
        self.kinds = {kind["properties"]["event"]["const"]: cls(kind) for kind in kinds}
        if len(self.kinds) != len(kinds):
            raise ValueError("Rasa's event kinds are no longer told apart by name")
        self.outer = cls(outer)

    def validate(self, result: dict[str, Any]) -> None:
        """Raises jsonschema.ValidationError exactly when Rasa's schema rejects `result`."""
        self.outer.validate(result)  # all but the kinds: now events are objects with a name
        for event in result.get("events") or []:
            kind = self.kinds.get(event["event"])
            if kind is None:
                raise ValidationError(f"{event['event']!r} is not one of Rasa's event kinds")
            kind.validate(event)


@lru_cache(maxsize=1)
def action_result_validator() -> ActionResultValidator:
    """Built once a process (`install` builds it, so a change in Rasa fails at start-up)."""
    return ActionResultValidator()


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validators built once."""
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        action_result_validator().validate(result)
    except ValidationError as error:
        error.message += f"{DOCS_HINT}{DOCS_BASE_URL}/custom-actions"
        raise
    return True


_event_classes: dict[str, type[Event]] = {}


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type with the table of event classes kept between calls."""
    if type_name not in _event_classes:
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)
    if type_name in _event_classes:
        return _event_classes[type_name]
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events are skipped
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def _run_order(runner: DaskGraphRunner, targets: tuple[str, ...]) -> list[str]:
    """The nodes `targets` need, each after its parents (worked out once per target set)."""
    orders: dict[tuple[str, ...], list[str]] = runner.__dict__.setdefault("_run_orders", {})
    if targets not in orders:
        nodes, order, seen = runner._graph_schema.nodes, [], set()

        def visit(name: str) -> None:
            if name in seen or name not in nodes:
                return  # a name that is no node is an input placeholder
            seen.add(name)
            for parent in nodes[name].needs.values():
                visit(parent)
            order.append(name)

        for target in targets:
            visit(target)
        orders[targets] = order
    return orders[targets]


def _run_graph(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """DaskGraphRunner.run: the same nodes called with the same inputs, in a fixed order.

    As with dask: an input named like a node replaces that node, a needed name that is neither
    a node nor an input is passed as the name itself (GraphNode warns and ignores it), and an
    error in a node is raised as it is (a RuntimeError as Rasa's GraphRunError).
    """
    run_targets = targets if targets else self._graph_schema.target_names
    order = _run_order(self, tuple(run_targets))
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in order:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the "
                f"input names passed to the `run` method are the same as node names in the "
                f"graph schema."
            )
        results[name] = (name, value)
    nodes = self._graph_schema.nodes
    try:
        for name in order:
            if name not in results:
                parents = nodes[name].needs.values()
                results[name] = self._instantiated_nodes[name](
                    *(results.get(parent, parent) for parent in parents))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(results[target] for target in run_targets)


# What `install` replaces: (owner, attribute, replacement). Rasa's originals are kept in
# _originals while installed.
REPLACEMENTS: list[tuple[type, str, Any]] = [
    (DaskGraphRunner, "run", _run_graph),
    (RemoteAction, "_validate_action_result", _validate_action_result),
    (Event, "resolve_by_type", staticmethod(_resolve_by_type)),
]
_originals: dict[tuple[type, str], Any] = {}
_thread_limits: list[Any] = []


def installed() -> bool:
    """Whether the replacements are in place in this process."""
    return bool(_originals)


def install(rasa_version: str = INSTALLED_RASA) -> bool:
    """Puts them all in place and logs what it replaced; True if they are (idempotent).

    On a Rasa other than RASA_VERSION it replaces nothing and says so in a warning: the
    replacements restate that version's internals, and on another they could be wrong.
    `rasa_version` is the running Rasa's; tests pass another.
    """
    if rasa_version != RASA_VERSION:
        logger.warning(
            "Rasa %s is not the %s bot/rasa_patches.py was written for: Rasa's internals are "
            "NOT replaced and the server runs at Rasa's own speed. Check the replacements "
            "against this Rasa (tests/test_rasa_patches.py), then update RASA_VERSION.",
            rasa_version, RASA_VERSION,
        )
        return False
    if installed():
        return True
    action_result_validator()  # fails here, at start-up, if Rasa's response schema changed
    _thread_limits.append(threadpool_limits(limits=1))  # BLAS and OpenMP: one thread a process
    for owner, name, replacement in REPLACEMENTS:
        _originals[(owner, name)] = owner.__dict__[name]
        setattr(owner, name, replacement)
    logger.info(
        "replaced %d Rasa %s internals for speed (bot/rasa_patches.py): %s; BLAS and OpenMP "
        "limited to one thread", len(REPLACEMENTS), RASA_VERSION,
        ", ".join(f"{owner.__name__}.{name}" for owner, name, _ in REPLACEMENTS),
    )
    return True


def uninstall(thread_limits: bool = True) -> None:
    """Puts Rasa's originals back (for tests), and the thread pools' limits unless told not to."""
    for (owner, name), original in _originals.items():
        setattr(owner, name, original)
    _originals.clear()
    while thread_limits and _thread_limits:
        _thread_limits.pop().restore_original_limits()
