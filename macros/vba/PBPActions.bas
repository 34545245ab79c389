Attribute VB_Name = "PBPActions"
' Place-Based Partnerships Toolkit: the actions, one public Sub each.
' The ribbon callbacks (PBPRibbon) call these; so can a button on a sheet or Alt+F8.
' Each runs one Python function of macros.actions through xlwings' RunPython
' (the BSD-licensed classic route: no licence key, no server).
Option Explicit

Private Const PY_MODULE As String = "macros.actions"

Public Sub PBPValidate()
    RunAction "validate"
End Sub

Public Sub PBPRecalculate()
    RunAction "recalculate"
End Sub

Public Sub PBPRisk()
    RunAction "risk"
End Sub

Public Sub PBPUpgrade()
    RunAction "upgrade"
End Sub

Private Sub RunAction(ByVal action As String)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a Place-Based Partnerships Toolkit workbook first, then press the button again.", _
            vbExclamation, "PBP Toolkit"
        Exit Sub
    End If
    RunPython "import " & PY_MODULE & " as pbp; pbp." & action & "()"
End Sub
