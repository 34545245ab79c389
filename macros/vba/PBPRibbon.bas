Attribute VB_Name = "PBPRibbon"
' Place-Based Partnerships Toolkit: callbacks of the "PBP Toolkit" ribbon tab
' (customUI/customUI.xml names them as PBPRibbon.<Sub>). Each calls one action in PBPActions.
Option Explicit

Public Sub OnValidate(control As IRibbonControl)
    PBPValidate
End Sub

Public Sub OnRecalculate(control As IRibbonControl)
    PBPRecalculate
End Sub

Public Sub OnRisk(control As IRibbonControl)
    PBPRisk
End Sub

Public Sub OnUpgrade(control As IRibbonControl)
    PBPUpgrade
End Sub
