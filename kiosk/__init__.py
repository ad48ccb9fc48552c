"""The Kivy touchscreen kiosk: a separate program that talks to the server over HTTP and the
event stream (never by importing server/), and drives the hall's printer, scanner and ID-card
reader through hardware/.

    config.py   kiosk config file + environment overrides
    client.py   the server's REST API as the kiosk uses it (idempotent issue, check-in, faults)
    events.py   a small Server-Sent Events client (Last-Event-ID resume)
    core.py     what a tap does, without any UI: issue/check-in, print or fall back, report faults
    devices.py  the hardware of one kiosk (printer, camera scanner, ID-card reader, speech)
    i18n.py     screen text, Chinese first, English switch
    app.py      the Kivy app and its screens

See docs/kiosk.md.
"""
