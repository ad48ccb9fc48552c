@echo off
rem The LED strip bridge under a restart loop; set HALLQ_LED_BUS=serial://COM3 in C:\hallq\hallq-env.cmd.
call "%~dp0run-forever.cmd" led -m display.led
