"""Draw one SVG per product in the catalog's data file, into the package's static images.

    python services/catalog/scripts/make_images.py

Standard library only, and deterministic: the same data file always draws the same files, so
regenerating after an edit shows only the products that changed. Each picture is a soft gradient
in its category's colours with a flat, outlined drawing of the product type — the middle part of
the SKU (`KIT-MUG-001` → a mug) — and a scatter of dots placed by a hash of the SKU.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "catalog"
DATA = PACKAGE / "seed" / "products.json"
OUT = PACKAGE / "static" / "images"

PAPER, WARM, FLAME, LEAF, CLAY, GLASS, RED = (
    "#FFFDF7",
    "#FFD27A",
    "#F59E42",
    "#6E9B62",
    "#D9825B",
    "#DCEBF3",
    "#D9534F",
)


@dataclass(frozen=True)
class Palette:
    top: str
    bottom: str
    ink: str
    accent: str
    mid: str
    alternate: str  # the tint of a product's later variants (KIT-MUG-002)


PALETTES = {
    "coffee-tea": Palette("#F8EEE2", "#EBD5BC", "#4A2C1D", "#B7773F", "#E2B98C", "#7A4A2A"),
    "kitchen": Palette("#FCEBE3", "#F3CDBB", "#55261C", "#D0643F", "#EFA98A", "#2F4F7A"),
    "home": Palette("#EEF3EA", "#D3E2CE", "#2F4A36", "#7FA37A", "#B9D1B3", "#C9A46A"),
    "stationery": Palette("#E9EEF8", "#CBD7EF", "#1F2F57", "#4C6FC4", "#A9BCE6", "#C2553F"),
    "outdoor": Palette("#E3F2EE", "#C2E2D8", "#1D4A42", "#3E9B85", "#9FD0C2", "#E0913A"),
    "audio": Palette("#F0EBF8", "#D9CEF0", "#2E2250", "#7B5CC9", "#C4B4EA", "#2E2250"),
    "bags-travel": Palette("#FCF3DD", "#F2DDA8", "#4F3A12", "#C98E22", "#EBC877", "#7C8B4E"),
}


@dataclass(frozen=True)
class Paint:
    ink: str
    accent: str
    mid: str
    tint: str  # the accent, or the alternate for a product's later variants
    variant: int  # the SKU's number: KIT-MUG-002 is the second mug


MOTIFS: dict[str, Callable[[Paint], str]] = {}


def draws(kind: str) -> Callable[[Callable[[Paint], str]], Callable[[Paint], str]]:
    """Registers a motif for the product type that SKUs name in their middle part."""

    def register(motif: Callable[[Paint], str]) -> Callable[[Paint], str]:
        MOTIFS[kind] = motif
        return motif

    return register


# Each motif draws in a 100 by 100 box, resting on y ≈ 88; the outline colour and width come from
# the group around it, so a motif names only its fills.


@draws("BEA")
def bag_of_beans(p: Paint) -> str:
    return f"""
<path d="M30 24 H70 L76 88 H24 Z" fill="{p.tint}"/>
<path d="M30 24 L34 14 H66 L70 24" fill="{p.mid}"/>
<path d="M38 14 V24 M46 14 V24 M54 14 V24 M62 14 V24" stroke-width="2"/>
<rect x="36" y="42" width="28" height="32" rx="4" fill="{PAPER}"/>
<g transform="rotate(28 50 58)"><ellipse cx="50" cy="58" rx="7" ry="10" fill="{p.ink}"/>
<path d="M50 49 Q45 58 50 67" stroke="{PAPER}" stroke-width="2"/></g>"""


@draws("GRN")
def hand_grinder(p: Paint) -> str:
    return f"""
<path d="M50 34 V22 H76" stroke-width="4"/>
<circle cx="80" cy="22" r="6" fill="{p.ink}"/>
<rect x="33" y="32" width="34" height="9" rx="3" fill="{p.mid}"/>
<rect x="36" y="41" width="28" height="47" rx="5" fill="{p.tint}"/>
<path d="M36 60 H64 M36 66 H64" stroke-width="2"/>"""


@draws("KET")
def gooseneck_kettle(p: Paint) -> str:
    return f"""
<path d="M34 78 C20 76 16 56 8 40" stroke-width="5"/>
<path d="M64 52 C86 50 86 84 68 84" stroke-width="5"/>
<path d="M28 88 L32 54 Q48 42 64 54 L68 88 Z" fill="{p.tint}"/>
<path d="M34 58 Q48 50 62 58" fill="none" stroke="{PAPER}" stroke-width="2"/>
<circle cx="48" cy="42" r="4" fill="{p.ink}"/>"""


@draws("DRP")
def pour_over(p: Paint) -> str:
    return f"""
