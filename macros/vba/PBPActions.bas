Attribute VB_Name = "PBPActions"
' Place-Based Partnerships Toolkit: the actions, one public Sub each.
' The ribbon callbacks (PBPRibbon) call these; so can a button on a sheet or Alt+F8.
' Each runs one Python function of macros.actions through xlwings' RunPython
' (the BSD-licensed classic route: no licence key, no server).
Option Explicit

Private Const PY_MODULE As String = "macros.actions"

' @buttons: one Public Sub per button of macros/buttons.py goes here

Private Sub RunAction(ByVal action As String)
    Dim dll As String
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a Place-Based Partnerships Toolkit workbook first, then press the button again.", _
            vbExclamation, "PBP Toolkit"
        Exit Sub
    End If
    dll = MissingXlwingsDll()
    If dll <> "" Then
        MsgBox "Excel cannot find " & dll & " beside the Python interpreter set in xlwings.conf." & vbLf & vbLf & _
            RebuildHelp(), vbExclamation, "PBP Toolkit"
        Exit Sub
    End If
    ' Python first checks that its xlwings is the version this add-in was built with
    RunPython "import " & PY_MODULE & " as pbp; pbp.check_xlwings('" & XLWINGS_VERSION & "'); pbp." & action & "()"
End Sub

' The add-in calls xlwings by the exact version it was built with (XLWINGS_VERSION, in
' xlwings' module). With xlwings' UDF server, Excel loads xlwings' DLL of that version before
' Python starts, so look for the DLL here; otherwise Python checks (pbp.check_xlwings).
Private Function MissingXlwingsDll() As String
#If Mac Then
    MissingXlwingsDll = ""
#Else
    Dim udfServer As Boolean, interpreter As String, dll As String
    udfServer = GetConfig("USE UDF SERVER", False)
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "pythonw")
    MissingXlwingsDll = ""
    If Not udfServer Then Exit Function
    If interpreter = "python" Or interpreter = "pythonw" Then Exit Function
    #If Win64 Then
        dll = "xlwings64-" & XLWINGS_VERSION & ".dll"
    #Else
        dll = "xlwings32-" & XLWINGS_VERSION & ".dll"
    #End If
    If FileExists(ParentFolder(interpreter) & "\" & dll) Then Exit Function
    If FileExists(ParentFolder(ParentFolder(interpreter)) & "\" & dll) Then Exit Function
    MissingXlwingsDll = dll
#End If
End Function

Private Function RebuildHelp() As String
    RebuildHelp = "This add-in was built with xlwings " & XLWINGS_VERSION & ". Either install that version" & vbLf & _
        "in the Python environment Excel uses:" & vbLf & _
        "    pip install xlwings==" & XLWINGS_VERSION & vbLf & _
        "or rebuild the add-in in that environment and install the new file in place of this one:" & vbLf & _
        "    pbp-toolkit addin -o FOLDER"
End Function
