#!/usr/bin/env python3
"""gen_cli_docs.py -- trueup(1) and its bash completion, made from --help.

The command's own `--help` text (cli/args.c, tu_cli_usage) is the one
source of its options: the build runs the built `trueup --help` through
this script, so the man page and the completion cannot disagree with it.

    gen_cli_docs.py man TRUEUP VERSION > trueup.1
    gen_cli_docs.py bash TRUEUP > trueup.bash      (bash-completion)
    gen_cli_docs.py options TRUEUP                 (one long option a line)

The help text's layout is read as it is written: the usage lines, a
paragraph of description, "Options:" with one option per entry ("  -c,
--concurrency N  text", continued on lines indented to the text), then
paragraphs ("Example: ...", "Exit status: ...", secrets, docs). A help
text this script cannot read is an error, never a silent partial page.
"""

import re
import subprocess
import sys

OPTION = re.compile(r"^  (?:-(\w), )?\s*--([\w-]+)(?: ([A-Z][A-Z/=.]*))?"
                    r"(?:\s+(.*))?$")
CONTINUED = re.compile(r"^ {20,}(\S.*)$")
# What the completion offers after an option, by its argument's name.
VALUES = {"FORMAT": "json text markdown"}
FILE_ARGS = {"FILE", "PLANFILE"}


def help_text(trueup):
    out = subprocess.run([trueup, "--help"], capture_output=True, text=True,
                         check=True).stdout
    if not out.startswith("Usage: "):
        sys.exit("gen_cli_docs: %s --help does not start with 'Usage: '"
                 % trueup)
    return out


def parse(text):
    """(usage lines, description, options, paragraphs after them); each
    option is (short or None, long, argument or None, text)."""
    blocks = text.rstrip("\n").split("\n\n")
    usage = [line.split(":", 1)[1].strip() if line.startswith("Usage:")
             else line.strip() for line in blocks[0].splitlines()]
    description = " ".join(blocks[1].split())
    try:
        start = next(i for i, b in enumerate(blocks) if b.startswith("Options:"))
    except StopIteration:
        sys.exit("gen_cli_docs: no 'Options:' block in --help")
    options = []
    for line in blocks[start].splitlines()[1:]:
        m, c = OPTION.match(line), CONTINUED.match(line)
        if m:
            options.append([m.group(1), m.group(2), m.group(3),
                            m.group(4) or ""])
        elif c and options:
            options[-1][3] = (options[-1][3] + " " + c.group(1)).strip()
        else:
            sys.exit("gen_cli_docs: cannot read this --help line: %r" % line)
    if not options:
        sys.exit("gen_cli_docs: no options under 'Options:'")
    return usage, description, options, blocks[start + 1:]


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in ".'" else text


def man(text, version):
    usage, description, options, rest = parse(text)
    out = ['.TH TRUEUP 1 "" "trueup %s" "User Commands"' % version,
           ".SH NAME", "trueup \\- bulk, idempotent reconciliation of an "
           "API with a desired state", ".SH SYNOPSIS"]
    for u in usage:
        out += [".br" if out[-1] != ".SH SYNOPSIS" else "",
                ".B trueup", roff(u[len("trueup "):])]
    out = [line for line in out if line != ""]
    out += [".SH DESCRIPTION", roff(description), ".SH OPTIONS"]
    for short, long_, arg, desc in options:
        names = ("\\fB\\-%s\\fR, " % short if short else "") + \
            "\\fB\\-\\-%s\\fR" % long_ + (" \\fI%s\\fR" % arg if arg else "")
        out += [".TP", names, roff(desc)]
    for block in rest:
        head, _, body = block.partition(":")
        title = {"Example": "EXAMPLES", "Exit status": "EXIT STATUS",
                 "Docs": "SEE ALSO"}.get(head.strip())
        if title is None:
            out += [".SH ENVIRONMENT" if "environment" in block else ".PP",
                    roff(" ".join(block.split()))]
            continue
        out.append(".SH " + title)
        lines = [x.strip() for x in body.strip().splitlines()]
        if title == "EXAMPLES":
            out += [roff(lines[0]) if lines else "", ".PP", ".nf",
                    *[roff(x) for x in lines[1:]], ".fi"]
        else:
            text = " ".join(lines)
            if title == "SEE ALSO":      # the page itself is not "see also"
                text = text.replace("trueup(1), ", "")
            out.append(roff(text))
    return "\n".join(x for x in out if x != "") + "\n"


def bash(text):
    _, _, options, _ = parse(text)
    words = ["--" + o[1] for o in options] + ["-" + o[0] for o in options
                                              if o[0]]
    cases = []
    for short, long_, arg, _ in options:
        if not arg:
            continue
        pats = "--%s" % long_ + ("|-%s" % short if short else "")
        if arg in VALUES:
            action = 'COMPREPLY=($(compgen -W "%s" -- "$cur"))' % VALUES[arg]
        elif arg in FILE_ARGS:
            action = 'COMPREPLY=($(compgen -f -- "$cur"))'
        else:
            action = "COMPREPLY=()"
        cases.append("        %s) %s; return ;;" % (pats, action))
    return """# bash completion for trueup(1), made from `trueup --help` by
# cli/gen_cli_docs.py: do not edit.
_trueup()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
%s
    esac
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "plan apply export watch --help --version" -- "$cur"))
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "%s" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _trueup trueup
""" % ("\n".join(cases), " ".join(words))


def main(argv):
    if len(argv) < 3 or argv[1] not in ("man", "bash", "options"):
        sys.exit("usage: gen_cli_docs.py man|bash|options TRUEUP [VERSION]")
    text = help_text(argv[2])
    if argv[1] == "man":
        sys.stdout.write(man(text, argv[3] if len(argv) > 3 else ""))
    elif argv[1] == "bash":
        sys.stdout.write(bash(text))
    else:
        sys.stdout.write("".join("--%s\n" % o[1] for o in parse(text)[2]))


if __name__ == "__main__":
    main(sys.argv)
