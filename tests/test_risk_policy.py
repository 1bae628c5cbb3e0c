"""The dialogue policy that carries risk across turns, on the real domain, without a server."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.risk_policy import CHECK_IN, RiskDialoguePolicy
from tests.support import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def policy() -> RiskDialoguePolicy:
    return RiskDialoguePolicy(
        RiskDialoguePolicy.get_default_config(), None, None,  # type: ignore[arg-type]
        ExecutionContext(GraphSchema({})), turn_enders=frozenset({"utter_ask_clares_law"}),
        answers={"ask_clares_law": "utter_ask_clares_law"})


def user(intent: str, risk: dict | None = None) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 1.0}}
    if risk:
        parse["risk"] = risk
    return UserUttered("(text)", parse["intent"], [], parse)


def bot(*actions: str) -> list[Event]:
    return [ActionExecuted(action) for action in actions]


def next_action(policy: RiskDialoguePolicy, domain: Domain, *events: Event) -> str | None:
    tracker = DialogueStateTracker.from_events("someone", [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted(
            ACTION_LISTEN_NAME), *events])
    return policy.next_action(tracker, domain)


UNCERTAIN = {"category": "high_indicator", "source": "model", "tier": "uncertain"}


def test_an_uncertain_message_gets_its_answer_then_the_check_in(policy, domain) -> None:
    asked = user("ask_clares_law", UNCERTAIN)
    assert next_action(policy, domain, asked) is None  # the rules answer first
    assert next_action(policy, domain, asked, *bot("utter_ask_clares_law")) == CHECK_IN
    assert next_action(policy, domain, asked, *bot("utter_ask_clares_law", CHECK_IN)) == \
        ACTION_LISTEN_NAME


def test_a_message_with_no_risk_is_left_to_the_rules(policy, domain) -> None:
    asked = user("ask_clares_law")
    assert next_action(policy, domain, asked) is None
    assert next_action(policy, domain, asked, *bot("utter_ask_clares_law")) is None


def test_an_escalation_is_followed_by_the_answer_to_the_other_question(policy, domain) -> None:
    told = user("risk_high_indicator", {"category": "high_indicator", "source": "patterns",
                                        "tier": "high", "also": "ask_clares_law"})
    assert next_action(policy, domain, told) is None  # the escalation rule goes first
    steps = ["utter_risk_high_indicator", "action_deactivate_loop"]
    assert next_action(policy, domain, told, *bot(*steps)) == "utter_ask_clares_law"
    assert next_action(policy, domain, told, *bot(*steps, "utter_ask_clares_law")) == \
        ACTION_LISTEN_NAME


def escalated(category: str) -> list[Event]:
    return [user(f"risk_{category}", {"category": category, "source": "patterns",
                                      "tier": "high"}),
            *bot(f"utter_risk_{category}", "action_deactivate_loop", ACTION_LISTEN_NAME)]


@pytest.mark.parametrize("category", ["danger_now", "danger_from_me", "self_harm"])
def test_after_danger_a_question_gets_the_reminder_first_then_its_answer(
    policy, domain, category: str
) -> None:
    before = [*escalated(category), user("ask_clares_law")]
    assert next_action(policy, domain, *before) == f"utter_still_{category}"
    assert next_action(policy, domain, *before, *bot(f"utter_still_{category}")) == \
        "utter_ask_clares_law"
    assert next_action(policy, domain, *before, *bot(f"utter_still_{category}",
                                                     "utter_ask_clares_law")) == \
        ACTION_LISTEN_NAME


@pytest.mark.parametrize("intent", ["help_menu", "get_help", "nlu_fallback", "unsure"])
def test_after_danger_help_gets_the_whole_urgent_answer_again(policy, domain, intent) -> None:
    assert next_action(policy, domain, *escalated("danger_now"), user(intent)) == \
        "utter_risk_danger_now"


def test_saying_you_are_safe_ends_the_danger_context(policy, domain) -> None:
    events = [*escalated("danger_now"), user("say_safe")]
    assert next_action(policy, domain, *events) is None  # the rules acknowledge it
    later = [*events, *bot("utter_safe_ack", ACTION_LISTEN_NAME), user("ask_clares_law")]
    assert next_action(policy, domain, *later) is None


def test_a_new_session_ends_the_danger_context(policy, domain) -> None:
    events = [*escalated("danger_now"), ActionExecuted("action_session_start"),
              SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME), user("ask_clares_law")]
    assert next_action(policy, domain, *events) is None


def test_a_high_indicator_escalation_does_not_keep_a_danger_context(policy, domain) -> None:
    assert next_action(policy, domain, *escalated("high_indicator"),
                       user("ask_clares_law")) is None


def test_after_danger_a_flow_request_is_left_to_the_rules(policy, domain) -> None:
    """#Reflect or the checklist is itself the help asked for: the reminder would block it."""
    assert next_action(policy, domain, *escalated("danger_from_me"),
                       user("worried_own_behaviour")) is None


def test_the_answers_learnt_from_rules_are_single_response_rules_only() -> None:
    """An intent whose rule says one thing is answerable after an escalation; a rule that only
    applies after another action (the check-in's "yes") teaches nothing."""
    from rasa.shared.core.generator import TrackerWithCachedStates

    from bot.policies.risk_policy import single_answers

    def rule(*events: Event) -> TrackerWithCachedStates:
        return TrackerWithCachedStates.from_events("rule", list(events), is_rule_tracker=True)

    assert single_answers(rule(ActionExecuted(ACTION_LISTEN_NAME), user("ask_clares_law"),
                               *bot("utter_ask_clares_law", ACTION_LISTEN_NAME))) == \
        [("ask_clares_law", "utter_ask_clares_law")]
    assert single_answers(rule(*bot(CHECK_IN), user("affirm"),
                               *bot("utter_check_in_safe", ACTION_LISTEN_NAME))) == []
    assert single_answers(rule(ActionExecuted(ACTION_LISTEN_NAME), user("worried_own_behaviour"),
                               *bot("action_reset_flow_slots", "utter_reflect_intro"))) == []