<path d="M68 74 Q80 74 80 80 Q80 86 68 86" stroke-width="4"/>
<rect x="30" y="66" width="40" height="22" rx="5" fill="{p.mid}"/>
<rect x="34" y="58" width="32" height="7" rx="2" fill="{p.ink}"/>
<path d="M24 22 H76 L62 58 H38 Z" fill="{PAPER}"/>
<path d="M36 30 L44 52 M50 30 V52 M64 30 L56 52" stroke-width="2" stroke="{p.accent}"/>"""


@draws("PRS")
def french_press(p: Paint) -> str:
    return f"""
<path d="M66 42 H78 V76 H66" stroke-width="5"/>
<rect x="32" y="34" width="34" height="52" rx="3" fill="{GLASS}"/>
<rect x="32" y="56" width="34" height="30" rx="3" fill="{p.ink}"/>
<path d="M32 56 H66" stroke="{p.mid}" stroke-width="3"/>
<path d="M49 34 V12" stroke-width="3"/>
<circle cx="49" cy="11" r="5" fill="{p.tint}"/>
<rect x="29" y="28" width="40" height="7" rx="2" fill="{p.tint}"/>
<rect x="29" y="86" width="40" height="4" rx="2" fill="{p.tint}"/>"""


@draws("MOK")
def moka_pot(p: Paint) -> str:
    return f"""
<path d="M64 42 Q82 42 78 72" stroke-width="5"/>
<path d="M32 88 L36 62 H64 L68 88 Z" fill="{p.tint}"/>
<rect x="38" y="56" width="24" height="6" fill="{p.ink}"/>
<path d="M36 56 L40 30 H60 L64 56 Z" fill="{p.mid}"/>
<path d="M40 30 L30 26 L42 24" fill="{p.mid}"/>
<path d="M42 30 Q50 20 58 30" fill="{p.tint}"/>
<circle cx="50" cy="21" r="3" fill="{p.ink}"/>"""


@draws("TEA")
def tea_tin(p: Paint) -> str:
    return f"""
<rect x="31" y="34" width="38" height="54" rx="4" fill="{p.tint}"/>
<rect x="29" y="24" width="42" height="13" rx="3" fill="{p.mid}"/>
<rect x="37" y="46" width="26" height="32" rx="3" fill="{PAPER}"/>
<path d="M50 50 Q62 58 50 74 Q38 58 50 50 Z" fill="{LEAF}"/>
<path d="M50 54 V72" stroke-width="2"/>"""


@draws("MUG")
def mug(p: Paint) -> str:
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="1.3" fill="{p.ink}" stroke="none"/>'
        for x, y in ((34, 50), (44, 62), (56, 48), (38, 74), (58, 70), (50, 80), (30, 64))
    )
    return f"""
<path d="M40 28 Q36 22 40 16 Q44 10 40 4 M54 28 Q50 22 54 16 Q58 10 54 4" stroke="{p.mid}"/>
<path d="M66 46 Q84 46 84 60 Q84 76 66 76" stroke-width="6"/>
<path d="M24 36 H68 V78 Q68 88 58 88 H34 Q24 88 24 78 Z" fill="{p.tint}"/>
<path d="M24 44 H68" stroke="{p.mid}" stroke-width="3"/>{dots}"""


@draws("KNF")
def chefs_knife(p: Paint) -> str:
    return f"""
<g transform="rotate(-35 50 52)">
<path d="M44 44 H94 Q82 62 44 64 Z" fill="{PAPER}"/>
<path d="M50 50 H86" stroke="{GLASS}" stroke-width="2"/>
<rect x="40" y="42" width="6" height="22" rx="2" fill="{p.mid}"/>
<rect x="8" y="46" width="33" height="14" rx="6" fill="{p.ink}"/>
<circle cx="18" cy="53" r="2" fill="{PAPER}" stroke="none"/>
<circle cx="30" cy="53" r="2" fill="{PAPER}" stroke="none"/></g>"""


@draws("BRD")
def cutting_board(p: Paint) -> str:
    squares = "".join(
        f'<rect x="{18 + 10 * col}" y="{36 + 10 * row}" width="10" height="10" '
        f'fill="{p.mid if (row + col) % 2 else p.tint}" stroke="none"/>'
        for row in range(4)
        for col in range(6)
    )
    return f"""
<rect x="12" y="30" width="72" height="52" rx="6" fill="{p.tint}"/>{squares}
<rect x="12" y="30" width="72" height="52" rx="6" fill="none"/>
<path d="M84 48 H90 Q94 48 94 56 Q94 64 90 64 H84" fill="{p.tint}"/>"""


@draws("PAN")
def skillet(p: Paint) -> str:
    return f"""
<path d="M68 52 L94 46 Q98 50 95 56 L70 64" fill="{p.ink}"/>
<circle cx="42" cy="58" r="30" fill="{p.ink}"/>
<circle cx="42" cy="58" r="23" fill="#3A3A3A" stroke="none"/>
<path d="M28 56 Q26 42 40 44 Q50 36 56 48 Q62 62 50 68 Q36 74 30 64 Z" fill="{PAPER}"
 stroke="none"/>
