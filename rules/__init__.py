"""Rules every part of hallq needs, written once: the server, the kiosk, the hardware drivers and
(through a parity test) the booking page use these. Standard library only, so `hardware/`,
`kiosk/`, `caller/` and `display/` may import it without importing `server/`."""
