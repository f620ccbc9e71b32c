"""TeX that cannot do anything but typeset: the math of a page made safe for pdflatex, MathJax and KaTeX.

The LaTeX side of each :class:`~backprop_cli.render.mathtext.M` is written by this
program, but it holds names from the problem file (a layer named
``x\\input{/etc/hostname}`` becomes part of ``\\mathrm{net}_{...}``). TeX would
read a file, run a command under ``-shell-escape`` (``\\write18``), or redefine
itself. :func:`math` reads the TeX as tokens and keeps only what typesets:

- a control word is kept when it is on :data:`WORDS` (symbols, fonts, fractions:
  nothing that reads, writes, defines or expands); any other is shown as
  ``\\backslash`` and its letters;
- ``^^5c`` (TeX's way of writing a backslash as three other characters) cannot
  form: every ``^`` is followed by its argument or by ``{}``;
- ``%``, ``#``, ``$`` and (outside a cases environment) ``&`` are escaped;
  braces are balanced; a second superscript or subscript gets an empty base;
- control characters and line breaks become spaces; other non-ASCII characters
  become their TeX name (σ -> \\sigma) or, for pdflatex, ``\\text{é}`` or ``?``;
- for MathJax in a browser (``mathjax=True``), ``< > [ ] |`` are written ``\\lt`` …, so that no tag, link
  or table cell forms where Markdown is read without math.

:func:`text` does the same for free text (titles, notes) outside math.
"""

from __future__ import annotations

from functools import lru_cache

from .escape import printable

WORDS = frozenset(
    """
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho varrho
sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
frac tfrac dfrac sqrt partial nabla hat bar tilde vec dot ddot prime infty ell
sum prod int lim ln log exp max min sin cos tan tanh sinh cosh arg sup inf det
cdot odot otimes oplus times div pm mp circ bullet ast star setminus
le ge leq geq ne neq lt gt approx sim simeq equiv propto in notin subset subseteq mid vert lvert rvert
to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow mapsto uparrow downarrow
left right langle rangle lfloor rfloor lceil rceil backslash
cdots ldots dots vdots ddots quad qquad
mathrm mathit mathbf mathsf mathtt mathcal mathbb boldsymbol operatorname textstyle displaystyle scriptstyle
underline overline text begin end wedge vee neg forall exists emptyset
""".split()
)
ARGUMENTS = {
    "frac": 2,
    "tfrac": 2,
    "dfrac": 2,
    **dict.fromkeys(
        "sqrt hat bar tilde vec dot ddot mathrm mathit mathbf mathsf mathtt mathcal mathbb boldsymbol operatorname "
        "underline overline".split(),
        1,
    ),
}
"""Words that take arguments: kept only when their arguments follow (a brace group or one letter or digit)."""
COLUMNS = {"cases": 2, "matrix": 10, "bmatrix": 10, "pmatrix": 10, "vmatrix": 10, "aligned": 2}
"""Environments kept, and how many columns each takes (amsmath's matrices: 10 at most)."""
ENVIRONMENTS = frozenset(COLUMNS)
SYMBOLS = frozenset(",;:! {}_%&#$|")  # control symbols kept: \, \; \{ …
DELIMITERS = frozenset("()[].|/")
ESCAPED = {"%": r"\%", "#": r"\#", "$": r"\$", "~": r"\sim{}"}
SHOWN_BACKSLASH = r"\backslash{}"
MATHJAX_ASCII = {"<": r"\lt ", ">": r"\gt ", "[": r"\lbrack ", "]": r"\rbrack ", "|": r"\vert ", "`": r"\backprime "}
"""For MathJax and KaTeX in a browser, which a Markdown reader without math support sees as text."""

