"""The page's math as MathML Core, for the HTML page: browsers typeset it natively, with no script.

The input is the LaTeX side of an :class:`~backprop_cli.render.mathtext.M`, first made
safe by :func:`backprop_cli.render.tex.math` (``mathjax=True``): so only the small TeX
subset of :data:`tex.WORDS` reaches this converter, with groups balanced. It is
read by recursive descent into MathML elements:

    x_{1}            <msub><mi>x</mi><mn>1</mn></msub>
    \\frac{a}{b}      <mfrac>…</mfrac>
    \\hat y           <mover accent="true"><mi>y</mi><mo>^</mo></mover>
    \\left( … \\right) <mrow><mo>(</mo> … <mo>)</mo></mrow>
    \\begin{cases}    a brace and an <mtable>; bmatrix: brackets around an <mtable>

Every character of the input is written escaped; a control word this module does
not know is written as text, never dropped.
"""

from __future__ import annotations

from html import escape

from . import tex

IDENTIFIERS = {
    **{
        w: c
        for w, c in zip(
            "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho "
            "varrho sigma varsigma tau upsilon phi varphi chi psi omega "
            "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
            "Psi Omega".split(),
            "αβγδϵεζηθϑικλμνξπϖρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ",
            strict=True,
        )
    },
    "partial": "∂",
    "nabla": "∇",
    "infty": "∞",
    "ell": "ℓ",
    "prime": "′",
    "emptyset": "∅",
}
OPERATORS = {
    "cdot": "·",
    "odot": "⊙",
    "otimes": "⊗",
    "oplus": "⊕",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "circ": "∘",
    "bullet": "∙",
    "ast": "∗",
    "star": "⋆",
    "setminus": "∖",
    "le": "≤",
    "ge": "≥",
    "leq": "≤",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "lt": "<",
    "gt": ">",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "mid": "∣",
    "vert": "|",
    "lvert": "|",
    "rvert": "|",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "leftrightarrow": "↔",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "langle": "⟨",
    "rangle": "⟩",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "backslash": "\\",
    "lbrack": "[",
    "rbrack": "]",
    "cdots": "⋯",
    "ldots": "…",
    "dots": "…",
    "vdots": "⋮",
    "ddots": "⋱",
    "wedge": "∧",
    "vee": "∨",
    "neg": "¬",
    "forall": "∀",
    "exists": "∃",
    "backprime": "‵",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
}
SIGNS = ("<mo>−</mo>", "<mo>+</mo>")
AFTER_WHICH_A_SIGN = {
    '<mo form="prefix" stretchy="false">(</mo>',
    '<mo form="prefix" stretchy="false">[</mo>',
    "<mo>=</mo>",
    "<mo>,</mo>",
}
"""A − or + right after these is a sign (TeX makes it one), not a binary operator with space around it."""
TALL = ("<mfrac", "<mtable", "<msqrt", "<munder", "<mover", "<msubsup")
"""What makes a \\left…\\right pair stretch; around a number or a name, TeX's brackets keep their size."""
THIN = '<mspace width="0.1667em"></mspace>'
FUNCTION = f"<mrow>{THIN}<mi>"
FUNCTIONS = frozenset("lim ln log exp max min sin cos tan tanh sinh cosh arg sup inf det".split())
ACCENTS = {"hat": "^", "bar": "¯", "tilde": "~", "vec": "→", "dot": "˙", "ddot": "¨", "overline": "¯"}
SPACES = {",": "0.1667em", ":": "0.2222em", ";": "0.2778em", " ": "0.25em", "quad": "1em", "qquad": "2em"}
FONTS = {
    "mathrm": "normal",
    "operatorname": "normal",
    "mathit": "italic",
    "mathbf": "bold",
    "boldsymbol": "bold",
    "mathsf": "sans",
    "mathtt": "mono",
    "mathcal": "normal",
    "mathbb": "double",
}
DOUBLE_STRUCK = {"1": "𝟙", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "E": "𝔼"}
FENCES = {
    "cases": ("{", ""),
    "bmatrix": ("[", "]"),
    "pmatrix": ("(", ")"),
    "vmatrix": ("|", "|"),
    "matrix": ("", ""),
    "aligned": ("", ""),
}


