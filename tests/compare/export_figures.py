"""Export a comparison's report and its figures as PNGs (headless Chromium screenshots).

    python tests/compare/export_figures.py --results DIR --out docs/img --prefix recsys \\
        --all-runs recsys_mf_grid recsys_mf_random_asha recsys_mf_tpe_asha

Used for the figures in docs/ (kaleido is not a dependency; Chromium is the one renderer).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chromium import inspect_page

from raysweep import compare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--results", default=None)
    parser.add_argument("--all-runs", action="store_true")
    parser.add_argument("--out", default="docs/img")
    parser.add_argument("--prefix", default="compare")
    parser.add_argument("--report", default=None, help="also write the HTML report here")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    comp = compare.load(args.targets, args.results, all_runs=args.all_runs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.report:
        compare.write_report(comp, args.report, title=args.title)
    figures = compare.report_figures(comp)
    with tempfile.TemporaryDirectory() as tmp:
        for name, fig in figures.items():
            width, height = 1100, int(fig.layout.height or 450) + 20
            fig.update_layout(width=width - 20)
            page = Path(tmp) / f"{name}.html"
            fig.write_html(page, include_plotlyjs=True, full_html=True,
                           config={"displayModeBar": False})
            shot = inspect_page(page, width=width, height=height, settle_s=0.5)
            if shot.errors or shot.plots < 1:
                raise SystemExit(f"{name}: {shot.errors or 'no plot drawn'}")
            target = out / f"{args.prefix}-{name}.png"
            target.write_bytes(shot.png)
            print(f"wrote {target} ({len(shot.png) // 1024} KiB)")


if __name__ == "__main__":
    main()
