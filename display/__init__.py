"""The hall: display page (static/), announcer (voice) and LED strip bridge.

Talks to the server only over HTTP and the event stream; never imports server/.
"""
