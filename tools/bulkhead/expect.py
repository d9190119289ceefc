"""System-test `expect` files: parsing them and matching serial lines against them.

Format, one directive a line; `#` starts a comment at the start of a line or
after white space (write `\\#` or `[#]` for a literal `#` after a space):

    timeout 300            seconds of wall time (default 300)
    manifest PATH          manifest relative to the expect file (default manifest.xml)
    expect REGEX           Python regex (re.search) that must match some serial line
    reject REGEX           must match no line
    corrupt-plan OFFSET    xor byte OFFSET of the boot plan with 0xff before packing
"""

import os
import re

DEFAULT_TIMEOUT = 300.0

# Lines that fail every system test, whatever its expect file says.
BUILTIN_REJECTS = [r"bulkhead: PANIC", r"\bTEST \S+ FAIL"]

_COMMENT = re.compile(r"(^|\s)#.*$")


class ExpectError(Exception):
    """An expect file is malformed; the message is `expect:LINE: what`."""


class Pattern:
    """One expect or reject regex and the line of the expect file it came from."""

    def __init__(self, text, line):
        self.text = text
        self.line = line
        self.regex = re.compile(text)

    def __repr__(self):
        return "/%s/" % self.text


class Spec:
    """The parsed content of one expect file."""

    def __init__(self, path):
        self.path = path
        self.timeout = DEFAULT_TIMEOUT
        self.manifest = os.path.join(os.path.dirname(path), "manifest.xml")
        self.expects = []
        self.rejects = [Pattern(text, 0) for text in BUILTIN_REJECTS]
        self.corrupt_offsets = []


def _number(text, convert, what, line):
    """Converts @text with @convert or raises ExpectError naming @what."""
    try:
        return convert(text)
    except ValueError:
        raise ExpectError("expect:%d: %s %r is not a number" % (line, what, text))


def _pattern(text, line):
    """Compiles a regex argument or raises ExpectError saying why it is bad."""
    try:
        return Pattern(text, line)
    except re.error as err:
        raise ExpectError("expect:%d: bad regex %r: %s" % (line, text, err))


def _directive(spec, word, arg, line):
    """Applies one directive to @spec; raises ExpectError if it is unknown or bad."""
    if not arg:
        raise ExpectError("expect:%d: %s needs an argument" % (line, word))
    if word == "timeout":
        spec.timeout = _number(arg, float, "timeout", line)
        if spec.timeout <= 0:
            raise ExpectError("expect:%d: timeout must be positive" % line)
    elif word == "manifest":
        spec.manifest = os.path.join(os.path.dirname(spec.path), arg)
    elif word == "expect":
        spec.expects.append(_pattern(arg, line))
    elif word == "reject":
        spec.rejects.append(_pattern(arg, line))
    elif word == "corrupt-plan":
        offset = _number(arg, lambda t: int(t, 0), "offset", line)
        if offset < 0:
            raise ExpectError("expect:%d: offset must not be negative" % line)
        spec.corrupt_offsets.append(offset)
    else:
        raise ExpectError("expect:%d: unknown directive %r" % (line, word))


def parse(text, path):
    """Parses the expect file @text (read from @path, for relative paths).

    Returns: a Spec. Raises ExpectError (`expect:LINE: what`) on an unknown
    directive, a bad argument, or a file without any `expect` line.
    """
    spec = Spec(path)
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        word, arg = (line.split(None, 1) + [""])[:2]
        _directive(spec, word, arg.strip(), number)
    if not spec.expects:
        raise ExpectError("expect: no `expect` line: the test would check nothing")
    return spec


def load(path):
    """Reads and parses the expect file at @path; see parse()."""
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), path)


class Matcher:
    """Feeds serial lines through a Spec's rejects and expects."""

    def __init__(self, spec):
        self.spec = spec
        self.missing = list(spec.expects)
        self.lines = 0

    def feed(self, line):
        """Checks one serial line. Returns a failure reason if it matched a reject, else None."""
        self.lines += 1
        for pattern in self.spec.rejects:
            if pattern.regex.search(line):
                return "serial line %d matched reject %r: %s" % (self.lines, pattern, line)
        self.missing = [p for p in self.missing if not p.regex.search(line)]
        return None

    def done(self):
        """Returns True once every expect regex has matched some line."""
        return not self.missing

    def missing_text(self):
        """Lists the expects that never matched, for a failure message."""
        return ", ".join(repr(p) for p in self.missing)