def mo(c: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f"<mo{extra}>{escape(c)}</mo>"


def row(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"<mrow>{''.join(items)}</mrow>"


class _Parser:
    """Reads safe TeX (see :mod:`.tex`) into MathML, one atom and its scripts at a time."""

    def __init__(self, src: str):
        self.s, self.i = src, 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def word(self) -> str:
        """A control sequence's name, after its backslash: letters, or one other character."""
        start = self.i
        while self.i < len(self.s) and self.s[self.i].isascii() and self.s[self.i].isalpha():
            self.i += 1
        if self.i == start and self.i < len(self.s):
            self.i += 1
        return self.s[start : self.i]

    def sequence(self, stop: str = "") -> list[str]:
        """Atoms with their scripts up to ``stop`` (``}``, ``&``, ``\\\\``, ``\\right``, ``\\end``) or the end."""
        items: list[str] = []
        while True:
            self.skip_spaces()
            if self.i >= len(self.s) or self.at_stop(stop):
                return items
            atom = self.atom()
            if atom is None:
                continue
            if atom in SIGNS and items and items[-1] in AFTER_WHICH_A_SIGN:
                atom = atom.replace("<mo>", '<mo form="prefix">')  # tanh(−0.1), = −0.4: a sign, not a binary −
            if atom.startswith(FUNCTION) and (not items or items[-1].startswith("<mo")):
                atom = "<mrow><mi>" + atom[len(FUNCTION) :]  # = tanh(…): the operator before it spaces it already
            items.append(self.scripts(atom))

    def at_stop(self, stop: str) -> bool:
        s = self.s[self.i :]
        return (
            (s[0] == "}" and "}" in stop)
            or (s[0] == "&" and "&" in stop)
            or ("\\" in stop and s.startswith(("\\\\", "\\right", "\\end")))
        )

    def group(self) -> str:
        """One argument: {…} or a single token."""
        self.skip_spaces()
        if self.peek() == "{":
            self.i += 1
            items = self.sequence("}")
            self.i += 1
            return row(items) if items else "<mrow></mrow>"
        atom = self.atom()
        return atom if atom is not None else "<mrow></mrow>"

    def text_group(self) -> str:
        self.skip_spaces()
        if self.peek() != "{":
            return ""
        depth, start = 0, self.i
        while self.i < len(self.s):
            depth += {"{": 1, "}": -1}.get(self.s[self.i], 0)
            self.i += 1
            if depth == 0:
                break
        return self.s[start + 1 : self.i - 1]

    def scripts(self, base: str) -> str:
        sub = sup = None
        while True:
            self.skip_spaces()
            c = self.peek()
            if c == "_" and sub is None:
                self.i += 1
                sub = self.group()
            elif c == "^" and sup is None:
                self.i += 1
                sup = self.group()
            elif c == "'" and sup is None:  # f′: the prime glyph sits high already; as a superscript it shrinks
                primes = 0
                while self.peek() == "'":
                    primes += 1
                    self.i += 1
                base = f'<mrow>{base}<mo lspace="0" rspace="0">{"′" * primes}</mo></mrow>'
            else:
                break
        if sub is not None and sup is not None:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub is not None:
            return f"<msub>{base}{sub}</msub>"
        if sup is not None:
            return f"<msup>{base}{sup}</msup>"
        return base

    def atom(self) -> str | None:
        c = self.s[self.i]
        if c == "\\":
            self.i += 1
            return self.control(self.word())
        if c == "{":
            return self.group()
        self.i += 1
        if c.isdigit() or (c == "." and self.peek().isdigit()):
            start = self.i - 1
            while self.peek().isdigit() or (self.peek() == "." and self.s[self.i + 1 : self.i + 2].isdigit()):
                self.i += 1
            return f"<mn>{escape(self.s[start : self.i])}</mn>"
        if c.isalpha():
            return f"<mi>{escape(c)}</mi>"
        if c in "^_'}&":  # a script with no base, or a stray closer: shown as itself
            return mo(c)
        if c in "([":  # TeX does not stretch a plain bracket, and sets it without space
            return mo(c, form="prefix", stretchy="false")
        if c in ")]":
            return mo(c, form="postfix", stretchy="false")
        return mo({"-": "−", "*": "∗"}.get(c, c))

    def function(self, w: str) -> str:
        """\\ln, \\exp, \\max: an operator name, spaced as TeX spaces it (a thin space each side, none before a
        bracket): without it a browser sets −y·ln a as "−ylna". U+2061 (function application) joins it to its
        argument for screen readers."""
        self.skip_spaces()
        nxt = self.peek()
        if nxt in ("_", "^"):  # \max_k: the scripts attach to the name itself
            return f"<mi>{w}</mi>"
        after = "" if nxt in ("(", "[", "{", "") or self.s.startswith("\\left", self.i) else THIN
        return f"{FUNCTION}{w}</mi><mo>\u2061</mo>{after}</mrow>"

    def control(self, w: str) -> str | None:
        if w in IDENTIFIERS:
            return f"<mi>{IDENTIFIERS[w]}</mi>"
        if w in ("sum", "prod", "int"):
            return mo(OPERATORS[w], largeop="false", movablelimits="true")
        if w in OPERATORS:
            return mo(OPERATORS[w])
        if w in FUNCTIONS:
            return self.function(w)
        if w in SPACES:
            return f'<mspace width="{SPACES[w]}"></mspace>'
        if w in ("!", "textstyle", "displaystyle", "scriptstyle"):
            return None
        if w in ("frac", "tfrac", "dfrac"):
            num, den = self.group(), self.group()
            return f"<mfrac>{num}{den}</mfrac>"
        if w == "sqrt":
            return f"<msqrt>{self.group()}</msqrt>"
        if w in ACCENTS:
            return f'<mover accent="true">{self.group()}{mo(ACCENTS[w], stretchy="false")}</mover>'
        if w == "underline":
            return f'<mrow class="blank">{self.group()}</mrow>'
        if w in FONTS:
            return self.font(FONTS[w])
        if w == "text":  # spaces at the ends would collapse: no-break spaces keep "bias of h1" apart
            body = self.text_group()
            core = body.strip(" ")
            nbsp = "\u00a0"
            if not core:
                return f"<mtext>{nbsp * len(body)}</mtext>"
            lead, trail = len(body) - len(body.lstrip(" ")), len(body) - len(body.rstrip(" "))
            return f"<mtext>{nbsp * lead}{escape(core)}{nbsp * trail}</mtext>"
        if w == "left":
            return self.fenced()
        if w == "begin":
            return self.environment(self.text_group())
        if len(w) == 1 and not w.isalpha():  # \{ \} \_ \% \& \# \$ \|
            return mo(w)
        return f"<mtext>{escape(chr(92) + w)}</mtext>"  # not produced by tex.math: shown, never acted on

    def font(self, variant: str) -> str:
        self.skip_spaces()
        if self.peek() != "{":
            arg = self.group()
            return arg
        body = self.text_group()
        if variant == "double":
            return f"<mi>{escape(''.join(DOUBLE_STRUCK.get(ch, ch) for ch in body))}</mi>"
        plain = body.replace("\\_", "_").replace(" ", "")
        if plain and all(ch.isalnum() or ch == "_" for ch in plain):  # a name: net, out, relu, h2
            style = {"italic": ' class="it"', "bold": ' class="bf"'}.get(variant, "")
            return (
                f"<mi{style}>{escape(plain)}</mi>"
                if variant != "normal" or len(plain) > 1
                else f'<mi mathvariant="normal">{escape(plain)}</mi>'
            )
        return row(_Parser(body).sequence() or ["<mrow></mrow>"])

    def fenced(self) -> str:
        opening = self.delimiter()
        items = self.sequence("\\")
        closing = ""
        if self.s.startswith("\\right", self.i):
            self.i += len("\\right")
            closing = self.delimiter()
        inner = row(items) if items else ""  # its own row, so that a leading minus is a sign (prefix), not a binary −
        # Chromium sets a stretchy bracket with gaps inside it, "( −0.4 )": it stretches only around what is tall
        tall = {} if any(tag in inner for tag in TALL) else {"stretchy": "false"}
        return row(
            [
                mo(opening, fence="true", **tall) if opening else "",
                inner,
                mo(closing, fence="true", **tall) if closing else "",
            ]
        )

    def delimiter(self) -> str:
        self.skip_spaces()
        if self.peek() == "\\":
            self.i += 1
            w = self.word()
            return OPERATORS.get(w, w)
        c = self.peek()
        self.i += 1
        return "" if c == "." else c

    def environment(self, name: str) -> str:
        rows: list[list[str]] = [[]]
        while self.i < len(self.s):
            cell = self.sequence("&\\}")
            rows[-1].append(row(cell) if cell else "<mrow></mrow>")
            if self.s.startswith("&", self.i):
                self.i += 1
            elif self.s.startswith("\\\\", self.i):
                self.i += 2
                if self.s.startswith("{}", self.i):
                    self.i += 2
                rows.append([])
            elif self.s.startswith("\\end", self.i):
                self.i += len("\\end")
                self.text_group()
                break
            elif self.s.startswith("\\right", self.i) or self.peek() == "}":
                break
        left, right = FENCES.get(name, ("", ""))
        align = ' columnalign="left"' if name in ("cases", "aligned") else ""
        table = (
            "<mtable"
            + align
            + ">"
            + "".join("<mtr>" + "".join(f"<mtd>{c}</mtd>" for c in r) + "</mtr>" for r in rows if r)
            + "</mtable>"
        )
        return row([mo(left, stretchy="true") if left else "", table, mo(right, stretchy="true") if right else ""])


def mathml(t: str, display: bool = False) -> str:
    """A ``<math>`` element for the LaTeX side of a piece of math; ``display``: full-size fractions and sums, as in
    a displayed equation (still laid out in the line)."""
    body = _Parser(tex.math(t, mathjax=True)).sequence()
    attrs = ' displaystyle="true"' if display else ""
    return f"<math{attrs}>{row(body) if body else '<mrow></mrow>'}</math>"
