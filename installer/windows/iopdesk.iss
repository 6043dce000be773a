; Inno Setup script for IOP Desk (Inno Setup 6): a per-machine install of the PyInstaller bundle.
; Build on Windows after `make bundle` (or `pyinstaller --noconfirm installer\iopdesk.spec`):
;     iscc /DAppVersion=0.1.0 installer\windows\iopdesk.iss
; Output: dist\IOPDesk-Setup-<version>.exe. Silent install for deployment tools:
;     IOPDesk-Setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;
; Clinic data is NOT in the install folder: each user's clinic, backups and logs live in
; %LOCALAPPDATA%\IOPDesk (or on the clinic server). The uninstaller removes only what it
; installed under {app}; it never deletes %LOCALAPPDATA%\IOPDesk, so uninstalling or upgrading
; keeps every clinic record.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "IOP Desk"
#define BundleDir "..\..\dist\IOPDesk"

[Setup]
; Keep this AppId across versions: it is how an upgrade finds the installed copy.
AppId={{6C1B2D4E-3F5A-4B7C-9D8E-1A2B3C4D5E6F}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=IOP Desk team
VersionInfoVersion={#AppVersion}
; Per machine: Program Files, for every user; needs an administrator.
PrivilegesRequired=admin
DefaultDirName={autopf}\IOPDesk
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=IOPDesk-Setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName={#AppName} {#AppVersion}
UninstallDisplayIcon={app}\IOPDeskApp.exe
; An upgrade replaces the program while IOP Desk is closed.
CloseApplications=yes

[InstallDelete]
; An upgrade starts from a clean program folder (old libraries must not linger).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\IOPDeskApp.exe"; Comment: "IOP clinical workstation"
Name: "{group}\{#AppName} self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\iopdesk.exe"" --self-test"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\IOPDeskApp.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the install folder (files the program may have left there, e.g. __pycache__).
; Never {localappdata}\IOPDesk: that is the clinic data.
Type: filesandordirs; Name: "{app}"