# Unicode in math, written as TeX (the rest of the page's math is ASCII already).
UNICODE_MATH = {
    "σ": r"\sigma",
    "δ": r"\delta",
    "∂": r"\partial",
    "η": r"\eta",
    "μ": r"\mu",
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "λ": r"\lambda",
    "θ": r"\theta",
    "ε": r"\varepsilon",
    "π": r"\pi",
    "ω": r"\omega",
    "φ": r"\phi",
    "Σ": r"\Sigma",
    "Δ": r"\Delta",
    "∇": r"\nabla",
    "⊙": r"\odot",
    "·": r"\cdot",
    "×": r"\times",
    "−": "-",
    "→": r"\to",
    "←": r"\leftarrow",
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\ne",
    "≈": r"\approx",
    "′": "'",
    "…": r"\ldots",
    "⋯": r"\cdots",
    "⋮": r"\vdots",
    "⋱": r"\ddots",
    "∞": r"\infty",
    "±": r"\pm",
}
# Free text: characters pdflatex (utf8 inputenc, OT1) can set, as LaTeX.
TEXT_CHARS = {
    **{k: f"${v}$" for k, v in UNICODE_MATH.items() if k not in "−′…"},
    "−": "$-$",  # a minus sign in prose (−η), never a hyphen
    "′": "'",
    "…": r"\ldots{}",
    "ŷ": r"$\hat y$",
    "Ŷ": r"$\hat Y$",
    "ᵀ": r"$^T$",
    "½": r"$\frac12$",
    "²": r"$^2$",
    "⁺": r"$^+$",
    "ₖ": r"$_k$",
    "ₙ": r"$_n$",
    "ⱼ": r"$_j$",
    "⁽": r"$^($",
    "⁾": r"$^)$",
    "“": "``",
    "”": "''",
    "‘": "`",
    "’": "'",
    "–": "--",
    "—": "---",
    "═": "",
    "\u00a0": "~",
    "§": r"\S{}",
}
SUPERSCRIPT_DIGITS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789", strict=True))
SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
    "|": r"$\vert$",
    '"': "''",
}


def latin(ch: str) -> bool:
    """A letter pdflatex's utf8 input encoding knows (Latin-1 and Latin Extended-A)."""
    return ch.isalpha() and 0xC0 <= ord(ch) < 0x180 and ch not in "×÷"


def text(s: str) -> str:
    """Free text as LaTeX: specials escaped, known Unicode as math, anything pdflatex cannot set as '?'."""
    out = []
    for ch in printable(s):
        if ch in SPECIAL:
            out.append(SPECIAL[ch])
        elif ch in TEXT_CHARS:
            out.append(TEXT_CHARS[ch])
        elif ch in SUPERSCRIPT_DIGITS:
            out.append(f"$^{SUPERSCRIPT_DIGITS[ch]}$")
        elif " " <= ch <= "~" or latin(ch):
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