<circle cx="44" cy="56" r="7" fill="{WARM}" stroke="{FLAME}" stroke-width="2"/>"""


@draws("POT")
def dutch_oven(p: Paint) -> str:
    return f"""
<rect x="10" y="52" width="12" height="8" rx="3" fill="{p.ink}"/>
<rect x="78" y="52" width="12" height="8" rx="3" fill="{p.ink}"/>
<path d="M18 46 H82 V74 Q82 88 68 88 H32 Q18 88 18 74 Z" fill="{p.tint}"/>
<path d="M14 46 Q50 24 86 46 Z" fill="{p.mid}"/>
<rect x="43" y="24" width="14" height="8" rx="3" fill="{p.ink}"/>
<path d="M18 58 H82" stroke="{PAPER}" stroke-width="2"/>"""


@draws("SPN")
def wooden_spoons(p: Paint) -> str:
    spoon = f"""<rect x="47" y="40" width="6" height="50" rx="3" fill="{p.mid}"/>"""
    return f"""
<g transform="rotate(-22 50 90)">{spoon}<ellipse cx="50" cy="28" rx="10" ry="15" fill="{p.mid}"/>
<path d="M47 20 V36 M53 20 V36" stroke-width="2"/></g>
<g transform="rotate(22 50 90)">{spoon}<rect x="40" y="12" width="20" height="30" rx="7"
 fill="{p.mid}"/></g>
<g>{spoon}<ellipse cx="50" cy="24" rx="11" ry="16" fill="{p.tint}"/></g>"""


@draws("TWL")
def tea_towels(p: Paint) -> str:
    return f"""
<path d="M14 22 H86" stroke-width="5"/>
<rect x="46" y="22" width="36" height="62" rx="3" fill="{p.mid}"/>
<rect x="22" y="22" width="36" height="66" rx="3" fill="{PAPER}"/>
<path d="M22 70 H58 M22 76 H58" stroke="{p.accent}" stroke-width="3"/>
<path d="M40 30 V64" stroke="{p.mid}" stroke-width="1.5" stroke-dasharray="3 3"/>"""


@draws("LMP")
def table_lamp(p: Paint) -> str:
    return f"""
<circle cx="50" cy="44" r="34" fill="{WARM}" opacity=".35" stroke="none"/>
<path d="M50 56 V82" stroke-width="4"/>
<rect x="34" y="80" width="32" height="8" rx="4" fill="{WARM}"/>
<path d="M30 16 H70 L82 56 H18 Z" fill="{PAPER}"/>
<path d="M38 18 L32 54 M50 18 V54 M62 18 L68 54" stroke="{p.mid}" stroke-width="2"/>"""


@draws("CDL")
def candle(p: Paint) -> str:
    return f"""
<circle cx="50" cy="28" r="14" fill="{WARM}" opacity=".45" stroke="none"/>
<path d="M50 16 Q58 28 50 36 Q42 28 50 16 Z" fill="{FLAME}" stroke-width="2"/>
<path d="M50 36 V42" stroke-width="2"/>
<rect x="30" y="42" width="40" height="46" rx="6" fill="{p.tint}"/>
<rect x="36" y="56" width="28" height="20" rx="3" fill="{PAPER}"/>
<path d="M42 66 H58" stroke="{p.mid}" stroke-width="2"/>"""


@draws("THR")
def folded_throw(p: Paint) -> str:
    zigzag = " ".join(f"L{22 + 6 * i} {66 if i % 2 else 72}" for i in range(11))
    return f"""
<rect x="18" y="60" width="66" height="26" rx="9" fill="{p.mid}"/>
<path d="M{22} 69 {zigzag}" stroke="{PAPER}" stroke-width="2"/>
<rect x="22" y="36" width="60" height="24" rx="9" fill="{p.tint}"/>
<path d="M12 64 H18 M12 70 H18 M12 76 H18 M12 82 H18" stroke-width="2"/>"""


@draws("PLT")
def planter(p: Paint) -> str:
    leaf = f'<path d="M50 56 Q30 44 32 18 Q52 30 50 56 Z" fill="{p.tint}"/>'
    return f"""
<g transform="rotate(-18 50 56)">{leaf}</g>
<g transform="rotate(22 50 56) scale(1)">{leaf}</g>
<path d="M50 58 Q48 36 58 12 Q66 34 50 58 Z" fill="{p.mid}"/>
<path d="M32 62 H68 L64 88 H36 Z" fill="{CLAY}"/>
<rect x="28" y="56" width="44" height="9" rx="2" fill="{CLAY}"/>"""


@draws("VAS")
def ribbed_vase(p: Paint) -> str:
    return f"""
