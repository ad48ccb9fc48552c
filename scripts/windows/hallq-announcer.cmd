@echo off
rem The announcer (calls spoken) under a restart loop; a shortcut in shell:startup of the display PC's user.
call "%~dp0run-forever.cmd" announcer -m display.announcer
