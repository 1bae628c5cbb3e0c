"""The dialogue policy that carries risk across a turn and across the conversation.

Rules answer one message with one fixed sequence; three safety behaviours need more:
- **answer, then check in**: a message the risk component marked `uncertain` gets its normal
  answer, then "Are you safe right now?" (`utter_safety_check_in`; its Yes / No / Not sure are
  answered by rules: No and Not sure escalate at once);
- **escalate, then answer**: a long message that shows risk and also asks something else gets
  the escalation first, then the answer to its question (`risk.also`);
- **danger stays**: after an escalation for danger now, danger from the person themselves or
  self-harm, a question gets the urgent guidance first (a short reminder, or the full escalation
  again for "help", "what do I do" and the like) until the person says they are safe
  (`say_safe`), or the session ends. Flows and custom actions run as usual.

It reads only the tracker and the domain (no action server), predicts with full confidence and a
priority above RulePolicy's, and abstains otherwise, so every other turn is the rules' alone.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.intents import RISK_PREFIX
from bot.nlu.fingerprint import source_fingerprint
from bot.nlu.risk_override import HIGH, RISK_KEY, UNCERTAIN

CHECK_IN = "utter_safety_check_in"
SAFE_INTENT = "say_safe"
# The escalations that keep danger in the conversation, and the reminder each one leaves.
REMINDERS = {
    "danger_now": "utter_still_danger_now",
    "danger_from_me": "utter_still_danger_from_me",
    "self_harm": "utter_still_self_harm",
}
# Messages that in danger get the whole urgent guidance again rather than a reminder.
URGENT_AGAIN = frozenset({"help_menu", "get_help", "nlu_fallback", "unsure", "deny",
                          "out_of_scope", "followup_what_next"})
LEARNT_FILE = "turn_enders_and_answers.json"
ALWAYS_ENDS_A_TURN = frozenset({"utter_default"})
# One rule's answer to an intent: the slot values the rule needs (its conditions, and the slots
# set from the message itself, such as an age) and the response it sends.
Answer = tuple[dict[str, Any], str]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RiskDialoguePolicy(Policy):
    """Safety check-in, escalate-then-answer and danger that stays (module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Above RulePolicy (6), so its predictions win the tie at full confidence."""
        return {"priority": 7}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """The module's source: what training learns may change with it."""
        return source_fingerprint(sys.modules[__name__])

    @staticmethod
    def supported_data() -> SupportedData:
        """Rules too: they say which actions end the bot's turn."""
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        turn_enders: frozenset[str] = frozenset(),
        answers: dict[str, list[Answer]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, **kwargs)
        self.turn_enders = turn_enders | ALWAYS_ENDS_A_TURN
        self.answers = answers or {}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: object
    ) -> Resource:
        """Learns what the rules and stories say about turns.

        Which actions end the bot's turn (those only ever followed by listening), and which
        response answers each intent (its rule's only step) for which slot values, so a
        second question or a question asked in danger is answered as the rules would: a
        16-year-old's question about images gets the under-18 answer there too.
        """
        followed_by_listen: set[str] = set()
        followed_by_more: set[str] = set()
        answers: dict[str, list[Answer]] = {}
        for tracker in training_trackers:
            names = [e.action_name for e in tracker.events
                     if isinstance(e, ActionExecuted) and e.action_name]
            for current, following in itertools.pairwise(names):
                if current == ACTION_LISTEN_NAME or current.startswith("..."):
                    continue
                if following == ACTION_LISTEN_NAME:
                    followed_by_listen.add(current)
                elif not following.startswith("..."):
                    followed_by_more.add(current)
            if tracker.is_rule_tracker:
                for intent, slots, response in single_answers(tracker):
                    if (slots, response) not in answers.setdefault(intent, []):
                        answers[intent].append((slots, response))
        self.turn_enders = frozenset(followed_by_listen - followed_by_more) | ALWAYS_ENDS_A_TURN
        # Two responses for the same slot values: the rules decide on something else. No answer.
        self.answers = {intent: found for intent, found in answers.items()
                        if len({json.dumps(slots, sort_keys=True) for slots, _ in found})
                        == len(found)}
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / LEARNT_FILE).write_text(json.dumps(
                {"turn_enders": sorted(self.turn_enders), "answers": self.answers}))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: object,
    ) -> RiskDialoguePolicy:
        with model_storage.read_from(resource) as directory:
            learnt = json.loads((Path(directory) / LEARNT_FILE).read_text())
        answers = {intent: [(slots, response) for slots, response in found]
                   for intent, found in learnt["answers"].items()}
        return cls(config, model_storage, resource, execution_context,
                   frozenset(learnt["turn_enders"]), answers)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: object,
    ) -> PolicyPrediction:
        action = self.next_action(tracker, domain)
        probabilities = self._default_predictions(domain)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    def next_action(self, tracker: DialogueStateTracker, domain: Domain) -> str | None:
        """The action this policy insists on next, or None to leave the turn to the others."""
        latest = tracker.latest_message
        intent = (latest.intent_name if latest else None) or ""
        if not intent:
            return None
        done = actions_since_user(tracker)
        risk = latest.parse_data.get(RISK_KEY) or {}
        if risk.get("tier") == HIGH:
            return _after_escalation(self.answer(risk.get("also") or "", tracker), done)
        if done and done[-1] == CHECK_IN:
            return ACTION_LISTEN_NAME
        context = danger_context(tracker)
        if (context and intent != SAFE_INTENT and not intent.startswith(RISK_PREFIX)
                and not tracker.active_loop_name):
            return _in_danger(context, intent, self.answer(intent, tracker), done)
        if (risk.get("tier") == UNCERTAIN and not tracker.active_loop_name and done
                and done[-1] in self.turn_enders):
            return CHECK_IN
        return None


    def answer(self, intent: str, tracker: DialogueStateTracker) -> str | None:
        """The response the rules give `intent` with the conversation's slots.

        Of the rules whose slot values all hold, the one that needs the most; none on a tie.
        """
        fitting = [(len(slots), response) for slots, response in self.answers.get(intent, [])
                   if all(tracker.get_slot(slot) == value for slot, value in slots.items())]
        if not fitting:
            return None
        most = max(needed for needed, _ in fitting)
        best = {response for needed, response in fitting if needed == most}
        return best.pop() if len(best) == 1 else None