<path d="M46 22 L38 6 M52 22 L58 4 M50 22 V10" stroke="{LEAF}" stroke-width="2.5"/>
<circle cx="38" cy="6" r="4" fill="{WARM}" stroke-width="2"/>
<circle cx="58" cy="4" r="4" fill="{p.tint}" stroke-width="2"/>
<path d="M40 22 H60 Q60 36 68 50 Q76 68 62 88 H38 Q24 68 32 50 Q40 36 40 22 Z" fill="{GLASS}"/>
<path d="M44 30 Q38 60 44 86 M50 26 V88 M56 30 Q62 60 56 86" stroke="{PAPER}"
 stroke-width="2"/>"""


@draws("CLK")
def wall_clock(p: Paint) -> str:
    ticks = "".join(
        f'<path d="M{50 + 30 * math.sin(a):.1f} {52 - 30 * math.cos(a):.1f} '
        f'L{50 + 26 * math.sin(a):.1f} {52 - 26 * math.cos(a):.1f}" stroke-width="2"/>'
        for a in (i * math.pi / 6 for i in range(12))
    )
    return f"""
<circle cx="50" cy="52" r="36" fill="{p.tint}"/>
<circle cx="50" cy="52" r="30" fill="{PAPER}" stroke="none"/>{ticks}
<path d="M50 52 L50 32 M50 52 L64 60" stroke-width="3"/>
<path d="M50 52 L38 72" stroke="{RED}" stroke-width="1.5"/>
<circle cx="50" cy="52" r="3" fill="{p.ink}"/>"""


@draws("CSH")
def cushion(p: Paint) -> str:
    return f"""
<path d="M18 24 Q50 16 82 24 Q90 52 82 80 Q50 88 18 80 Q10 52 18 24 Z" fill="{p.tint}"/>
<path d="M25 31 Q50 25 75 31 Q81 52 75 73 Q50 79 25 73 Q19 52 25 31 Z" fill="none"
 stroke="{PAPER}" stroke-width="1.5" stroke-dasharray="3 3"/>
<path d="M30 46 Q50 52 70 46" stroke="{p.mid}" stroke-width="2"/>"""


@draws("MIR")
def round_mirror(p: Paint) -> str:
    return f"""
<path d="M34 34 L50 8 L66 34" stroke="{p.ink}" stroke-width="3"/>
<circle cx="50" cy="8" r="3" fill="{p.ink}"/>
<circle cx="50" cy="56" r="32" fill="{WARM}"/>
<circle cx="50" cy="56" r="25" fill="{GLASS}"/>
<path d="M36 52 L48 40 M40 62 L58 44" stroke="{PAPER}" stroke-width="3"/>"""


@draws("NTB")
def notebook(p: Paint) -> str:
    return f"""
<path d="M64 84 V94 L68 90 L72 94 V84" fill="{RED}" stroke-width="2"/>
<rect x="26" y="14" width="50" height="72" rx="4" fill="{p.tint}"/>
<path d="M34 14 V86" stroke="{p.ink}" stroke-width="2"/>
<path d="M68 14 V86" stroke="{p.ink}" stroke-width="3"/>
<rect x="40" y="28" width="22" height="14" rx="2" fill="{PAPER}"/>"""


@draws("PEN")
def fountain_pen(p: Paint) -> str:
    return f"""
<g transform="rotate(-40 50 50)">
<path d="M70 44 L94 50 L70 56 Z" fill="{WARM}"/>
<path d="M72 50 H88" stroke-width="1.5"/>
<rect x="14" y="43" width="58" height="14" rx="7" fill="{p.tint}"/>
<rect x="14" y="43" width="26" height="14" rx="7" fill="{p.ink}"/>
<path d="M20 41 H40" stroke-width="3"/>
<path d="M40 43 V57" stroke="{WARM}" stroke-width="3"/></g>"""


@draws("INK")
def ink_bottle(p: Paint) -> str:
    return f"""
<rect x="38" y="14" width="24" height="14" rx="3" fill="{p.ink}"/>
<rect x="41" y="28" width="18" height="10" fill="{p.mid}"/>
<path d="M30 42 Q30 38 36 38 H64 Q70 38 70 42 V82 Q70 88 64 88 H36 Q30 88 30 82 Z"
 fill="{p.tint}"/>
<rect x="36" y="52" width="28" height="24" rx="3" fill="{PAPER}"/>
<path d="M50 56 Q57 65 50 72 Q43 65 50 56 Z" fill="{p.ink}"/>"""


@draws("PCL")
def pencils(p: Paint) -> str:
    drawn = []
    for x, top, colour in ((30, 22, p.tint), (46, 12, p.mid), (62, 28, p.ink)):
        drawn.append(
            f'<path d="M{x} {top + 16} L{x + 6} {top} L{x + 12} {top + 16} Z" fill="#F1D3A8"/>'
            f'<path d="M{x + 4} {top + 6} L{x + 6} {top} L{x + 8} {top + 6} Z" fill="{p.ink}"/>'
            f'<rect x="{x}" y="{top + 16}" width="12" height="{64 - top}" fill="{colour}"/>'
            f'<rect x="{x}" y="80" width="12" height="4" fill="#C9CED6"/>'
            f'<rect x="{x}" y="84" width="12" height="6" rx="2" fill="#F2A7B0"/>'
        )
    return "\n".join(drawn)


@draws("PLN")
def planner(p: Paint) -> str:
    days = "".join(
        f'<rect x="{26 + 10 * col}" y="{46 + 10 * row}" width="6" height="6" rx="1" '
        f'fill="{RED if (row, col) == (1, 3) else p.mid}" stroke="none"/>'
        for row in range(3)
        for col in range(5)
    )
    return f"""
