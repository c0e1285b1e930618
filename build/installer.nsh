; Windows: make Deskline a handler of tel:, callto: and sip: links (electron-builder's
; `protocols` covers macOS and Linux only). Registered as an application with URL
; capabilities, so it is offered in Settings > Default apps; Windows keeps the user's
; choice (UserChoice), and the app itself also calls app.setAsDefaultProtocolClient.
; https://learn.microsoft.com/windows/win32/shell/default-programs

!macro customInstall
  WriteRegStr SHCTX "Software\Classes\Deskline.DialLink" "" "Deskline dial link"
  WriteRegStr SHCTX "Software\Classes\Deskline.DialLink" "URL Protocol" ""
  WriteRegStr SHCTX "Software\Classes\Deskline.DialLink\DefaultIcon" "" "$INSTDIR\${APP_EXECUTABLE_FILENAME},0"
  WriteRegStr SHCTX "Software\Classes\Deskline.DialLink\shell\open\command" "" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "%1"'
  WriteRegStr SHCTX "Software\Deskline\Capabilities" "ApplicationName" "Deskline"
  WriteRegStr SHCTX "Software\Deskline\Capabilities" "ApplicationDescription" "Control your desk phone from the tray"
  WriteRegStr SHCTX "Software\Deskline\Capabilities\URLAssociations" "tel" "Deskline.DialLink"
  WriteRegStr SHCTX "Software\Deskline\Capabilities\URLAssociations" "callto" "Deskline.DialLink"
  WriteRegStr SHCTX "Software\Deskline\Capabilities\URLAssociations" "sip" "Deskline.DialLink"
  WriteRegStr SHCTX "Software\RegisteredApplications" "Deskline" "Software\Deskline\Capabilities"
!macroend

!macro customUnInstall
  DeleteRegValue SHCTX "Software\RegisteredApplications" "Deskline"
  DeleteRegKey SHCTX "Software\Deskline\Capabilities"
  DeleteRegKey /ifempty SHCTX "Software\Deskline"
  DeleteRegKey SHCTX "Software\Classes\Deskline.DialLink"
!macroend
