#!/usr/bin/env python3
"""check_layers.py -- the direction of the layers, and no circles.

Reads every #include "..." of the library and its front ends, and the
symbols of the library's object files, and fails (exit 1, one line per
problem) when:

  1. a file includes a layer it may not: the layers point one way, front
     ends (cli/, modules/, python/) -> include/trueup/ -> engine/ ->
     state/ -> util/ (docs/internals/layers.md); front ends may also
     include util/, python/ only the public API;
  2. the files of one layer include each other in a circle: a file and its
     header are one unit ("engine/plan" is plan.c with plan.h), and unit A
     depends on unit B when A includes B's header;
  3. the files of the library call each other in a circle: file A depends
     on file B when A's object uses a symbol (a function or a variable)
     that B's object defines (read with nm).

A circle means none of its files can be read, tested or replaced without
the others; docs/internals/layers.md says how each was undone.

Usage: check_layers.py [--objects LIST]... [SOURCE_DIR]
  SOURCE_DIR  the repository root (default: the one holding this script)
  LIST        a file naming the library's object files, one a line (what
              tests/CMakeLists.txt writes from $<TARGET_OBJECTS>), or a
              directory of them (BUILD/CMakeFiles/trueup-core-objects.dir,
              stale objects included). Each file is named by its path
              under the target's directory less ".c.o" ("engine/job").
              Without --objects only the includes are checked.
"""

import argparse
import os
import re
import subprocess
import sys