def _after_escalation(answer: str | None, done: list[str]) -> str | None:
    """The second question's answer, right after the escalation's own steps."""
    if not answer or not done:
        return None
    if done[-1] == answer:
        return ACTION_LISTEN_NAME
    if done[-1] == "action_deactivate_loop" and answer not in done:
        return answer
    return None


def _in_danger(context: str, intent: str, answer: str | None, done: list[str]) -> str | None:
    """Urgent guidance first, then the answer, while danger stays in the conversation.

    A request answered by more than one response (a flow, a custom action) is left to the
    rules: the reminder would stop them from matching, and a flow such as #Reflect is itself
    the help the person asked for.
    """
    escalation, reminder = f"utter_risk_{context}", REMINDERS[context]
    if not done:
        if intent in URGENT_AGAIN:
            return escalation
        return reminder if answer else None
    if done == [reminder] and answer:
        return answer
    if done[-1] in (escalation, reminder, answer):
        return ACTION_LISTEN_NAME
    return None


def actions_since_user(tracker: DialogueStateTracker) -> list[str]:
    """The bot's actions since the latest user message, oldest first."""
    done: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            done.append(event.action_name)
    return [name for name in reversed(done) if name != ACTION_LISTEN_NAME]


def danger_context(tracker: DialogueStateTracker) -> str | None:
    """The category of the last escalation that keeps danger in the conversation.

    None when the person has said they are safe since, or a new session began.
    """
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            return None
        if isinstance(event, UserUttered):
            if seen_user and event.intent_name == SAFE_INTENT:
                return None
            seen_user = True
        if seen_user and isinstance(event, ActionExecuted) and event.action_name:
            for category in REMINDERS:
                if event.action_name == f"utter_risk_{category}":
                    return category
    return None


def single_answers(tracker: TrackerWithCachedStates) -> list[tuple[str, dict[str, Any], str]]:
    """(intent, slots, response) for a rule that answers an intent, said first, with one action.

    `slots`: the values the rule's conditions and the message's own slots set before the answer.
    """
    events = [e for e in tracker.events if isinstance(e, (UserUttered, ActionExecuted, SlotSet))]
    turns = [e for e in events if not isinstance(e, SlotSet)]
    found = []
    for index, event in enumerate(turns):
        if not isinstance(event, UserUttered) or not event.intent_name:
            continue
        before = [e.action_name or "" for e in turns[:index] if isinstance(e, ActionExecuted)]
        after = turns[index + 1:index + 3]
        if (all(name == ACTION_LISTEN_NAME or name.startswith("...") for name in before)
                and len(after) == 2 and all(isinstance(e, ActionExecuted) for e in after)
                and after[1].action_name == ACTION_LISTEN_NAME
                and (after[0].action_name or "").startswith("utter_")):
            slots = {e.key: e.value for e in events[:events.index(after[0])]
                     if isinstance(e, SlotSet)}
            found.append((event.intent_name, slots, after[0].action_name))
    return found
