"""The verbs every data screen offers (a t T s x c e), on the marked rows or the cursor's.

A screen says what the agent has chosen (:meth:`ActingScreen.chosen`); this class asks what a verb
needs (whom to assign to, until when to snooze, why it was late), confirms a resolve of several
escalations, and hands the request to the desk's grace window (:mod:`tui.pending`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import work

from sync.domain import EscalationRow
from tui.desk import READ_ERRORS
from tui.screens.base import LiveScreen
from tui.screens.pickers import ChoiceScreen, ConfirmScreen
from tui.verbs import OrderRef, Request, Verb, applicable
from tui.when import SNOOZE_CHOICES, snooze_until


@dataclass(frozen=True, slots=True)
class Chosen:
    """What a verb would act on: escalations, and the orders (for notes)."""

    escalations: tuple[EscalationRow, ...] = ()
    orders: tuple[OrderRef, ...] = ()
    without: int = 0
    """Chosen orders that have no open escalation."""


class ActingScreen(LiveScreen):
    async def chosen(self, verb: Verb) -> Chosen:
        """The escalations (and orders) the agent chose for ``verb``."""
        return Chosen()

    def submitted(self) -> None:
        """A request left for the grace window: the marks it used are spent."""

    # ----- keys -----

    def action_acknowledge(self) -> None:
        self.act(Verb.ACKNOWLEDGE)

    def action_take(self) -> None:
        self.act(Verb.TAKE)

    def action_assign(self, to: str = "") -> None:
        self.act(Verb.ASSIGN, to)

    def action_snooze(self, until: str = "") -> None:
        self.act(Verb.SNOOZE, until)

    def action_resolve(self, reason: str = "") -> None:
        self.act(Verb.RESOLVE, reason)

    def action_note(self, text: str = "") -> None:
        self.act(Verb.NOTE, text)

    def action_escalate(self) -> None:
        self.act(Verb.ESCALATE)

    # ----- asking -----

    async def ask(self, question: ChoiceScreen) -> str:
        """What the agent picked or typed; '' when they backed out."""
        answer: str | None = await self.app.push_screen_wait(question)
        return answer or ""

    @work(group="verbs", exit_on_error=False)
    async def act(self, verb: Verb, argument: str = "") -> None:
        try:
            chosen = await self.chosen(verb)
        except READ_ERRORS as error:
            self.notify(str(error), title="Cannot read the escalations", severity="error")
            return
        if verb is Verb.NOTE:
            request = await self._note(chosen, argument)
        else:
            request = await self._escalation_request(verb, chosen, argument)
        if request is None:
            return
        self.desk.actions.submit(request)
        self.submitted()
        if self.desk.config.undo_seconds > 0:
            wait = f"{self.desk.config.undo_seconds:g}s"
            self.notify(f"{request.sentence()} in {wait} · u undoes", timeout=3)

    async def _note(self, chosen: Chosen, text: str) -> Request | None:
        if not chosen.orders:
            self.notify("No order chosen", severity="warning")
            return None
        where = (
            chosen.orders[0].number if len(chosen.orders) == 1 else f"{len(chosen.orders)} orders"
        )
        if not text:
            text = await self.ask(
                ChoiceScreen(f"Note on {where}", [], free_text="what happened, what was promised")
            )
        if not text.strip():
            return None
        return Request(Verb.NOTE, orders=chosen.orders, note=text.strip())

    async def _escalation_request(
        self, verb: Verb, chosen: Chosen, argument: str
    ) -> Request | None:
        kept, skipped = applicable(verb, chosen.escalations, self.desk.agent)
        if not kept:
            if skipped:
                self.notify(skipped[0], severity="warning")
            else:
                what = "these orders have" if chosen.without > 1 else "this order has"
                self.notify(f"No open escalation: {what} none", severity="warning")
            return None
        request = Request(verb, tuple(kept))
        completed: Request | None = request
        if verb is Verb.ASSIGN:
            completed = await self._assignee(request, argument)
        elif verb is Verb.SNOOZE:
            completed = await self._until(request, argument)
        elif verb is Verb.RESOLVE:
            completed = await self._reason(request, argument)
        if completed is not None and skipped:
            self.notify(f"Left out: {'; '.join(skipped)}", severity="warning")
        return completed

    async def _assignee(self, request: Request, to: str) -> Request | None:
        if not to:
            to = await self.ask(
                ChoiceScreen(
                    f"Assign {_count(request)} to…",
                    await self._agents(),
                    free_text="an agent's login",
                )
            )
        return replace(request, to_agent=to) if to else None

    async def _agents(self) -> list[tuple[str, str]]:
        store = self.desk.store
        choices: dict[str, str] = {}
        for agent in await store.desk_agents():
            team = f" · {agent.team}" if agent.team else ""
            choices[agent.login] = f"{agent.login}  {agent.name}{team}"
        for login in await store.known_agents():
            choices.setdefault(login, login)
        return list(choices.items())

    async def _until(self, request: Request, text: str) -> Request | None:
        while True:
            if not text:
                text = await self.ask(
                    ChoiceScreen(
                        f"Snooze {_count(request)} until…",
                        list(SNOOZE_CHOICES),
                        free_text="30m, 2h, 17:30, tomorrow 10:00",
                    )
                )
            if not text:
                return None
            try:
                until = snooze_until(text, self.desk.clock.now(), self.desk.zone)
            except ValueError as problem:
                self.notify(str(problem), severity="warning")
                text = ""
                continue
            return replace(request, until=until)

    async def _reason(self, request: Request, code: str) -> Request | None:
        reasons = await self.desk.store.delay_reason_list()
        labels = {r.code: r.label for r in reasons}
        if not code:
            code = await self.ask(
                ChoiceScreen(
                    f"Resolve {_count(request)}: why was it late?",
                    list(labels.items()),
                )
            )
        if not code:
            return None
        if code not in labels:
            self.notify(f"Unknown reason “{code}”: {', '.join(labels)}", severity="warning")
            return None
        note = ""
        if any(r.code == code and r.needs_note for r in reasons):
            note = await self.ask(
                ChoiceScreen(f"{labels[code]}: say what happened", [], free_text="required")
            )
            if not note.strip():
                return None
        if len(request.escalations) > 1:
            question = f"Resolve {len(request.escalations)} escalations as “{labels[code]}”?"
            if not await self.app.push_screen_wait(ConfirmScreen(question)):
                return None
        return replace(request, reason=code, reason_label=labels[code], note=note.strip())


def _count(request: Request) -> str:
    if len(request.escalations) == 1:
        escalation = request.escalations[0]
        return f"{escalation.about} {escalation.rule_id}"
    return f"{len(request.escalations)} escalations"