class _Math:
    """One pass over TeX tokens, writing the safe form (see the module docstring).

    ``open`` is the stack of what is open here: ``"{"`` a group, ``"^{"`` a
    script's argument, ``"left"`` a \\left delimiter, or an environment's name.
    Whatever is still open at the end (or inside a closing brace) is closed.
    """

    def __init__(self, src: str, mathjax: bool):
        self.src, self.i, self.mathjax = printable(src), 0, mathjax
        self.out: list[str] = []
        self.open: list[str] = []
        self.saved: list[str] = []  # per open thing: the scripts its outer base had
        self.tabs: list[int] = []  # per open thing: the &s in its current row (environments)
        self.scripts = ""  # the scripts the current base already has ("^", "_", "^_")
        self.pending = False  # a ^ or _ waiting for its argument

    def run(self) -> str:
        while self.i < len(self.src):
            self.token()
        self.settle()
        while self.open:
            self.close()
        return "".join(self.out)

    def settle(self) -> None:
        """A ^ or _ still waiting for its argument gets an empty one."""
        if self.pending:
            self.out.append("{}")
            self.pending = False

    def close(self) -> str:
        """Close the innermost open thing, whatever it is."""
        self.settle()
        top, saved = self.open.pop(), self.saved.pop()
        self.tabs.pop()
        self.out.append("}" if top in ("{", "^{") else r"\right." if top == "left" else rf"\end{{{top}}}")
        self.scripts = saved if top == "^{" else ""  # a closed group is a new base; a script's, not
        return top

    def push(self, kind: str) -> None:
        self.open.append(kind)
        self.saved.append(self.scripts)
        self.tabs.append(0)
        self.scripts = ""

    def atom(self, s: str) -> None:
        """Write one token that is a base or a script's argument (braced, unless it is one character)."""
        self.out.append("{" + s + "}" if self.pending and len(s) > 1 else s)
        if self.pending:
            self.pending = False
        else:
            self.scripts = ""

    def token(self) -> None:
        ch = self.src[self.i]
        self.i += 1
        if ch == "\\":
            self.control()
        elif ch in "^_":
            self.settle()
            if ch in self.scripts:  # x^a^b: the second gets an empty base of its own
                self.out.append("{}")
                self.scripts = ""
            self.out.append(ch)
            self.scripts += ch
            self.pending = True
        elif ch == "{":
            self.push("^{" if self.pending else "{")
            self.pending = False
            self.out.append("{")
        elif ch == "}":
            if "{" not in self.open and "^{" not in self.open:
                self.atom(r"\}")
                return
            while self.close() not in ("{", "^{"):
                pass
        elif ch == "'":  # a prime is a superscript: never a script's argument, never a second superscript
            self.settle()
            if "^" in self.scripts:
                self.out.append("{}")
                self.scripts = ""
            self.out.append("'")
            self.scripts += "^"
        elif ch == "&" and self.in_environment() and self.tabs[-1] < COLUMNS[self.open[-1]] - 1:
            self.settle()
            self.out.append("&")
            self.tabs[-1] += 1
            self.scripts = ""
        elif ch == "&":
            self.atom(r"\&")
        elif ch in ESCAPED:
            self.atom(ESCAPED[ch])
        elif ch == " ":
            self.out.append(" ")
        elif ch in MATHJAX_ASCII and self.mathjax:  # for a browser: no tag, link or table cell can form
            self.atom(MATHJAX_ASCII[ch])
        elif ch.isascii():
            self.atom(ch)
        elif ch in UNICODE_MATH:
            self.atom(UNICODE_MATH[ch] + " ")
        else:
            self.atom(ch if self.mathjax else rf"\text{{{ch}}}" if latin(ch) else "?")

    def in_environment(self) -> bool:
        return bool(self.open) and self.open[-1] in ENVIRONMENTS

    def control(self) -> None:
        src, start = self.src, self.i
        if start >= len(src) or not (src[start].isascii() and src[start].isalpha()):
            sym = src[start] if start < len(src) else ""
            if sym and sym in SYMBOLS:
                self.i += 1
                self.atom("\\" + sym)
            elif sym == "\\" and self.in_environment():
                self.i += 1
                self.settle()
                self.out.append(r"\\{}")  # {}: a [ after it is not read as a length
                self.tabs[-1] = 0
                self.scripts = ""
            else:  # the character after it is read again, as itself
                self.atom(SHOWN_BACKSLASH)
            return
        end = start
        while end < len(src) and src[end].isascii() and src[end].isalpha():
            end += 1
        word = src[start:end]
        self.i = end
        if word not in WORDS or not self.arguments_follow(ARGUMENTS.get(word, 0)):
            self.atom(SHOWN_BACKSLASH + word)
        elif word in ("begin", "end"):
            self.environment(word)
        elif word == "text":
            body = self.braced()
            self.atom(r"\text{" + (text_arg(body, self.mathjax) if body else "") + "}")
        elif word in ("left", "right"):
            self.delimiter(word)
        else:
            if ARGUMENTS.get(word):  # x^\frac{1}{2}: the fraction is a base of its own, never a bare argument
                self.settle()
            self.atom("\\" + word)

    def environment(self, word: str) -> None:
        name = self.braced()
        if name in ENVIRONMENTS and word == "begin":
            self.settle()
            self.out.append(rf"\begin{{{name}}}")
            self.push(name)
        elif name in ENVIRONMENTS and name in self.open:
            while self.close() != name:
                pass
        elif name not in ENVIRONMENTS:
            self.atom(SHOWN_BACKSLASH + word + (text_in_math(f"{{{name}}}", self.mathjax) if name is not None else ""))

    def delimiter(self, word: str) -> None:
        src, i = self.src, self.i
        while i < len(src) and src[i] == " ":
            i += 1
        size = 1 if i < len(src) and src[i] in DELIMITERS else 2 if src.startswith(("\\{", "\\}", "\\|"), i) else 0
        if not size or (word == "right" and (not self.open or self.open[-1] != "left")):
            self.atom(SHOWN_BACKSLASH + word)
            return
        self.i = i + size
        self.settle()
        if word == "left":
            self.out.append(rf"\left{self.delimiter_tex(src[i : i + size])}")
            self.push("left")
        else:
            self.open.pop()
            self.saved.pop()
            self.tabs.pop()
            self.atom(rf"\right{self.delimiter_tex(src[i : i + size])}")

    def delimiter_tex(self, d: str) -> str:
        return MATHJAX_ASCII.get(d, d) if self.mathjax else d

    def arguments_follow(self, n: int) -> bool:
        """Are the next ``n`` things brace groups that close, or single letters or digits?"""
        src, i = self.src, self.i
        for _ in range(n):
            while i < len(src) and src[i] == " ":
                i += 1
            if i < len(src) and src[i].isascii() and src[i].isalnum():
                i += 1
                continue
            if i >= len(src) or src[i] != "{":
                return False
            depth = 0
            while i < len(src):
                depth += {"{": 1, "}": -1}.get(src[i], 0)
                i += 1
                if depth == 0:
                    break
            if depth:
                return False
        return True

    def braced(self) -> str | None:
        """The text of a {…} group right here (nested braces included), consumed; None if there is none."""
        src, i = self.src, self.i
        while i < len(src) and src[i] == " ":
            i += 1
        if i >= len(src) or src[i] != "{":
            return None
        depth, j = 0, i
        while j < len(src):
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            if depth == 0:
                break
            j += 1
        self.i = j + 1
        return src[i + 1 : j]


