"""The window: the caller page and evaluator page (static/), and the serial keypad bridge
(keypads.py). Talks to the server only over HTTP + SSE."""
