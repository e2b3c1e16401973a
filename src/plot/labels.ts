/** Unicode replacements for the LaTeX commands that occur in model and top-right labels. */
const SYMBOLS: Readonly<Record<string, string>> = {
  circledast: "⊛",
  otimes: "⊗",
  oplus: "⊕",
  rightarrow: "→",
  to: "→",
  leftarrow: "←",
  leftrightarrow: "↔",
  Rightarrow: "⇒",
  times: "×",
  cdot: "·",
  pm: "±",
  mp: "∓",
  approx: "≈",
  sim: "∼",
  neq: "≠",
  ne: "≠",
  leq: "≤",
  le: "≤",
  geq: "≥",
  ge: "≥",
  ll: "≪",
  gg: "≫",
  infty: "∞",
  degree: "°",
  prime: "′",
  ell: "ℓ",
  hbar: "ℏ",
  partial: "∂",
  nabla: "∇",
  sum: "∑",
  int: "∫",
  alpha: "α",
  beta: "β",
  gamma: "γ",
  delta: "δ",
  epsilon: "ε",
  varepsilon: "ε",
  zeta: "ζ",
  eta: "η",
  theta: "θ",
  kappa: "κ",
  lambda: "λ",
  mu: "μ",
  nu: "ν",
  xi: "ξ",
  pi: "π",
  rho: "ρ",
  sigma: "σ",
  tau: "τ",
  phi: "φ",
  varphi: "φ",
  chi: "χ",
  psi: "ψ",
  omega: "ω",
  Gamma: "Γ",
  Delta: "Δ",
  Theta: "Θ",
  Lambda: "Λ",
  Pi: "Π",
  Sigma: "Σ",
  Phi: "Φ",
  Psi: "Ψ",
  Omega: "Ω",
  ",": " ",
  ";": " ",
  ":": " ",
  " ": " ",
  "!": "",
  quad: " ",
  qquad: "  ",
};

/** Commands whose single argument is emitted as-is (font switches that Plotly cannot express). */
const PASS_THROUGH = new Set(["mathrm", "text", "textrm", "textnormal", "mathsf", "operatorname", "mathcal"]);

/** Recursive-descent converter for the body of one `$...$` math segment. */
class MathConverter {
  private pos = 0;

  constructor(private readonly src: string) {}

  /** Converts the whole segment, dropping unbalanced closing braces. */
  convert(): string {
    let out = "";
    while (this.pos < this.src.length) out += this.group();
    return out;
  }

  /** Converts everything up to the closing `}` of the current group (or the end of the input). */
  private group(): string {
    let out = "";
    while (this.pos < this.src.length) {
      const ch = this.src.charAt(this.pos);
      if (ch === "}") {
        this.pos++;
        return out;
      }
      out += this.token();
    }
    return out;
  }

  /** Converts one token: a command, a script, a braced group or a plain character. */
  private token(): string {
    const ch = this.src.charAt(this.pos++);
    switch (ch) {
      case "\\":
        return this.command();
      case "{":
        return this.group();
      case "^":
        return `<sup>${this.argument()}</sup>`;
      case "_":
        return `<sub>${this.argument()}</sub>`;
      case "~":
        return " ";
      default:
        return ch;
    }
  }

  /** Converts the argument of a command or script: a braced group or a single token. */
  private argument(): string {
    while (this.src.charAt(this.pos) === " ") this.pos++;
    return this.pos < this.src.length ? this.token() : "";
  }

  /** Converts the command whose backslash was just consumed. */
  private command(): string {
    const name = /^(?:[A-Za-z]+|.)/s.exec(this.src.slice(this.pos))?.[0] ?? "";
    this.pos += name.length;
    if (name === "sqrt") {
      if (this.src.charAt(this.pos) === "[")
        this.pos = Math.max(this.src.indexOf("]", this.pos) + 1, this.pos);
      return `√${parenthesize(this.argument())}`;
    }
    if (name === "frac") {
      const num = this.argument();
      return `${parenthesize(num)}/${parenthesize(this.argument())}`;
    }
    if (name === "mathbf" || name === "boldsymbol") return `<b>${this.argument()}</b>`;
    if (name === "mathit" || name === "textit") return `<i>${this.argument()}</i>`;
    if (PASS_THROUGH.has(name)) return this.argument();
    return SYMBOLS[name] ?? name;
  }
}

/** Wraps compound expressions in parentheses, e.g. for `\sqrt{a+b}` → `√(a+b)`. */
function parenthesize(expr: string): string {
  return /[\s+\-*/=]/.test(expr) ? `(${expr})` : expr;
}

/** Escapes the characters that Plotly's pseudo-HTML would otherwise interpret. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Placeholder for an escaped `\$` while the text is split at its math delimiters. */
const DOLLAR = "\u0000";

/**
 * Converts the simple LaTeX found in model labels / top-right labels into plain Unicode with Plotly's
 * `<sup>`/`<sub>` tags, e.g. `"$\\sqrt{s}=13.6$ TeV"` → `"√s=13.6 TeV"`. Only `$...$` segments are
 * converted; the rest is kept verbatim. `&`, `<` and `>` of the input are HTML-escaped first so that
 * Plotly renders them literally.
 */
export function latexToPlotly(text: string): string {
  const parts = escapeHtml(text).replaceAll("\\$", DOLLAR).split("$");
  // With an odd number of `$` the last one is unmatched: what follows it stays plain text.
  const lastMath = parts.length % 2 === 1 ? parts.length - 1 : parts.length - 2;
  return parts
    .map((part, i) => (i % 2 === 1 && i <= lastMath ? new MathConverter(part).convert() : part))
    .join("")
    .replaceAll(DOLLAR, "$");
}