<rect x="18" y="22" width="64" height="66" rx="6" fill="{PAPER}"/>
<path d="M18 40 V28 Q18 22 24 22 H76 Q82 22 82 28 V40 Z" fill="{p.tint}"/>
<path d="M34 14 V28 M50 14 V28 M66 14 V28" stroke-width="4"/>{days}"""


@draws("ENV")
def envelope(p: Paint) -> str:
    return f"""
<rect x="30" y="14" width="46" height="50" rx="3" fill="{p.mid}" transform="rotate(10 53 39)"/>
<rect x="16" y="38" width="68" height="46" rx="3" fill="{PAPER}"/>
<path d="M16 40 L50 64 L84 40" fill="none"/>
<circle cx="50" cy="64" r="6" fill="{RED}"/>"""


@draws("TAP")
def washi_tape(p: Paint) -> str:
    def roll(cx: int, cy: int, colour: str) -> str:
        return (
            f'<circle cx="{cx}" cy="{cy}" r="18" fill="{colour}"/>'
            f'<circle cx="{cx}" cy="{cy}" r="13" fill="none" stroke="{PAPER}" stroke-width="2" '
            f'stroke-dasharray="2 4"/>'
            f'<circle cx="{cx}" cy="{cy}" r="8" fill="{PAPER}"/>'
        )

    return f"""
<path d="M68 80 H94 L90 84 L94 88 H68 Z" fill="{p.tint}"/>
{roll(34, 68, p.mid)}{roll(68, 70, p.tint)}{roll(50, 38, RED)}"""


@draws("TNT")
def tent(p: Paint) -> str:
    return f"""
<path d="M6 88 H94" stroke-width="3"/>
<path d="M50 22 L16 88 M50 22 L84 88" stroke-width="1.5"/>
<path d="M50 22 L12 86 H88 Z" fill="{p.tint}"/>
<path d="M50 22 L36 86 H64 Z" fill="{p.ink}"/>
<path d="M50 22 V10 L60 14 L50 18" fill="{FLAME}" stroke-width="2"/>"""


@draws("BOT")
def bottle(p: Paint) -> str:
    return f"""
<circle cx="50" cy="12" r="6" fill="none" stroke-width="3"/>
<rect x="38" y="16" width="24" height="16" rx="4" fill="{p.ink}"/>
<path d="M36 40 Q36 32 44 32 H56 Q64 32 64 40 V82 Q64 88 58 88 H42 Q36 88 36 82 Z"
 fill="{p.tint}"/>
<rect x="36" y="54" width="28" height="14" fill="{PAPER}"/>
<path d="M40 61 L46 57 L50 62 L54 58 L60 63" stroke="{p.ink}" stroke-width="1.5"/>"""


@draws("LAN")
def lantern(p: Paint) -> str:
    return f"""
<circle cx="50" cy="50" r="30" fill="{WARM}" opacity=".45" stroke="none"/>
<path d="M38 22 Q50 4 62 22" stroke-width="3"/>
<rect x="32" y="20" width="36" height="9" rx="3" fill="{p.ink}"/>
<rect x="36" y="29" width="28" height="41" rx="4" fill="{WARM}"/>
<path d="M50 36 V62" stroke="{PAPER}" stroke-width="3"/>
<rect x="32" y="70" width="36" height="16" rx="3" fill="{p.tint}"/>"""


@draws("SLP")
def sleeping_bag(p: Paint) -> str:
    return f"""
<path d="M30 24 Q50 4 70 24 L64 84 Q50 92 36 84 Z" fill="{p.tint}"/>
<ellipse cx="50" cy="24" rx="12" ry="9" fill="{p.ink}"/>
<path d="M34 42 Q50 48 66 42 M33 56 Q50 62 67 56 M34 70 Q50 76 66 70" stroke="{p.mid}"
 stroke-width="2.5"/>
<path d="M62 28 L58 82" stroke="{PAPER}" stroke-width="1.5"/>"""


@draws("CMP")
def compass(p: Paint) -> str:
    return f"""
