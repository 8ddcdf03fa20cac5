<#
.SYNOPSIS
    Registers the C3PO Sync nightly task under a group managed service account (gMSA), and
    locks the private key and the state folder to that account.

.DESCRIPTION
    Run as an administrator on the server, after the gMSA exists and this server may use it:
      New-ADServiceAccount -Name svc-c3po -DNSHostName svc-c3po.city.local `
          -PrincipalsAllowedToRetrieveManagedPassword "C3PO-Servers"     (on a domain controller)
      Install-ADServiceAccount svc-c3po ; Test-ADServiceAccount svc-c3po   (on this server)
    The task stores no password: Windows fetches the gMSA's from Active Directory.
    The gMSA needs "Log on as a batch job" (secpol.msc, User Rights Assignment).
    Docs: docs/admin-guide.md, "Windows".

.EXAMPLE
    .\register-c3po-sync.ps1 -Account 'CITY\svc-c3po$'
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)][ValidatePattern('\$$')][string]$Account,
    [string]$Exe = 'C:\c3po-sync\venv\Scripts\c3po-sync.exe',
    [string]$Data = 'C:\ProgramData\c3po-sync',
    [string]$Key = 'C:\ProgramData\c3po-sync\secrets\c3po-sync.key.pem',
    [string]$At = '2:00'
)
$ErrorActionPreference = 'Stop'

# State, logs and output: the gMSA may write, nobody else but administrators may read.
foreach ($dir in @($Data, "$Data\state", "$Data\logs", "$Data\out", (Split-Path $Key))) {
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
}
icacls $Data /inheritance:r /grant:r "${Account}:(OI)(CI)M" "BUILTIN\Administrators:(OI)(CI)F" "NT AUTHORITY\SYSTEM:(OI)(CI)F" | Out-Null
# The private key: read-only for the gMSA; no inherited access.
icacls (Split-Path $Key) /inheritance:r /grant:r "${Account}:(OI)(CI)R" "BUILTIN\Administrators:(OI)(CI)F" | Out-Null
if (Test-Path $Key) {
    icacls $Key /inheritance:r /grant:r "${Account}:R" "BUILTIN\Administrators:F" | Out-Null
}

$action = New-ScheduledTaskAction -Execute $Exe -WorkingDirectory $Data `
    -Argument "--log-file $Data\logs\nightly.log run nightly --config $Data\config\city.yaml"
$trigger = New-ScheduledTaskTrigger -Daily -At $At
$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -MultipleInstances IgnoreNew `
    -RunOnlyIfNetworkAvailable -ExecutionTimeLimit (New-TimeSpan -Hours 4)
# LogonType Password and no password argument: the gMSA's password comes from Active Directory.
$principal = New-ScheduledTaskPrincipal -UserId $Account -LogonType Password -RunLevel Limited
Register-ScheduledTask -TaskPath '\C3PO Sync\' -TaskName 'nightly' -Action $action `
    -Trigger $trigger -Settings $settings -Principal $principal -Force
