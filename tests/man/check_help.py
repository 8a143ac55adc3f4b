#!/usr/bin/env python3
"""A program's --help and its man page (scdoc source) say the same things.

usage: check_help.py PROGRAM PAGE.scd [PAGE.roff]

Programs with options: every option of --help is in the man page's OPTIONS
section and the other way round, each with the same argument; the exit
statuses that --help lists are the man page's EXIT STATUS entries.
Programs with a command grammar (a COMMANDS section, ioam-route): the
keywords and the placeholders of the usage text are those of the SYNOPSIS.
With PAGE.roff (scdoc's output), groff must render it without a warning.
"""
import re
import shutil
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)(\[=[^\]\s]*\])?")


def sections(scd):
    """{'OPTIONS': [lines], ...} for the level-1 headings of an scdoc page."""
    out, cur = {}, None
    for line in scd.splitlines():
        m = re.match(r"^# (.+)$", line)
        if m:
            cur = m.group(1).strip()
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return out


def plain(s):
    """scdoc markup off: *bold*, _underline_, ++ line breaks, escapes."""
    s = s.replace("++", "")
    s = re.sub(r"(?<!\\)[*_]", "", s)
    return s.replace("\\", "").strip()


def parse_term(term):
    """'-c, --collector [udp://|tcp://]ADDR:PORT' -> {'-c': arg, '--collector': arg}.

    The term is the option column of --help (or a man page's definition
    line): option names separated by commas, then at most one argument. An
    argument is told from the description that may follow after a single
    space by its form: it has capitals or one of | [ ] : / =.
    """
    names, rest = [], term.strip()
    while True:
        m = OPT.match(rest)
        if not m:
            break
        names.append(m.group(1) + (m.group(2) or ""))
        rest = rest[m.end():]
        if rest.startswith(","):
            rest = rest[1:].lstrip()
        else:
            break
    arg = ""
    words = rest.split()
    if words and re.search(r"[A-Z|\[\]:/=]", words[0]) and not words[0].endswith(("," , ".")):
        arg = words[0]
    opts = {}
    for n in names:
        base, _, inline = n.partition("[=")
        opts[base] = ("[=" + inline if inline else "") + arg
    return opts


def help_options(text):
    opts = {}
    for line in text.splitlines():
        if not re.match(r"^ {1,10}-", line):
            continue
        term = re.split(r" {2,}", line.strip(), maxsplit=1)[0]
        opts.update(parse_term(term))
    return opts


def man_options(sec):
    opts = {}
    for line in sec.get("OPTIONS", []):
        if line.startswith("\t") or not line.startswith("*-"):
            continue
        opts.update(parse_term(plain(line)))
    return opts


def exit_codes_help(text):
    m = re.search(r"Exit status:(.*?)(?:\n\n|\Z)", text, re.S | re.I)
    if not m:
        return None
    return {int(c) for c in re.findall(r"(?:^|;)\s*(\d+)\s", m.group(1))}


def exit_codes_man(sec):
    return {int(m.group(1)) for line in sec.get("EXIT STATUS", [])
            if (m := re.match(r"^\*(\d+)\*\s*$", line))}


def grammar(text):
    """Keywords (lower case) and placeholders (capitals) of a usage text."""
    words = re.findall(r"[A-Za-z][\w/-]*", text)
    kw = {w for w in words if re.fullmatch(r"[a-z][a-z0-9-]*", w)} - {"usage"}
    ph = {w for w in words if re.fullmatch(r"[A-Z][A-Z0-9_/]*", w)}
    return kw, ph


def man_grammar(sec):
    syn = "\n".join(sec.get("SYNOPSIS", []))
    kw = set()
    for b in re.findall(r"\*([^*\n]+)\*", syn):
        kw.update(b.split("|"))
    ph = set(re.findall(r"(?<![\w\\])_([A-Z][A-Z0-9_/]*?)_(?!\w)", syn))
    return kw, ph


def diff(what, a, b, errors):
    for k in sorted(set(a) - set(b)):
        errors.append(f"{what}: {k} is in --help but not in the man page")
    for k in sorted(set(b) - set(a)):
        errors.append(f"{what}: {k} is in the man page but not in --help")


def compare(text, rc, scd):
    sec = sections(scd)
    errors = []
    if "COMMANDS" in sec:
        hk, hp = grammar(text)
        mk, mp = man_grammar(sec)
        diff("keyword", hk, mk, errors)
        diff("placeholder", hp, mp, errors)
        checked = f"{len(hk)} keywords, {len(hp)} placeholders"
    else:
        if rc != 0:
            errors.append(f"--help exited with {rc}")
        h, m = help_options(text), man_options(sec)
        if not h:
            errors.append("no option found in --help (has its layout changed?)")
        diff("option", h, m, errors)
        for k in sorted(set(h) & set(m)):
            if h[k] != m[k]:
                errors.append(f"option {k}: argument {h[k]!r} in --help, {m[k]!r} in the man page")
        checked = f"{len(h)} options"
        hc = exit_codes_help(text)
        if hc is not None:
            mc = exit_codes_man(sec)
            diff("exit status", {str(c) for c in hc}, {str(c) for c in mc}, errors)
            checked += f", exit statuses {sorted(hc)}"
    return errors, checked


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    prog, page = sys.argv[1], sys.argv[2]
    run = subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=10)
    text = run.stdout or run.stderr
    if not text.strip():
        print(f"{prog} --help printed nothing (exit {run.returncode})")
        return 1
    with open(page) as f:
        scd = f.read()
    errors, checked = compare(text, run.returncode, scd)
    # Control: the same comparison must notice a page with its first option
    # (or keyword) taken out, so a parser gone blind cannot pass.
    first = r"^\*[\w-]+\* \*[\w-]+\*" if "COMMANDS" in sections(scd) else r"^\*-.*$"
    mutated = re.sub(first, "", scd, count=1, flags=re.M)
    if mutated == scd or not compare(text, run.returncode, mutated)[0]:
        errors.append("control: a page with its first option removed was not told apart")
    sec = sections(scd)
    for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
        if s not in sec:
            errors.append(f"the man page has no {s} section")
    if len(sys.argv) == 4:
        groff = shutil.which("groff")
        if groff:
            r = subprocess.run([groff, "-man", "-ww", "-z", "-Tutf8", sys.argv[3]],
                               capture_output=True, text=True, timeout=30)
            if r.returncode or r.stderr.strip():
                errors.append(f"groff warns on {sys.argv[3]}: {r.stderr.strip()}")
    for e in errors:
        print(f"{page}: {e}")
    if errors:
        return 1
    print(f"{page}: --help and the man page agree ({checked})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