<rect x="22" y="12" width="56" height="78" rx="8" fill="{PAPER}" opacity=".9"/>
<path d="M50 16 L56 30 H44 Z" fill="{RED}" stroke-width="2"/>
<path d="M30 80 H70 M30 84 H70" stroke="{p.mid}" stroke-width="1.5"/>
<circle cx="50" cy="56" r="22" fill="{p.tint}"/>
<circle cx="50" cy="56" r="16" fill="{PAPER}"/>
<path d="M50 42 L55 56 H45 Z" fill="{RED}" stroke-width="1.5"/>
<path d="M50 70 L55 56 H45 Z" fill="{p.ink}" stroke-width="1.5"/>"""


@draws("STV")
def camp_stove(p: Paint) -> str:
    return f"""
<path d="M46 28 Q40 18 46 10 Q48 18 52 16 Q58 24 52 28 Z" fill="{FLAME}" stroke-width="2"/>
<path d="M40 36 L26 30 M60 36 L74 30" stroke-width="3"/>
<rect x="38" y="30" width="24" height="8" rx="2" fill="{p.ink}"/>
<rect x="44" y="38" width="12" height="10" fill="{p.mid}"/>
<path d="M26 88 H74 V66 Q74 50 50 50 Q26 50 26 66 Z" fill="{p.tint}"/>
<rect x="26" y="68" width="48" height="10" fill="{PAPER}"/>"""


@draws("TRK")
def trekking_poles(p: Paint) -> str:
    def pole(angle: int) -> str:
        return (
            f'<g transform="rotate({angle} 50 -10)">'
            f'<rect x="48" y="28" width="4" height="60" fill="#C9CED6"/>'
            f'<rect x="44" y="8" width="12" height="22" rx="5" fill="#C69B6D"/>'
            f'<ellipse cx="50" cy="78" rx="8" ry="3" fill="{p.ink}"/>'
            f'<path d="M44 12 Q40 22 44 30" stroke="{p.tint}" stroke-width="2"/></g>'
        )

    return pole(-13) + pole(13)


@draws("HDL")
def headlamp(p: Paint) -> str:
    return f"""
<ellipse cx="50" cy="58" rx="38" ry="20" fill="none" stroke="{p.tint}" stroke-width="9"/>
<ellipse cx="50" cy="58" rx="38" ry="20" fill="none" stroke-width="1.5"/>
<path d="M50 20 V8 M30 26 L22 18 M70 26 L78 18" stroke="{FLAME}" stroke-width="3"/>
<rect x="34" y="36" width="32" height="28" rx="8" fill="{p.ink}"/>
<circle cx="50" cy="50" r="9" fill="{WARM}"/>"""


@draws("HPH")
def headphones(p: Paint) -> str:
    return f"""
<path d="M22 62 Q22 14 50 14 Q78 14 78 62" stroke-width="7"/>
<path d="M22 62 Q22 14 50 14 Q78 14 78 62" stroke="{p.mid}" stroke-width="2.5"/>
<rect x="12" y="50" width="22" height="34" rx="9" fill="{p.tint}"/>
<rect x="66" y="50" width="22" height="34" rx="9" fill="{p.tint}"/>
<path d="M30 56 V78 M70 56 V78" stroke="{PAPER}" stroke-width="2"/>"""


@draws("EAR")
def earbuds(p: Paint) -> str:
    bud = (
        f'<circle r="9" fill="{PAPER}"/>'
        f'<rect x="-3" y="4" width="6" height="18" rx="3" fill="{PAPER}"/>'
    )
    return f"""
<g transform="translate(38 24) rotate(-18)">{bud}</g>
<g transform="translate(62 24) rotate(18)">{bud}</g>
<rect x="22" y="50" width="56" height="36" rx="16" fill="{p.tint}"/>
<path d="M22 62 H78" stroke-width="2"/>
<circle cx="50" cy="74" r="2" fill="{LEAF}" stroke="none"/>"""


@draws("SPK")
def speakers(p: Paint) -> str:
    if p.variant > 1:
        dots = "".join(
            f'<circle cx="{26 + 6 * col}" cy="{48 + 6 * row}" r="1.6" fill="{p.ink}" '
            f'stroke="none"/>'
            for row in range(5)
            for col in range(9)
        )
        return f"""
<path d="M20 44 Q10 44 10 54" stroke-width="3"/>
<rect x="16" y="38" width="68" height="42" rx="20" fill="{p.tint}"/>
<rect x="22" y="44" width="56" height="30" rx="14" fill="{p.mid}"/>{dots}"""

    def cabinet(x: int) -> str:
        return (
            f'<rect x="{x}" y="22" width="34" height="64" rx="3" fill="#A9744A"/>'
            f'<circle cx="{x + 17}" cy="36" r="5" fill="{p.ink}"/>'
            f'<circle cx="{x + 17}" cy="64" r="12" fill="{p.ink}"/>'
            f'<circle cx="{x + 17}" cy="64" r="5" fill="{p.mid}"/>'
        )

    return cabinet(12) + cabinet(54)


@draws("TRN")
def turntable(p: Paint) -> str:
    grooves = "".join(
        f'<circle cx="44" cy="56" r="{r}" fill="none" stroke="#5A5A66" stroke-width="1"/>'
        for r in (11, 15, 19)
    )
    return f"""
