"""bot.rasa_patches gives exactly Rasa's answers: the same responses pass, the same fail.

The originals are restated here from Rasa 3.6.21 (rasa/core/actions/action.py,
rasa/shared/core/events.py and rasa/engine/runner/dask.py) as the oracle, since the installed
methods are the replacements.
"""

from __future__ import annotations

from typing import Any

import dask
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import Event, Restarted
from rasa.shared.utils.common import all_subclasses

from bot import rasa_patches


@pytest.fixture(autouse=True, scope="module")
def _installed() -> Any:
    """The replacements, as bot.serve installs them in a Rasa server; Rasa's own afterwards."""
    assert rasa_patches.install()
    yield
    rasa_patches.uninstall()


VALID: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "audience", "value": "self", "timestamp": None}],
     "responses": [{"text": "Who is the help for?", "buttons": []}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup",
                 "name": "utter_help_menu"}]},
    {},
]
INVALID: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},  # a slot event needs a name
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["text, not an object"]},
    {"events": [{"event": "slot", "name": 42}]},
]


def rasa_accepts(result: dict[str, Any]) -> bool:
    """What Rasa's own check says (jsonschema.validate on the published response format)."""
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_response_is_accepted(result: dict[str, Any]) -> None:
    assert rasa_accepts(result)
    assert RemoteAction("action_x", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_response_fails_as_in_rasa(result: dict[str, Any]) -> None:
    assert not rasa_accepts(result)
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        RemoteAction("action_x", None)._validate_action_result(result)


EVENT_KINDS = sorted(
    kind["properties"]["event"]["const"]
    for kind in RemoteAction.action_response_format_spec()["properties"]["events"]["items"]["oneOf"]
)
FIELDS = ["name", "value", "timestamp", "text", "policy", "confidence", "entities", "parse_data",
          "metadata", "date_time", "kill_on_user_msg", "intent", "action_name", "data"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
# Mostly of the shapes and types Rasa's events use, so that many generated answers are valid;
# one_of picks each branch equally often, so a repeated branch is a likelier one.
field_values = st.one_of(*[st.text(max_size=5), st.none()] * 2, st.floats(0, 1), json_values)
kinds = st.sampled_from([*EVENT_KINDS, "no_such_event"])
fields = st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=3)
named_events = st.builds(lambda kind, extra: {**extra, "event": kind}, kinds, fields)
events = st.one_of(*[named_events] * 4, fields,
                   st.builds(lambda name, extra: {**extra, "event": name}, json_values, fields))
responses = st.dictionaries(st.sampled_from(["text", "buttons", "image"]), field_values,
                            max_size=2)
results = st.fixed_dictionaries({}, optional={
    "events": st.one_of(*[st.lists(events, max_size=4)] * 3, json_values),
    "responses": st.one_of(*[st.lists(responses, max_size=2)] * 3, json_values),
})


@settings(max_examples=400, deadline=None)
@given(results)
def test_any_action_response_passes_or_fails_as_in_rasa(result: dict[str, Any]) -> None:
    try:
        RemoteAction("action_x", None)._validate_action_result(result)
    except jsonschema.ValidationError:
        assert not rasa_accepts(result)
    else:
        assert rasa_accepts(result)


def rasa_resolve(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's Event.resolve_by_type, walking the class tree every time."""
    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


@pytest.mark.parametrize("type_name", sorted({cls.type_name for cls in all_subclasses(Event)}))
def test_every_event_type_resolves_to_rasas_class(type_name: str) -> None:
    assert Event.resolve_by_type(type_name) is rasa_resolve(type_name)


def test_unknown_event_types_behave_as_in_rasa() -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_is_found() -> None:
    Event.resolve_by_type("slot")  # the table is built before the new class exists

    class LateEvent(Restarted):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent
    assert rasa_resolve("late_event_for_test") is LateEvent


class Adder(GraphComponent):
    """A graph node that adds its `value` to its inputs; or fails, if told to."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(cls, config: dict[str, Any], **kwargs: object) -> Adder:
        return cls(config)

    def add(self, first: int = 0, second: int = 0) -> int:
        if self.config.get("fail"):
            raise ValueError("this node fails")
        return self.config["value"] + first + second


def node(value: int, fail: bool = False, target: bool = False, **needs: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Adder, constructor_name="create", fn="add",
                      config={"value": value, "fail": fail}, is_target=target)


# a -> b (with the input "__number__") -> c (with a again); d beside them; e needs a name that
# is neither a node nor an input (the node is given the name, and refuses to run); f fails.
GRAPH = GraphSchema({
    "a": node(1), "b": node(10, first="a", second="__number__"),
    "c": node(100, target=True, first="b", second="a"), "d": node(1000, target=True, first="a"),
    "e": node(7, first="no_such_node"), "f": node(0, fail=True, first="a"),
})


def dask_run(runner: DaskGraphRunner, inputs: dict[str, Any] | None,
             targets: list[str] | None) -> dict[str, Any]:
    """Rasa's DaskGraphRunner.run, with its own graph building and dask."""
    run_targets = targets if targets else runner._graph_schema.target_names
    graph = runner._build_dask_graph(runner._graph_schema.minimal_graph_schema(run_targets))
    runner._add_inputs_to_graph(inputs, graph)
    return dict(dask.get(graph, run_targets))


@pytest.mark.parametrize(("inputs", "targets"), [
    ({"__number__": 5}, None), ({"__number__": 5}, ["b"]), ({"__number__": 5}, ["d", "c"]),
    ({"__number__": 5, "a": 50}, ["c"]),  # an input named like a node replaces the node
    ({"__number__": 5}, ["c", "c"]),
])
def test_a_graph_gives_what_dask_gives(tmp_path: Any, inputs: dict[str, Any],
                                       targets: list[str] | None) -> None:
    runner = DaskGraphRunner.create(GRAPH, LocalModelStorage(tmp_path),
                                    ExecutionContext(GRAPH, "test"))
    expected = dask_run(runner, inputs, targets)
    assert runner.run(inputs, targets) == expected
    assert runner.run(inputs, targets) == expected  # and again, from the kept order


def test_a_failing_node_a_missing_input_and_a_clash_fail_as_with_dask(tmp_path: Any) -> None:
    runner = DaskGraphRunner.create(GRAPH, LocalModelStorage(tmp_path),
                                    ExecutionContext(GRAPH, "test"))
    with pytest.raises(GraphRunError, match="Missing input to run node 'e'"):
        dask_run(runner, {}, ["e"])
    with pytest.raises(GraphRunError, match="Missing input to run node 'e'"):
        runner.run({}, ["e"])
    with pytest.raises(GraphComponentException):
        dask_run(runner, {}, ["f"])
    with pytest.raises(GraphComponentException):
        runner.run({}, ["f"])
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        dask_run(runner, {"__number__": "a"}, ["b"])
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run({"__number__": "a"}, ["b"])



def test_blas_and_openmp_use_one_thread_each() -> None:
    """Idle BLAS threads spin on the core the other Sanic worker needs."""
    from threadpoolctl import threadpool_info

    pools = [pool for pool in threadpool_info() if pool["user_api"] in ("blas", "openmp")]
    assert pools
    assert all(pool["num_threads"] == 1 for pool in pools)
