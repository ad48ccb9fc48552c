@echo off
rem Runs one hallq program and starts it again whenever it exits (a crash, a kill, an update):
rem the Windows counterpart of systemd's Restart=always. Used by the hallq-*.cmd files here.
rem   run-forever.cmd LOGNAME ARGS...      e.g. run-forever.cmd kiosk kiosk.py
rem Settings come from C:\hallq\hallq-env.cmd if it exists (set HALLQ_SERVER=..., etc.).
setlocal EnableExtensions
set "APP=%~dp0..\.."
if exist "C:\hallq\hallq-env.cmd" call "C:\hallq\hallq-env.cmd"
if not defined HALLQ_VAR set "HALLQ_VAR=C:\hallq\var"
if not exist "%HALLQ_VAR%\logs" mkdir "%HALLQ_VAR%\logs"
set "NAME=%~1"
shift
set "ARGS="
:args
if "%~1"=="" goto run
set ARGS=%ARGS% %1
shift
goto args
:run
cd /d "%APP%"
:loop
echo %DATE% %TIME% starting %NAME%>> "%HALLQ_VAR%\logs\%NAME%.log"
"%APP%\.venv\Scripts\python.exe" %ARGS% >> "%HALLQ_VAR%\logs\%NAME%.log" 2>&1
echo %DATE% %TIME% %NAME% exited with code %ERRORLEVEL%; starting again in 3 s>> "%HALLQ_VAR%\logs\%NAME%.log"
timeout /t 3 /nobreak >nul
goto loop