<rect x="10" y="28" width="80" height="56" rx="5" fill="{p.tint}"/>
<circle cx="44" cy="56" r="23" fill="#1E1E26"/>{grooves}
<circle cx="44" cy="56" r="6" fill="{FLAME}"/>
<circle cx="78" cy="38" r="5" fill="{p.mid}"/>
<path d="M78 38 L72 66 L62 70" stroke-width="3"/>
<path d="M76 78 H84" stroke="{PAPER}" stroke-width="3"/>"""


@draws("RAD")
def radio(p: Paint) -> str:
    grille = "".join(
        f'<path d="M{24 + 4 * i} 50 V74" stroke="#6B4A30" stroke-width="2"/>' for i in range(7)
    )
    return f"""
<path d="M60 34 L80 8" stroke-width="2.5"/>
<rect x="14" y="34" width="72" height="52" rx="8" fill="#A9744A"/>
<rect x="20" y="44" width="32" height="36" rx="5" fill="{p.mid}"/>{grille}
<rect x="58" y="44" width="22" height="14" rx="2" fill="{PAPER}"/>
<path d="M66 47 V55" stroke="{RED}" stroke-width="1.5"/>
<circle cx="63" cy="70" r="4" fill="{p.ink}"/><circle cx="76" cy="70" r="4" fill="{p.ink}"/>"""


@draws("MIC")
def microphone(p: Paint) -> str:
    return f"""
<path d="M26 44 Q26 68 50 68 Q74 68 74 44" stroke-width="4"/>
<path d="M50 68 V86 M34 88 H66" stroke-width="4"/>
<rect x="36" y="8" width="28" height="50" rx="14" fill="{PAPER}"/>
<path d="M38 20 H62 M37 28 H63 M37 36 H63" stroke="{p.mid}" stroke-width="2"/>
<rect x="36" y="42" width="28" height="6" fill="{p.tint}"/>"""


@draws("BPK")
def backpack(p: Paint) -> str:
    return f"""
<path d="M40 26 Q40 12 50 12 Q60 12 60 26" stroke-width="4"/>
<rect x="24" y="24" width="52" height="64" rx="15" fill="{p.tint}"/>
<path d="M24 44 Q24 26 50 26 Q76 26 76 44 V52 Q50 58 24 52 Z" fill="{p.mid}"/>
<rect x="32" y="62" width="36" height="20" rx="5" fill="{p.mid}"/>
<path d="M38 44 V62 M62 44 V62" stroke="#8A5A34" stroke-width="4"/>
<rect x="35" y="52" width="6" height="6" fill="{WARM}" stroke-width="1.5"/>
<rect x="59" y="52" width="6" height="6" fill="{WARM}" stroke-width="1.5"/>"""


@draws("DUF")
def duffel(p: Paint) -> str:
    return f"""
<path d="M34 44 Q36 20 50 20 Q64 20 66 44" stroke-width="4"/>
<rect x="10" y="40" width="80" height="44" rx="20" fill="{p.tint}"/>
<path d="M24 44 H76" stroke="{p.ink}" stroke-width="2" stroke-dasharray="2 2"/>
<rect x="70" y="40" width="4" height="10" fill="{WARM}" stroke-width="1.5"/>
<path d="M10 62 H90" stroke="{p.mid}" stroke-width="5"/>
<circle cx="14" cy="62" r="8" fill="{p.mid}"/><circle cx="86" cy="62" r="8" fill="{p.mid}"/>"""


@draws("TOT")
def tote(p: Paint) -> str:
    return f"""
<path d="M34 42 Q34 12 44 12 Q50 12 50 42 M50 42 Q50 12 58 12 Q66 12 66 42" stroke-width="4"
 stroke="{p.ink}"/>
<path d="M22 40 H78 L74 88 H26 Z" fill="#F3E6CC"/>
<path d="M23 50 H77" stroke="{p.tint}" stroke-width="5"/>
<rect x="38" y="60" width="24" height="18" rx="2" fill="{p.tint}"/>"""


@draws("WAL")
def card_wallet(p: Paint) -> str:
    return f"""
<rect x="28" y="18" width="42" height="28" rx="3" fill="{GLASS}" transform="rotate(-8 49 32)"/>
<rect x="30" y="22" width="42" height="28" rx="3" fill="{PAPER}"/>
<path d="M36 30 H52" stroke="{p.mid}" stroke-width="3"/>
<rect x="18" y="38" width="64" height="44" rx="6" fill="{p.tint}"/>
<rect x="23" y="43" width="54" height="34" rx="4" fill="none" stroke="{PAPER}" stroke-width="1.5"
 stroke-dasharray="3 2"/>"""


@draws("PCH")
def tech_pouch(p: Paint) -> str:
    return f"""
