; Inno Setup script for Fireside on Windows: a per-user installer (no administrator needed,
; one can be chosen) of the one-folder app that packaging/build makes in dist\Fireside.
;
; On Windows, from the repository root, after `bash packaging/build` (Git Bash) or
;   .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\fireside.spec
; run Inno Setup 6's compiler:
;   iscc /DAppVersion=0.1.0 packaging\windows\fireside.iss
; It writes dist\Fireside-0.1.0-setup.exe. The version defaults to 0.1.0; pass pyproject's.
; Simplified Chinese is offered when ChineseSimplified.isl (an unofficial Inno Setup
; translation) is in the compiler's Languages folder.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Fireside"
#define AppExe "Fireside.exe"
#define Root "..\.."

[Setup]
; AppId identifies the installation for upgrades and uninstalling: never change it.
AppId={{6B1E4C2A-3F5D-4B8E-9A7C-2D1F0E5B8C34}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
AppComments=Private, offline chat with local models and your own documents
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per user by default (no UAC prompt); the person may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile={#Root}\resources\icons\fireside.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running Fireside holds its files: ask to close it (the engine is its child process).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
#if FileExists(CompilerPath + "Languages\ChineseSimplified.isl")
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\Fireside\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundled libraries as a whole (no stale DLLs of the old version).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; Uninstalling removes the program only. Chats, models and settings stay in
; %LOCALAPPDATA%\Fireside (platformdirs' user data folder), so a reinstall finds them.
