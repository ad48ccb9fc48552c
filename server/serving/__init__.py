"""The HTTP server of `server.py run`: gevent's WSGI server holds every connection in the loop
(event streams cost a socket and a small greenlet, not a thread); the Flask app runs in a pool of
real threads, so database calls never block the loop. See docs/operations.md."""