<path d="M72 66 Q92 66 90 84" stroke="{PAPER}" stroke-width="3"/>
<rect x="12" y="34" width="70" height="48" rx="14" fill="{p.tint}"/>
<path d="M20 44 H74" stroke-width="2" stroke-dasharray="2 2"/>
<path d="M66 44 V56" stroke-width="2"/>
<rect x="62" y="54" width="8" height="10" rx="2" fill="{WARM}" stroke-width="1.5"/>
<rect x="26" y="56" width="20" height="12" rx="2" fill="{p.mid}"/>"""


@draws("PIL")
def travel_pillow(p: Paint) -> str:
    shape = "M32 26 Q12 56 34 78 Q50 90 66 78 Q88 56 68 26"
    return f"""
<path d="{shape}" stroke-width="26"/>
<path d="{shape}" stroke="{p.tint}" stroke-width="20"/>
<path d="{shape}" stroke="{p.mid}" stroke-width="2" stroke-dasharray="4 4"/>"""


@draws("TAG")
def luggage_tag(p: Paint) -> str:
    return f"""
<g transform="rotate(12 50 56)">
<path d="M50 30 Q40 10 50 4 Q60 10 50 30" fill="none" stroke-width="3"/>
<path d="M38 34 L46 26 H54 L62 34 V86 Q62 90 58 90 H42 Q38 90 38 86 Z" fill="{p.tint}"
 transform="translate(-14 0) scale(1.3 1)"/>
<circle cx="50" cy="34" r="3" fill="{PAPER}"/>
<rect x="38" y="46" width="24" height="32" rx="2" fill="{PAPER}"/>
<path d="M42 56 H58 M42 62 H58 M42 68 H52" stroke="{p.mid}" stroke-width="2"/></g>"""


@draws("CUB")
def packing_cubes(p: Paint) -> str:
    def cube(x: int, y: int, w: int, h: int, colour: str) -> str:
        mesh = f'<rect x="{x + 6}" y="{y + 5}" width="{w - 12}" height="{h - 14}" rx="2" '
        return (
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{colour}"/>'
            f'{mesh}fill="{PAPER}" opacity=".6" stroke-width="1.5"/>'
            f'<path d="M{x + 6} {y + h - 4} H{x + w - 6}" stroke-width="1.5"/>'
        )

    return cube(16, 62, 68, 26, p.tint) + cube(22, 38, 56, 24, p.mid) + cube(30, 16, 40, 22, LEAF)


def scatter(sku: str, colour: str) -> str:
    """A few dots around the edge, placed by the SKU's hash: siblings do not look copied."""
    digest = hashlib.sha256(sku.encode()).digest()
    dots = []
    for i in range(7):
        angle = digest[i] / 255 * 2 * math.pi
        distance = 165 + digest[i + 7] % 30
        radius = 3 + digest[i + 14] % 7
        x, y = 200 + distance * math.cos(angle), 200 + distance * math.sin(angle)
        opacity = 0.18 + (digest[i + 21] % 4) * 0.06
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" '
            f'opacity="{opacity:.2f}"/>'
        )
    return "".join(dots)


def draw(product: dict[str, object]) -> str:
    sku = str(product["sku"])
    _, kind, number = sku.split("-")
    variant = int(number)
    palette = PALETTES[str(product["category"])]
    if kind not in MOTIFS:
        raise SystemExit(f"{sku}: nothing draws a {kind!r} yet; add a motif with @draws({kind!r})")
    tint = palette.accent if variant == 1 else palette.alternate
    body = MOTIFS[kind](Paint(palette.ink, palette.accent, palette.mid, tint, variant))
    gradient = f"g-{sku}"
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" \
height="400" role="img" aria-labelledby="t-{sku}">
<title id="t-{sku}">{escape(str(product["name"]))}</title>
<defs><linearGradient id="{gradient}" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="{palette.top}"/><stop offset="1" stop-color="{palette.bottom}"/>
</linearGradient></defs>
<rect width="400" height="400" fill="url(#{gradient})"/>
<circle cx="200" cy="196" r="150" fill="#FFFFFF" opacity=".45"/>
{scatter(sku, palette.accent)}
<ellipse cx="200" cy="292" rx="110" ry="10" fill="{palette.ink}" opacity=".12"/>
<g transform="translate(80 80) scale(2.4)" fill="none" stroke="{palette.ink}" stroke-width="3" \
stroke-linecap="round" stroke-linejoin="round">{body}
</g>
</svg>
"""


def main() -> None:
    products = json.loads(DATA.read_text(encoding="utf-8"))["products"]
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = {f"{product['sku']}.svg" for product in products}
    for stale in OUT.glob("*.svg"):
        if stale.name not in wanted:
            stale.unlink()
    for product in products:
        (OUT / f"{product['sku']}.svg").write_text(draw(product), encoding="utf-8")
    print(f"drew {len(products)} images into {OUT}")


if __name__ == "__main__":
    main()
