"""A what-if run in its own process (`python -m server.simulation.child`), for the dashboard's
模拟排班 panel (services/simulations.py starts it).

Reads one pickled request from stdin — {"runs": {label: DayPlan}, "first": date, "seeds": [int],
"replay": bool, "config": hall config dict, "budget_s": seconds} — plays the runs day by day with
runner.play_sampled (one sampled day per seed, or the replayed day; no more days than fit in the
budget) and writes pickled messages to stdout: ("progress", share of the residents issued), then
("done", {"runs": {label: [Played]}, "days": [(date, seed)]}) or ("error", message). Only the
server that started it writes its stdin.
"""
from __future__ import annotations

import logging
import os
import pickle
import sys

NICE = 10  # below the live hall's requests


def main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt the messages
    sys.stdout = sys.stderr
    try:
        os.nice(NICE)
    except (OSError, AttributeError):
        pass  # Windows has no nice; the run is still off the server's interpreter

    def send(kind, payload):
        pickle.dump((kind, payload), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        req = pickle.load(sys.stdin.buffer)
        from . import day as dayplan
        from .runner import play_sampled
        seeds = req["seeds"][:1] if req["replay"] else req["seeds"]
        total = sum(len(dayplan.draw(p, seed)) for p in req["runs"].values() for seed in seeds) or 1
        state = {"issued": 0, "sent": 0.0}
        parent = os.getppid()

        def on_issue(_label, _ticket):
            if os.getppid() != parent:
                os._exit(1)  # the server has gone: nobody is waiting for this run
            state["issued"] += 1
            share = state["issued"] / total
            if share - state["sent"] >= 0.02:
                state["sent"] = share
                send("progress", min(0.99, share))

        played, days = play_sampled(req["runs"], req["first"], seeds, replay=req["replay"],
                                    hall_data=req["config"], on_issue=on_issue, budget_s=req.get("budget_s"))
        send("done", {"runs": played, "days": days})
    except Exception as exc:  # the manager gets a short message; the details go to the server's log
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("hallq.simulate").exception("simulate: the run failed")
        send("error", f"模拟出错 (the simulation failed): {type(exc).__name__}")
    finally:
        out.close()


if __name__ == "__main__":
    main()
