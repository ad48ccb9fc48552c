"""Simulated days through the real queue code (`python server.py simulate`, docs/simulate.md):
day.py (what a day is), player.py (playing it), replay.py (a past day), results.py (figures, xlsx),
runner.py (scratch databases and the command)."""
