@echo off
rem The keypad and evaluator bridge under a restart loop; tokens in C:\hallq\hallq-env.cmd.
call "%~dp0run-forever.cmd" keypads -m caller.keypads
