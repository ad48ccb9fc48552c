@echo off
rem The kiosk under a restart loop. Startup entry: a shortcut to this file in shell:startup of the
rem kiosk's auto-login user ("Run: Minimized"). See docs/operations.md.
call "%~dp0run-forever.cmd" kiosk kiosk.py