# What each directory may include, beside itself and system headers.
ALLOWED = {
    "util": {"util", "include/trueup"},
    "state": {"util", "include/trueup"},
    "engine": {"state", "util", "include/trueup"},
    "engine/providers": {"engine", "state", "util", "include/trueup"},
    "include/trueup": set(),
    "cli": {"include/trueup", "util"},
    "modules": {"include/trueup", "util"},
    "python": {"include/trueup"},
}
# A layer that is one with another for circles (providers sit in engine).
UNIT_LAYER = {"engine/providers": "engine"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# nm -P: the kinds of a symbol an object defines (text, data, bss,
# read-only, common; weak ones too) and the kind of one it uses.
DEFINED = set("TDBRCVW")
USED = set("Uw")


# ---- includes ---------------------------------------------------------------

def sources(root):
    for layer in ALLOWED:
        d = os.path.join(root, layer)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield layer, name


def resolve(root, layer, inc):
    """The layer and file an include names, or None for one outside."""
    if inc.startswith("trueup/"):
        return "include/trueup", inc[len("trueup/"):]
    head, _, rest = inc.rpartition("/")
    if head and head in ALLOWED:
        return head, rest
    if not head and os.path.exists(os.path.join(root, layer, inc)):
        return layer, inc
    return None


def unit(layer, name):
    return "%s/%s" % (UNIT_LAYER.get(layer, layer), os.path.splitext(name)[0])


def scan_includes(root):
    """The problems of direction, and the graph of includes in a layer."""
    problems, graph = [], {}
    for layer, name in sources(root):
        with open(os.path.join(root, layer, name), encoding="utf-8") as f:
            text = f.read()
        me = unit(layer, name)
        graph.setdefault(me, {})
        for inc in INCLUDE.findall(text):
            target = resolve(root, layer, inc)
            if target is None:
                continue
            tlayer, tname = target
            if tlayer != layer and tlayer not in ALLOWED[layer]:
                problems.append("%s/%s includes \"%s\": %s/ may include only "
                                "%s" % (layer, name, inc, layer, ", ".join(
                                    sorted(ALLOWED[layer])) or "itself"))
            other = unit(tlayer, tname)
            if other != me and other.rsplit("/", 1)[0] == me.rsplit("/", 1)[0]:
                graph[me].setdefault(other, "%s includes %s" % (name, inc))
    return problems, graph


# ---- calls ------------------------------------------------------------------

def object_name(path, base=None):
    """A file's name from its object's path: the path under the CMake
    target's directory (.../CMakeFiles/T.dir/engine/job.c.o: "engine/job"),
    or under `base`."""
    m = re.search(r"/CMakeFiles/[^/]+\.dir/(.+)$", os.path.abspath(path))
    rel = os.path.relpath(path, base) if base else m.group(1) if m else path
    return re.sub(r"\.c\.o$|\.o$", "", rel)


def objects(sources):
    """(file name, path) of each object file: `sources` are directories
    (every .o under them) or files listing one object's path a line (as
    CMake's $<TARGET_OBJECTS> gives them: no stale object of a file that is
    gone)."""
    for src in sources:
        if os.path.isfile(src):
            with open(src, encoding="utf-8") as f:
                for path in f.read().splitlines():
                    if path.strip():
                        yield object_name(path.strip()), path.strip()
            continue
        for base, _, names in os.walk(src):
            for name in sorted(names):
                if name.endswith(".o"):
                    path = os.path.join(base, name)
                    yield object_name(path, src), path


def symbols(paths):
    """For each object (by path): the symbols it defines (name -> "calls"
    for code, "uses" for data) and the set of those it uses. One nm for
    them all (-A: each line starts with the object's path and ": ")."""
    run = subprocess.run(["nm", "-P", "-A"] + list(paths),
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("check_layers: nm failed (is the library built?): " +
                 run.stderr.strip())
    out = run.stdout
    table = {path: ({}, set()) for path in paths}
    for line in out.splitlines():
        path, _, rest = line.rpartition(": ")
        parts = rest.split()
        if path not in table or len(parts) < 2:
            continue
        defined, used = table[path]
        if parts[1] in DEFINED:
            defined[parts[0]] = "calls" if parts[1] == "T" else "uses"
        elif parts[1] in USED:
            used.add(parts[0])
    return table


def scan_calls(sources):
    """The graph of calls between files: A -> B, with why ("calls tu_x")
    for the first of B's symbols that A uses. Only symbols that one of our
    objects alone defines count: the C library's, libcurl's and a
    sanitizer's are left out."""
    names = dict((path, name) for name, path in objects(sources))
    table = {names[path]: syms
             for path, syms in symbols(sorted(names)).items()}
    owner, twice = {}, set()
    for name, (defined, _) in table.items():
        for sym in defined:
            if sym in owner:
                twice.add(sym)
            owner[sym] = name
    graph = {}
    for name, (_, used) in sorted(table.items()):
        edges = graph.setdefault(name, {})
        for sym in sorted(used):
            other = owner.get(sym)
            if other and other != name and sym not in twice:
                edges.setdefault(other, "%s %s" % (
                    table[other][0][sym], sym))
    return graph


# ---- circles ----------------------------------------------------------------

def components(graph):
    """Each strongly connected component of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(set(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def cycle(graph, comp):
    """One circle through the component's first node: a shortest path
    back to it, breadth first, inside the component."""
    start = min(comp)
    back, todo = {}, [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v]):
            if w not in comp:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(back[path[-1]])
                return [start] + path[::-1][1:] + [start]
            if w not in back:
                back[w] = v
                todo.append(w)
    return [start, start]


def short(node, what):
    """How a step names a file: job.c for calls, job for includes."""
    name = node.rsplit("/", 1)[1]
    return name + ".c" if what == "calls" else name


def describe(graph, comp, what):
    """check_layers' line for one circle: its path, and why each step."""
    path = cycle(graph, comp)
    steps = []
    for a, b in zip(path, path[1:]):
        why = graph[a][b]
        if what == "calls":
            why = "%s %s in %s" % (short(a, what), why, short(b, what))
        steps.append(why)
    line = "a circle of %s: %s (%s)" % (what, " -> ".join(path),
                                         "; ".join(steps))
    extra = sorted(comp - set(path))
    if extra:
        line += "; the circle also takes in %s" % ", ".join(extra)
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", action="append", default=[])
    ap.add_argument("root", nargs="?", default=os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    args = ap.parse_args()
    problems, includes = scan_includes(args.root)
    for comp in components(includes):
        problems.append(describe(includes, comp, "includes"))
    calls = scan_calls(args.objects) if args.objects else {}
    for comp in components(calls):
        problems.append(describe(calls, comp, "calls"))
    if args.objects and not calls:
        problems.append("no object files under %s" % ", ".join(args.objects))
    for p in problems:
        print("check_layers: " + p)
    print("check_layers: %d files, %d objects, %d problem(s)" % (
        sum(1 for _ in sources(args.root)), len(calls), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
