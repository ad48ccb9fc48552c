#!/usr/bin/env python3
"""Start the hallq server and its CLI: python server.py [run|init|user add|device add|report|demo]."""
from server.cli import main

if __name__ == "__main__":
    main()
