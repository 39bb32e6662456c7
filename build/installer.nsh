; Included by electron-builder's NSIS installer (nsis.include defaults to build/installer.nsh).
; Uninstalling (not an update, which runs the old uninstaller too) first takes RabbitMQ MCP's
; entry out of the user's AI client settings, each with a backup, with the app's own binary as
; Node (remove-client-entries.mjs, shipped in resources\app); whatever it answers, the uninstall
; goes on.
!macro customUnInstall
  ${ifNot} ${isUpdated}
    ${if} ${FileExists} "$INSTDIR\resources\app\remove-client-entries.mjs"
      System::Call 'Kernel32::SetEnvironmentVariable(t "ELECTRON_RUN_AS_NODE", t "1")i'
      nsExec::Exec '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "$INSTDIR\resources\app\remove-client-entries.mjs" --remove-client-entries'
      Pop $0
      System::Call 'Kernel32::SetEnvironmentVariable(t "ELECTRON_RUN_AS_NODE", t "")i'
    ${endIf}
  ${endIf}
!macroend
