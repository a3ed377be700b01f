#!/usr/bin/env python3
"""Generate `functions/lib/domain/src/numbers/regions.rs`: every region's
emergency short numbers, from libphonenumber's short-number metadata as shipped
by the PyPI package `phonenumbers` (pinned in `requirements-gen.txt`).

Run it with a Python that has the pinned package; the script never installs it:

    python3 -m venv /tmp/pn-venv
    /tmp/pn-venv/bin/pip install -r infra/tools/requirements-gen.txt
    /tmp/pn-venv/bin/python infra/tools/gen-emergency-numbers.py

Options:
    --check        regenerate in memory and compare with the file on disk;
                   exit 1 if they differ (e.g. the table was edited by hand)
    --output PATH  file to write or check (default: the path above)

For each region, the `emergency` descriptor's pattern is expanded by brute
force over its possible lengths (at most 6 digits), and every result is
cross-checked against `phonenumbers.is_emergency_number`, as is a deterministic
sample of non-members. Any disagreement is an error (exit 1).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

try:
    import phonenumbers
    from phonenumbers import PhoneMetadata
    from phonenumbers.shortnumberinfo import SUPPORTED_SHORT_REGIONS
except ImportError:
    sys.exit(
        "error: the `phonenumbers` package is not installed; see the top of "
        "this script (pip install -r infra/tools/requirements-gen.txt)"
    )

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "functions/lib/domain/src/numbers/regions.rs"
SCRIPT_PATH = "infra/tools/gen-emergency-numbers.py"

# The version this table is pinned to (see requirements-gen.txt).
EXPECTED_VERSION = "9.0.43"
# Brute-force bound: 10**6 candidates per length at most.
MAX_LENGTH = 6
# rustfmt's default max_width.
MAX_WIDTH = 100
REGION_ID = re.compile(r"[A-Z]{2}")


class GenError(Exception):
    """A metadata or cross-check problem; reported and exit 1."""


def emergency_numbers(region: str) -> list[str] | None:
    """The region's emergency numbers, sorted; None if it has none."""
    meta = PhoneMetadata.short_metadata_for_region(region)
    if meta is None:
        return None
    desc = meta.emergency
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = tuple(desc.possible_length or ())
    if not lengths and meta.general_desc is not None:
        lengths = tuple(meta.general_desc.possible_length or ())
    lengths = tuple(sorted({n for n in lengths if n > 0}))
    if not lengths:
        raise GenError(f"{region}: emergency descriptor has no possible lengths")
    if max(lengths) > MAX_LENGTH:
        raise GenError(
            f"{region}: emergency possible length {max(lengths)} exceeds "
            f"the brute-force bound {MAX_LENGTH}"
        )
    pattern = re.compile(desc.national_number_pattern)
    found = [
        digits
        for length in lengths
        for digits in (f"{i:0{length}d}" for i in range(10**length))
        if pattern.fullmatch(digits)
    ]
    if not found:
        raise GenError(
            f"{region}: emergency pattern {desc.national_number_pattern!r} "
            f"matches nothing of lengths {lengths}"
        )
    return sorted(found)


def non_member_sample(region: str, members: list[str]) -> list[str]:
    """Deterministic sample of digit strings that should not be emergency
    numbers: all strings of 1-3 digits, each member's near neighbours, and
    random strings of every length from 4 to MAX_LENGTH + 1."""
    candidates: set[str] = set()
    for length in range(1, 4):
        candidates.update(f"{i:0{length}d}" for i in range(10**length))
    for number in members:
        candidates.add(number[:-1])
        candidates.update(number + d for d in "0123456789")
        for pos in range(len(number)):
            candidates.update(
                number[:pos] + d + number[pos + 1 :] for d in "0123456789"
            )
    rng = random.Random(f"lifeline-emergency-{region}")
    for length in range(4, MAX_LENGTH + 2):
        candidates.update(
            f"{rng.randrange(10**length):0{length}d}" for _ in range(300)
        )
    candidates.discard("")
    return sorted(candidates - set(members))


def cross_check(region: str, members: list[str]) -> None:
    """Agree with phonenumbers.is_emergency_number on members and a sample."""
    bad_in = [n for n in members if not phonenumbers.is_emergency_number(n, region)]
    if bad_in:
        raise GenError(
            f"{region}: enumerated but is_emergency_number says False: {bad_in}"
        )
    bad_out = [
        n
        for n in non_member_sample(region, members)
        if phonenumbers.is_emergency_number(n, region)
    ]
    if bad_out:
        raise GenError(
            f"{region}: not enumerated but is_emergency_number says True: {bad_out}"
        )


def collect() -> list[tuple[str, list[str]]]:
    """(region, numbers) for every region with emergency numbers, sorted."""
    table = []
    for region in sorted(SUPPORTED_SHORT_REGIONS):
        if not REGION_ID.fullmatch(region):
            print(f"skipping {region!r}: not a two-letter region id", file=sys.stderr)
            continue
        numbers = emergency_numbers(region)
        if numbers is None:
            print(f"skipping {region}: no emergency numbers", file=sys.stderr)
            continue
        cross_check(region, numbers)
        table.append((region, numbers))
    if not table:
        raise GenError("no regions with emergency numbers found")
    return table


def quoted(items: list[str]) -> list[str]:
    return [f'"{item}"' for item in items]


