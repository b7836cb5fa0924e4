"""Demo material for the documents' form (documents/form.py, documents/pades.py).

python -m lawtrail.tools.demo_form seals              # redraw documents/seals/<agency>.png (样章)
python -m lawtrail.tools.demo_form pdf-signing DIR    # a demo CA + a certificate per agency

Point LAWTRAIL_PDF_SIGNING_DIR at DIR (or make it <data dir>/pdf-signing) and every issued PDF
is signed; a reader trusts DIR/demo-ca.cert.pem to show the signatures as valid. Neither the
seals nor the certificates are real: both say so (样章, 演示).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lawtrail.core.rules import load_pack
from lawtrail.documents.form import write_demo_seals
from lawtrail.documents.pades import make_demo_credentials

PACKS = Path(__file__).resolve().parents[1] / "rulepacks"


def agencies() -> dict[str, str]:
    return {path.stem: load_pack(path.stem).name for path in sorted(PACKS.glob("*.toml"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lawtrail.tools.demo_form")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seals", help="重新生成演示印章（样章）")
    signing = sub.add_parser("pdf-signing", help="生成演示签章证书（演示根证书 + 各机关证书）")
    signing.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    if args.command == "seals":
        for path in write_demo_seals(agencies()):
            print(f"已生成：{path}")
    else:
        ca = make_demo_credentials(args.directory, agencies())
        print(f"已生成演示证书：{args.directory}（演示根证书：{ca}）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
