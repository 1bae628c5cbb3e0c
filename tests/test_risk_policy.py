"""The dialogue policy that carries risk across turns, on the real domain, without a server."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
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
        answers={"ask_clares_law": [({}, "utter_ask_clares_law")],
                 "ask_image_abuse": [({}, "utter_ask_image_abuse"),
                                     ({"age_group": "under_18"}, "utter_images_under_18")],
                 "ask_helplines": [({"audience": "own_behaviour"}, "utter_own_behaviour_help"),
                                   ({"age_group": "under_18"}, "utter_images_under_18"),
                                   ({}, "utter_ask_helplines")]})


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
        [("ask_clares_law", {}, "utter_ask_clares_law")]
    # The slots a rule needs: its condition, and what the message itself set (an age).
    assert single_answers(rule(SlotSet("audience", "other"), ActionExecuted(ACTION_LISTEN_NAME),
                               user("ask_image_abuse"), SlotSet("age_group", "under_18"),
                               *bot("utter_images_under_18", ACTION_LISTEN_NAME))) == \
        [("ask_image_abuse", {"audience": "other", "age_group": "under_18"},
          "utter_images_under_18")]
    assert single_answers(rule(*bot(CHECK_IN), user("affirm"),
                               *bot("utter_check_in_safe", ACTION_LISTEN_NAME))) == []
    assert single_answers(rule(ActionExecuted(ACTION_LISTEN_NAME), user("worried_own_behaviour"),
                               *bot("action_reset_flow_slots", "utter_reflect_intro"))) == []


def escalated_with_images(*slots: Event) -> list[Event]:
    told = user("risk_sexual_violence", {"category": "sexual_violence", "source": "model",
                                         "tier": "high", "also": "ask_image_abuse"})
    return [told, *slots, *bot("utter_risk_sexual_violence", "action_deactivate_loop")]


def test_the_answer_after_an_escalation_fits_an_age_given_in_the_message(policy, domain) -> None:
    """"my ex is showing my nudes to his mates, i'm 16": Report Remove and Childline, not the
    adults' StopNCII, after the sexual violence answer."""
    assert next_action(policy, domain, *escalated_with_images(
        SlotSet("age_group", "under_18"))) == "utter_images_under_18"
    assert next_action(policy, domain, *escalated_with_images()) == "utter_ask_image_abuse"
    assert next_action(policy, domain, *escalated_with_images(
        SlotSet("age_group", "adult"))) == "utter_ask_image_abuse"


def test_in_danger_a_question_gets_the_answer_its_rules_give_for_the_slots(policy, domain) -> None:
    """The most specific rule whose slots hold; two equally specific ones: left to the rules."""
    asked = [*escalated("danger_from_me"), SlotSet("audience", "own_behaviour")]
    reminder = ["utter_still_danger_from_me"]
    assert next_action(policy, domain, *asked, user("ask_helplines"), *bot(*reminder)) == \
        "utter_own_behaviour_help"
    both = [*asked, SlotSet("age_group", "under_18"), user("ask_helplines")]
    assert next_action(policy, domain, *both) is None
