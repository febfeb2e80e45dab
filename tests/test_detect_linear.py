"""Detection never freezes: 1 MiB of the worst input for each pattern is scanned to the end.

Each input is a long run of what one of the patterns feeds on (brackets, digits,
separators, '@', base64 alphabet, near-misses of every format) — the inputs on
which a pattern with nested or adjacent unbounded quantifiers goes quadratic or
worse (the old number pattern took 7 s on 40,000 '('). The scans run in a child
process with a deadline: a scan that does not finish is a failure; how long a
finished one took is not asserted (that is benchmarks/bench_detect.py's job).
"""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import textwrap

import pytest

MIB = 1 << 20

# name -> (unit repeated to 1 MiB)
PATHOLOGICAL = {
    "open parens": "(",
    "digits": "7",
    "spaces": " ",
    "at signs": "@",
    "dots": ".",
    "equals": "=",
    "colons": ":",
    "dashes": "-",
    "plus": "+",
    "newlines": "\n",
    "one long token": "a",
    "capitals": "A",
    "base64 alphabet": "QUJDRGVmZ2g0NTY3",
    "hex pairs": "6a",
    "digit and space": "1 ",
    "digit and separators": "1 ).-/(",
    "digit and dot": "1.",
    "digit and slash": "1/",
    "letter and digit": "a1",
    "percent escapes": "%4",
    "entity starts": "&#",
    "backslash escapes": "\\x4",
    "other digits": "١٢٣ ",
    "zero-width joins": "1\u200b",
    "near phone": "+1 (415) 555-01 ",
    "near card": "4111 1111 1111 111 ",
    "near ssn": "SSN 123-45-678 ",
    "near email": "jane.doe@example ",
    "near spelled email": "jane dot doe at example dot ",
    "near iban": "DE89 3704 0044 ",
    "near ipv6": "2001:db8:",
    "near mac": "3c:22:fb:1a:9e ",
    "near key": "sk-proj-abc ",
    "near pem": "-----BEGIN PRIVATE KEY-----\n",
    "near connection string": "redis://:pw",
    "near assignment": "DB_PASSWORD=",
    "near prose password": "the password is ",
    "near birth date": "born on March 7, 19",
    "near street": "742 Evergreen Terr ",
    "near health": "patient diagnosed with ",
    "near privilege": "attorney-client ",
    "near marker": "confidential ",
    "near zip": ", IL 6",
    "near germanic street": "straße 1",
    "bracketed at": "[at",
    "key words": "key token secret ",
    "near roster line": "Anna Maria Berg, 12/03/19",
    "near roster line, spaced": "ANNA Berg  12 03 19",
    "operation suffixes": "ectomyostomyplasty",
    "near operation": "colectom ",
    "one name owning a record": "Sarah's chart Tom has ",
    "near icd category": "Assessment: B2 ",
    "near unitless lab": "labs: INR ",
    "colleague words": "mein Kollege krankgeschrieben ",
    "how diagnosed": "se diagnostica diagnóstico ",
}
# Per input: generous for a shared CI core; a quadratic pattern on 1 MiB takes hours.
DEADLINE_S = 60

# The child scans each input in turn and reports it; the parent gives each report its
# own deadline, so one slow input is named, and the import is paid once.
CHILD = textwrap.dedent(
    """
    import json, sys
    from tiergate.detect import Detector

    detector = Detector()
    for name, unit in json.loads(sys.stdin.readline()).items():
        text = (unit * ({mib} // len(unit) + 1))[:{mib}]
        detector.scan([text])
        print(name, flush=True)
    """
).format(mib=MIB)


@pytest.mark.slow
def test_a_mebibyte_of_each_pathological_input_is_scanned_to_the_end() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps(PATHOLOGICAL) + "\n")
            child.stdin.close()
            with selectors.DefaultSelector() as selector:
                selector.register(child.stdout, selectors.EVENT_READ)
                for name in PATHOLOGICAL:
                    if not selector.select(timeout=DEADLINE_S):
                        pytest.fail(f"1 MiB of {name!r} was not scanned within {DEADLINE_S} s")
                    assert child.stdout.readline().strip() == name, f"the scan of {name!r} failed"
        finally:
            child.kill()