TEXT_ARG_LITERAL = str.maketrans(
    {"\\": "∖", "{": "(", "}": ")", "$": "＄", "<": "‹", "&": "＆", "|": "│", "[": "［", "]": "］"}
)


def text_arg(body: str, mathjax: bool) -> str:
    """The argument of \\text{…}: LaTeX text for pdflatex; for MathJax/KaTeX, which take it literally, the
    characters they (or a browser) would act on are shown as look-alikes."""
    return printable(body).translate(TEXT_ARG_LITERAL) if mathjax else text(body)


def text_in_math(s: str, mathjax: bool = False) -> str:
    return r"\text{" + text_arg(s, mathjax) + "}"


@lru_cache(maxsize=65536)
def math(t: str, mathjax: bool = False) -> str:
    """TeX math that only typesets. ``mathjax``: for MathJax or KaTeX in a browser (non-ASCII
    kept, ``< > [ ] |`` as \\lt …), not for pdflatex."""
    if (
        t.isascii()
        and "\\" not in t
        and "^" not in t
        and "_" not in t
        and not set("{}%#$&~<>[]|").intersection(t)
        and t.isprintable()
    ):
        return t  # plain numbers and letters: nothing to do
    return _Math(t, mathjax).run()


def cell(v: str) -> str:
    """A formatted number (or an elision mark) as TeX: 8.771e-3 -> 8.771 \\times 10^{-3}."""
    if v in ("⋯", "⋮", "⋱"):
        return {"⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots"}[v]
    if "e" in v:
        mantissa, exp = v.split("e")
        return rf"{mantissa} \times 10^{{{int(exp)}}}"
    return math(v)
