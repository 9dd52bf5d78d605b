#!/usr/bin/env python3
"""check_exports.py -- libtrueup.so exports the public API and nothing else.

    check_exports.py LIBTRUEUP_SO INCLUDE_DIR

Reads every function declared in the public headers (INCLUDE_DIR/**/*.h:
file-scope declarations that are not static, found after comments and
preprocessor lines are removed and outside any braces) and every symbol the
shared object defines in its dynamic symbol table (nm -D --defined-only).
Fails, naming them, when the library exports a symbol no header declares
(an internal symbol leaking: a missing -fvisibility=hidden, or TU_API on an
internal function) or when a header declares a function the library does
not export (TU_API forgotten: programs could not link it). It first checks
itself: on altered copies of the headers it must find both faults. The
ctest test library/exports runs it on the built library
(tests/CMakeLists.txt).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Symbols some linkers define in every shared object.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def strip_c(text):
    """The text without comments, string literals and preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    return text


def top_level_statements(text):
    """The file-scope statements of stripped C text: what lies outside any
    braces, split at ';' and at the closing brace of a top-level block
    (whose contents are dropped; `extern "C" {` is not a block here)."""
    out, cur, depth = [], [], 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "{":
            if depth == 0 and re.search(r'extern\s*""\s*$', "".join(cur)):
                cur = []  # extern "C" { ... }: its contents are file scope
                i += 1
                continue
            depth += 1
        elif c == "}":
            if depth == 0:  # the end of extern "C" { ... }
                i += 1
                continue
            depth -= 1
            if depth == 0:
                cur.append("{}")
                i += 1
                continue
        elif c == ";" and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        if depth == 0:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur))
    return out


# NAME(PARAMETERS) at the end of a declaration, before any attributes or
# attribute macros: not (*NAME)(...), a function pointer.
DECLARATOR = re.compile(r"\b([A-Za-z_]\w*)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)"
                        r"(?:\s*[A-Za-z_]\w*(?:\s*\(\(.*\)\))?)*\s*$")


def declared_functions(include_dir):
    names = {}
    for root, _dirs, files in os.walk(include_dir):
        for name in sorted(files):
            if not name.endswith(".h"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                text = strip_c(f.read())
            for stmt in top_level_statements(text):
                stmt = " ".join(stmt.split())
                if re.match(r"(typedef|static)\b", stmt) or "{}" in stmt:
                    continue
                # a declarator: NAME( ... ), not (*NAME)( ... )
                m = DECLARATOR.search(stmt)
                if m:
                    names[m.group(1)] = os.path.relpath(path, include_dir)
    return names


def exported_symbols(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            symbols.add(fields[2].split("@")[0])
    return symbols - LINKER_SYMBOLS


def compare(library, include_dir):
    """0 when the library exports exactly what the headers declare; else 1,
    with every difference printed."""
    declared = declared_functions(include_dir)
    exported = exported_symbols(library)
    if not declared:
        sys.exit("check_exports: no function declarations found under %s"
                 % include_dir)
    leaked = sorted(exported - set(declared))
    missing = sorted(set(declared) - exported)
    for name in leaked:
        print("check_exports: %s exports %s, which no public header "
              "declares (an internal symbol: it must stay hidden)"
              % (os.path.basename(library), name))
    for name in missing:
        print("check_exports: %s declares %s, which %s does not export "
              "(is it marked TU_API?)" % (declared[name], name,
                                          os.path.basename(library)))
    if leaked or missing:
        return 1
    print("check_exports: %s exports exactly the %d functions of the public "
          "headers" % (os.path.basename(library), len(declared)))
    return 0


def self_test(library, include_dir):
    """The comparison fails when it should: on copies of the headers, one
    with a declaration the library lacks, one without trueup.h's
    tu_version (whose symbol then leaks)."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = os.path.join(tmp, "extra")
        shutil.copytree(include_dir, extra)
        with open(os.path.join(extra, "trueup", "extra.h"), "w") as f:
            f.write("/* a comment: int tu_in_a_comment(void); */\n"
                    "TU_API int tu_not_in_the_library(const char *s,\n"
                    "                                 void (*cb)(int));\n")
        fewer = os.path.join(tmp, "fewer")
        shutil.copytree(include_dir, fewer)
        header = os.path.join(fewer, "trueup", "trueup.h")
        with open(header, encoding="utf-8") as f:
            text = f.read()
        text, n = re.subn(r"TU_API const char \*tu_version\(void\);", "", text)
        with open(header, "w", encoding="utf-8") as f:
            f.write(text)
        print("check_exports: self-test: two differences expected below")
        if n != 1 or compare(library, extra) != 1 or \
                compare(library, fewer) != 1:
            print("check_exports: self-test: a difference went unnoticed")
            return 1
        if "tu_in_a_comment" in declared_functions(extra):
            print("check_exports: self-test: a comment was read as code")
            return 1
    print("check_exports: self-test passed")
    return 0


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_exports.py LIBTRUEUP_SO INCLUDE_DIR")
    library, include_dir = sys.argv[1], sys.argv[2]
    if self_test(library, include_dir) != 0:
        sys.exit(1)
    sys.exit(compare(library, include_dir))


if __name__ == "__main__":
    main()