# The layout rustfmt (default config) gives the generated file, so that it is
# `rustfmt --check`-clean as written:
# - a list of literals goes on one line if its items take at most
#   ARRAY_WIDTH columns (`array_width`), and a tuple if its contents take at
#   most FN_CALL_WIDTH (`fn_call_width`), and the line fits MAX_WIDTH;
# - otherwise short literals (<= SHORT_ITEM columns) are packed several to a
#   line, one indent deeper (see packed_lines).
ARRAY_WIDTH = 60
FN_CALL_WIDTH = 60
SHORT_ITEM = 10
INDENT = " " * 4


def packed_lines(items: list[str], indent: str) -> list[str]:
    """Items packed into lines as rustfmt's "mixed" list layout does."""
    assert all(len(item) <= SHORT_ITEM for item in items), items
    # Width available after the indent; one column is kept for a separator.
    width = MAX_WIDTH - len(indent) - 1
    lines: list[list[str]] = [[]]
    line_len = 0
    for i, item in enumerate(items):
        # An item's comma counts towards the width, except the last item's
        # while the list is still on its first line.
        last = i == len(items) - 1
        item_len = len(item) + (0 if last and len(lines) == 1 else 1)
        if line_len > 0 and line_len + 1 + item_len > width:
            lines.append([])
            line_len = 0
        elif line_len > 0:
            line_len += 1
        lines[-1].append(item)
        line_len += item_len
    return [indent + " ".join(f"{item}," for item in line) for line in lines]


def array_lines(head: str, items: list[str], tail: str, indent: str) -> list[str]:
    """`{indent}{head}&[items]{tail}`, on one line if it fits, else packed."""
    inner = ", ".join(items)
    one_line = f"{indent}{head}&[{inner}]{tail}"
    if len(inner) <= ARRAY_WIDTH and len(one_line) <= MAX_WIDTH:
        return [one_line]
    return [
        f"{indent}{head}&[",
        *packed_lines(items, indent + INDENT),
        f"{indent}]{tail}",
    ]


def region_entry(region: str, numbers: list[str]) -> list[str]:
    """One `("XX", &[...]),` element of REGIONS."""
    items = quoted(numbers)
    contents = f'"{region}", &[{", ".join(items)}]'
    if len(contents) <= FN_CALL_WIDTH and len(INDENT + contents) + 3 <= MAX_WIDTH:
        return [f"{INDENT}({contents}),"]
    # Too wide for one line: rustfmt puts each tuple field on its own line.
    return [
        f"{INDENT}(",
        f'{INDENT * 2}"{region}",',
        *array_lines("", items, ",", INDENT * 2),
        f"{INDENT}),",
    ]


def render(table: list[tuple[str, list[str]]], version: str) -> str:
    any_region = sorted({n for _, numbers in table for n in numbers})
    out = [
        f"//! Generated by `{SCRIPT_PATH}` from libphonenumber's",
        f"//! short-number metadata (`phonenumbers` {version} on PyPI, "
        f"libphonenumber {version}). Do not edit:",
        f"//! run `python3 {SCRIPT_PATH}` to regenerate.",
        "",
        "/// The metadata's version.",
        f'pub const METADATA_VERSION: &str = "{version}";',
        "",
        "/// Every region's emergency numbers (libphonenumber's `emergency` class, whole",
        "/// numbers), sorted by region code; numbers sorted.",
        "pub const REGIONS: &[(&str, &[&str])] = &[",
    ]
    for region, numbers in table:
        out.extend(region_entry(region, numbers))
    out += [
        "];",
        "",
        "/// Every emergency number of any region, sorted and deduplicated (for the",
        '/// "could this be an emergency anywhere" check, by binary search).',
        *array_lines("pub const ANY_REGION: &[&str] = ", quoted(any_region), ";", ""),
    ]
    return "\n".join(out) + "\n"


def summary(table: list[tuple[str, list[str]]]) -> str:
    distinct = {n for _, numbers in table for n in numbers}
    odd = sorted(n for n in distinct if len(n) != 3 or n.startswith("0"))
    shown = ", ".join(odd[:12]) + (f", … ({len(odd)} in all)" if len(odd) > 12 else "")
    return (
        f"{len(table)} regions, {len(distinct)} distinct numbers; "
        f"not 3 digits or leading 0: {shown or 'none'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the generated table with the file on disk; exit 1 if they differ",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"file to write or check (default: {DEFAULT_OUTPUT.relative_to(REPO_ROOT)})",
    )
    args = parser.parse_args()

    version = phonenumbers.__version__
    if version != EXPECTED_VERSION:
        print(
            f"error: phonenumbers {version} is installed, but this table is pinned "
            f"to {EXPECTED_VERSION} (infra/tools/requirements-gen.txt)",
            file=sys.stderr,
        )
        return 1

    try:
        table = collect()
    except GenError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    text = render(table, version)

    if args.check:
        try:
            on_disk = args.output.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"error: {args.output} does not exist; run {SCRIPT_PATH}", file=sys.stderr)
            return 1
        if on_disk != text:
            print(
                f"error: {args.output} differs from what {SCRIPT_PATH} generates "
                f"from phonenumbers {version}; do not edit it by hand, regenerate it",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date ({summary(table)})", file=sys.stderr)
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({summary(table)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
