"""``python -m connectors.synthetic``: write an org store file."""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

from connectors.synthetic.generate import OrgSpec, generate
from connectors.synthetic.profiles import PROFILES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="end of history (exclusive), YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate(OrgSpec(args.seed, args.profile, args.end), args.out)


if __name__ == "__main__":
    main()
