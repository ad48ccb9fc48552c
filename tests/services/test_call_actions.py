"""Which of a window's actions are calls is decided once (services/queue.py CALL_ACTIONS): the
event server runs those requests before others (serving/http.py), and the services give their
units of work the writers' turn before ordinary writers. Each window action, run through the API,
takes the turn as urgent exactly when the event server counts it as a call."""
from __future__ import annotations

import re

from server.serving.http import is_window_call
from server.store.db import WritersQueue

WINDOW_ACTION = re.compile(r"^/api/v1/halls/<hall>/windows/<int:n>/([a-z-]+)$")


def test_every_window_action_is_urgent_exactly_when_the_event_server_calls_it_a_call(api, ctx, app,
                                                                                     monkeypatch):
    seen: list[bool] = []
    acquire = WritersQueue.acquire

    def spy(self, urgent=False, done=None):
        seen.append(urgent)
        return acquire(self, urgent, done)

    monkeypatch.setattr(WritersQueue, "acquire", spy)
    token = api.add_staff("clerk1", [1])
    casesys = api.add_device("case system 1", "casesys", [1])
    for _ in range(5):
        assert api.issue("social").status == 201
    ran: dict[str, list[bool]] = {}

    def act(action, json=None, who=token):
        seen.clear()
        r = api.act(1, action, who, json=json)
        assert r.status == 200, (action, r.body)
        ran.setdefault(action, []).extend(seen)
        return r.body

    act("sign-in")
    act("call-next")
    act("recall")
    act("start")
    act("transfer", {"service": "agri"})
    act("call-next")
    act("no-show")
    waiting = api.get(api.hp("/windows/1/waiting"), token).body["tickets"]
    act("call", {"ticket_id": waiting[-1]["id"]})
    act("finish", {"outcome": "immediate"})
    act("case", {"case_no": "CASE-1"}, casesys)
    act("call-next")
    act("finish-and-call-next", {"outcome": "immediate"})
    act("finish", {"outcome": "immediate"})
    act("pause", {"reason": "午休"})
    act("resume")
    act("sign-out")

    actions = {m.group(1) for rule in app.url_map.iter_rules() if "POST" in rule.methods
               for m in [WINDOW_ACTION.match(rule.rule)] if m}
    assert actions == set(ran), "a window action this test does not run: " + str(actions ^ set(ran))
    for action, urgent in ran.items():
        assert urgent, f"{action} wrote nothing"
        call = is_window_call("POST", f"/api/v1/halls/main/windows/1/{action}")
        assert all(urgent) if call else not any(urgent), (action, call, urgent)
    assert {a for a in ran if is_window_call("POST", f"/api/v1/halls/main/windows/1/{a}")} == {
        "call-next", "finish-and-call-next", "recall", "call"}
