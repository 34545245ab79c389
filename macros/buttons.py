"""The add-in's buttons, as one table: the ribbon XML and the VBA that calls Python are made from it.

A button is one `Button` here plus its Python entry point in macros/actions.py (a function
named after `action`, which runs the front-end-agnostic action of generator/report/actions.py).
`ribbon_xml()` writes the ribbon tab, `ribbon_module()` the PBPRibbon callbacks, and
`action_subs()` the public Subs of PBPActions (the rest of PBPActions, RunAction and its
checks, is hand-written VBA in macros/vba/PBPActions.bas, where the marker line goes).
"""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

#: The line of macros/vba/PBPActions.bas that `action_subs()` replaces when the add-in is built.
SUBS_MARKER = "' @buttons: one Public Sub per button of macros/buttons.py goes here"


@dataclass(frozen=True)
class Button:
    """One ribbon button and the action it runs."""

    action: str        # the Python entry point in macros.actions, and the RunAction key
    label: str
    image: str         # an Office built-in icon (imageMso)
    screentip: str
    supertip: str
    group: str         # the ribbon group's label; buttons of one group sit together, in order

    @property
    def name(self) -> str:
        return self.action[:1].upper() + self.action[1:]

    @property
    def sub(self) -> str:
        """The public VBA Sub of PBPActions (also for a sheet button or Alt+F8)."""
        return f"PBP{self.name}"

    @property
    def callback(self) -> str:
        """The ribbon callback in PBPRibbon."""
        return f"On{self.name}"


BUTTONS: tuple[Button, ...] = (
    Button("validate", "Validate", "AcceptInvitation", "Validate inputs",
           "Check every input of this workbook as the toolkit does and colour the cells that need attention.", "Check"),
    Button("recalculate", "Recalculate with Python", "CalculateNow", "Recalculate with Python",
           "Run the toolkit's Python model on this workbook's inputs and compare every result with Excel's.", "Check"),
    Button("risk", "Risk analysis", "ChartTypeLineInsertGallery", "Risk analysis",
           "Monte Carlo over revenue (10,000 runs by default): the chance each year that cash falls below zero or below "
           "the reserve target, with a fan chart, on a Risk sheet.", "Analyse"),
    Button("upgrade", "Upgrade", "Refresh", "Upgrade workbook",
           "Rebuild this workbook with the current version of the toolkit, carrying every input over.", "Maintain"),
)
#: Group label -> its ribbon id.
GROUP_IDS = {"Check": "pbpChecks", "Analyse": "pbpAnalysis", "Maintain": "pbpMaintain"}


def _groups() -> list[tuple[str, list[Button]]]:
    groups: dict[str, list[Button]] = {}
    for b in BUTTONS:
        groups.setdefault(b.group, []).append(b)
    return list(groups.items())


def ribbon_xml() -> bytes:
    """The customUI part: one "PBP Toolkit" tab, the buttons in their groups."""
    lines = ['<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">', "  <ribbon>", "    <tabs>",
             '      <tab id="pbpToolkitTab" label="PBP Toolkit">']
    for label, buttons in _groups():
        lines.append(f"        <group id={quoteattr(GROUP_IDS.get(label, 'pbp' + label.replace(' ', '')))} "
                     f"label={quoteattr(label)}>")
        for b in buttons:
            lines += [f"          <button id={quoteattr('pbp' + b.name)} label={quoteattr(b.label)} size=\"large\" "
                      f"imageMso={quoteattr(b.image)}",
                      f"                  screentip={quoteattr(b.screentip)} supertip={quoteattr(b.supertip)}",
                      f"                  onAction={quoteattr('PBPRibbon.' + b.callback)} />"]
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines).encode("utf-8")


def ribbon_module() -> str:
    """The PBPRibbon module: one callback per button, each calling its PBPActions Sub."""
    lines = ['Attribute VB_Name = "PBPRibbon"',
             "' Place-Based Partnerships Toolkit: callbacks of the \"PBP Toolkit\" ribbon tab",
             "' (customUI/customUI.xml names them as PBPRibbon.<Sub>). Each calls one action in PBPActions.",
             "' Made from macros/buttons.py when the add-in is built: change that table, not this text.",
             "Option Explicit"]
    for b in BUTTONS:
        lines += ["", f"Public Sub {b.callback}(control As IRibbonControl)", f"    {b.sub}", "End Sub"]
    return "\n".join(lines) + "\n"


def action_subs() -> str:
    """The public Subs of PBPActions, one per button, each running its Python action."""
    blocks = [f'Public Sub {b.sub}()\n    RunAction "{b.action}"\nEnd Sub' for b in BUTTONS]
    return "\n\n".join(blocks)
