"""The form of a 文书 as printed: typography, the agency's seal, the signature lines of a 笔录.

What is here does not change what a document says (that is the context, documents/context.py)
but how it looks on paper:

- **Typography** (GB/T 9704-2012 §7.3, the 党政机关公文格式 every agency's 文书 follow): the
  title in 2号小标宋 (22 pt), the body in 3号仿宋_GB2312 (16 pt), first-level headings in
  黑体, second-level in 楷体. These fonts are commercial; a deployment that has them installed
  names them in its settings (LAWTRAIL_FONT_TITLE / _BODY / _HEADING / _KAI, font family names
  as fontconfig knows them). Otherwise the free fonts of Debian's packages stand in
  (deps/apt.txt): Noto Serif CJK SC bold for 小标宋, Noto Serif CJK SC for 仿宋, Noto Sans CJK
  SC for 黑体, AR PL UKai CN for 楷体.
- **Seals**: the agency's seal image (PNG), placed over the date of an issued document. A
  deployment configures a file per agency (LAWTRAIL_SEALS_DIR/<agency>.png); the demo seals
  shipped in documents/seals/ are red circles with the agency's name and the word 样章 (sample
  seal) in the middle, so that nobody mistakes a demo document for an issued one.
"""

from __future__ import annotations

import functools
import math
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any

SEALS_DIR = Path(__file__).resolve().parent / "seals"

# The free fonts of Debian's packages (fonts-noto-cjk, fonts-arphic-ukai) that stand in for the
# commercial ones of GB/T 9704 when a deployment has not installed those.
FALLBACK_SERIF = "Noto Serif CJK SC"
FALLBACK_SANS = "Noto Sans CJK SC"
FALLBACK_KAI = "AR PL UKai CN"

# The names the commercial fonts are installed under on Chinese Windows, WPS and the
# 方正 packages: a deployment that has one gets it without configuring anything.
DEFAULT_TITLE_FONTS: tuple[str, ...] = ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S")
DEFAULT_BODY_FONTS: tuple[str, ...] = ("仿宋_GB2312", "仿宋", "FangSong_GB2312", "FangSong")
DEFAULT_HEADING_FONTS: tuple[str, ...] = ("黑体", "SimHei")
DEFAULT_KAI_FONTS: tuple[str, ...] = ("楷体_GB2312", "楷体", "KaiTi_GB2312", "KaiTi")

# GB/T 9704-2012 §7.3.1 and §7.3.3: 2号 (22 pt) title, 3号 (16 pt) body.
TITLE_SIZE_PT = 22
BODY_SIZE_PT = 16


@functools.cache
def installed_font_families() -> frozenset[str]:
    """Every font family fontconfig knows on this machine (each name of a family)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:  # pragma: no cover - fontconfig comes with WeasyPrint's Pango
        return frozenset()
    out = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def _css_family(names: Sequence[str], generic: str) -> str:
    quoted = ", ".join('"' + n.replace('"', "") + '"' for n in names)
    return f"{quoted}, {generic}"


@dataclass(frozen=True)
class Typography:
    """The font families of a deployment's documents; each list is tried in order."""

    title: tuple[str, ...] = DEFAULT_TITLE_FONTS
    body: tuple[str, ...] = DEFAULT_BODY_FONTS
    heading: tuple[str, ...] = DEFAULT_HEADING_FONTS
    kai: tuple[str, ...] = DEFAULT_KAI_FONTS
    installed: frozenset[str] | None = field(default=None, compare=False)

    def _installed(self) -> frozenset[str]:
        return self.installed if self.installed is not None else installed_font_families()

    def has(self, names: Sequence[str]) -> bool:
        return any(n in self._installed() for n in names)

    def context(self) -> dict[str, Any]:
        """What base.html and the DOCX renderer use: CSS font lists and the title's weight.

        The fallback for 小标宋 is Noto Serif bold: 小标宋 is a heavy Song face of one weight,
        so the real font is set at normal weight and the stand-in at bold."""
        real_title = self.has(self.title)
        return {
            "title": _css_family((*self.title, FALLBACK_SERIF), "serif"),
            "title_weight": "400" if real_title else "700",
            "body": _css_family((*self.body, FALLBACK_SERIF), "serif"),
            "heading": _css_family((*self.heading, FALLBACK_SANS), "sans-serif"),
            "kai": _css_family((*self.kai, FALLBACK_KAI, FALLBACK_SERIF), "serif"),
            "title_size": f"{TITLE_SIZE_PT}pt",
            "body_size": f"{BODY_SIZE_PT}pt",
            # The first installed name of each list, for DOCX (Word takes one name per run).
            "docx_title": self.first_installed(self.title, FALLBACK_SERIF),
            "docx_body": self.first_installed(self.body, FALLBACK_SERIF),
            "docx_heading": self.first_installed(self.heading, FALLBACK_SANS),
            "docx_title_bold": not real_title,
        }

    def first_installed(self, names: Sequence[str], fallback: str) -> str:
        return next((n for n in names if n in self._installed()), fallback)

    @classmethod
    def with_fonts(
        cls,
        *,
        title: Sequence[str] = (),
        body: Sequence[str] = (),
        heading: Sequence[str] = (),
        kai: Sequence[str] = (),
    ) -> Typography:
        """The defaults with a deployment's own font names put first."""
        return cls(
            title=(*title, *DEFAULT_TITLE_FONTS),
            body=(*body, *DEFAULT_BODY_FONTS),
            heading=(*heading, *DEFAULT_HEADING_FONTS),
            kai=(*kai, *DEFAULT_KAI_FONTS),
        )


class SealSource:
    """The seal image of each agency: ``<directory>/<agency>.png`` when a deployment configured
    a directory and the file exists, else the shipped demo seal (样章) when ``demo`` is true."""

    def __init__(self, directory: Path | None = None, *, demo: bool = True) -> None:
        self._directory = directory
        self._demo = demo

    def __call__(self, agency: str) -> bytes | None:
        candidates = []
        if self._directory is not None:
            candidates.append(self._directory / f"{agency}.png")
        if self._demo:
            candidates.append(SEALS_DIR / f"{agency}.png")
        for path in candidates:
            if path.is_file():
                return path.read_bytes()
        return None


# ----------------------------------------------------------------------------- demo seals


def demo_seal_png(agency_name: str, *, size: int = 480) -> bytes:
    """A sample seal: a red ring, the agency's name along the upper arc, a star, and 样章.

    Clearly not a real seal (the word 样章 across its middle); deterministic bytes for the
    same name, so the shipped files can be checked against this function."""
    from PIL import Image, ImageDraw, ImageFont

    red = (200, 16, 16, 255)
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    ring = size * 0.03
    draw.ellipse(
        (ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=red, width=int(ring)
    )
    font_path = _font_file(FALLBACK_SANS)
    name_font = ImageFont.truetype(font_path, int(size * 0.095), index=_font_index(font_path))
    mark_font = ImageFont.truetype(font_path, int(size * 0.13), index=_font_index(font_path))
    # The name along the upper arc, from 210° to -30° (clockwise over the top).
    chars = list(agency_name)
    span = min(250.0, 19.0 * len(chars))
    radius = size * 0.36
    for i, ch in enumerate(chars):
        angle = 90 + span / 2 - span * (i + 0.5) / len(chars)
        theta = math.radians(angle)
        x, y = c + radius * math.cos(theta), c - radius * math.sin(theta)
        glyph = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2), ch, font=name_font, fill=red, anchor="mm"
        )
        glyph = glyph.rotate(angle - 90, resample=Image.Resampling.BICUBIC)
        image.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
    # A five-pointed star in the centre.
    star = []
    for k in range(10):
        r = size * (0.12 if k % 2 == 0 else 0.048)
        theta = math.radians(90 + 36 * k)
        star.append((c + r * math.cos(theta), c - 0.02 * size - r * math.sin(theta)))
    draw.polygon(star, fill=red)
    draw.text((c, c + size * 0.24), "样章", font=mark_font, fill=red, anchor="mm")
    out = BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


@functools.cache
def _font_file(family: str) -> str:
    fc_match = shutil.which("fc-match")
    if fc_match is None:  # pragma: no cover
        raise RuntimeError("fontconfig (fc-match) is needed to draw the demo seals")
    out = subprocess.run(
        [fc_match, "-f", "%{file}", f"{family}:bold"], capture_output=True, text=True, check=True
    ).stdout
    return out.strip()


def _font_index(path: str) -> int:
    # Noto CJK is a collection (.ttc) whose SC face is not the first; ask fontconfig.
    fc_match = shutil.which("fc-match")
    assert fc_match is not None
    out = subprocess.run(
        [fc_match, "-f", "%{index}", f"{FALLBACK_SANS}:bold"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return int(out) if out.isdigit() and path.endswith(".ttc") else 0


def write_demo_seals(names: Mapping[str, str], directory: Path = SEALS_DIR) -> list[Path]:
    """Write ``<agency>.png`` for every agency id → name; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for agency, name in sorted(names.items()):
        path = directory / f"{agency}.png"
        path.write_bytes(demo_seal_png(name))
        written.append(path)
    return written


__all__ = [
    "BODY_SIZE_PT",
    "SEALS_DIR",
    "TITLE_SIZE_PT",
    "SealSource",
    "Typography",
    "demo_seal_png",
    "installed_font_families",
    "write_demo_seals",
]


# ----------------------------------------------------------------------------- 笔录 signing

# The three signature lines on every page of a 笔录 (the one questioned or present, the
# officers, the 记录人), by record kind; any other document titled …笔录 gets the last entry.
SIGN_LINE_LABELS: Mapping[str, tuple[str, str, str]] = {
    "inquiry_record": ("被询问人", "询问人", "记录人"),
    "site_inspection": ("当事人（在场人）", "检查人", "记录人"),
    "statement_defense": ("陈述申辩人", "执法人员", "记录人"),
    "hearing": ("当事人", "听证主持人", "记录人"),
    "": ("当事人", "执法人员", "记录人"),
}

# What the signers of a 笔录 write above their names (the statement that they read it).
ACKNOWLEDGMENTS: Mapping[str, str] = {
    "site_inspection": "以上笔录我已看过，与现场情况相符。",
    "": "以上笔录我已看过，与我所述相符。",
}

OFFICER_ROLES = frozenset({"officer"})
RECORDER_FIELDS = ("recorder",)


def is_transcript(title: str) -> bool:
    return title.endswith("笔录")


def sign_lines(
    kind: str,
    raw_signatures: Sequence[Any],
    shown: Sequence[Mapping[str, Any]],
    recorder: str,
) -> list[dict[str, Any]]:
    """The footer lines of a 笔录: each with the pictures of the screen signatures made in that
    capacity (none: a blank line to sign by hand).

    ``raw_signatures`` are the record's :class:`Signature` objects, ``shown`` the same in the
    context (with their pictures), ``recorder`` the person id of the 记录人 when the record
    names one (``recorder`` field), else ""."""
    subject, officer, writer = SIGN_LINE_LABELS.get(kind, SIGN_LINE_LABELS[""])
    marks: dict[str, list[object]] = {subject: [], officer: [], writer: []}
    for raw, s in zip(raw_signatures, shown, strict=True):
        if not s.get("has_image"):
            continue
        if raw.role in OFFICER_ROLES:
            line = writer if recorder and raw.person == recorder else officer
        else:
            line = subject
        marks[line].append(s["image"])
    return [{"label": label, "marks": marks[label]} for label in (subject, officer, writer)]


# ----------------------------------------------------------------------------- filing (案卷)

ARCHIVE_PROFILES = Path(__file__).resolve().parent / "data" / "archive_profiles.toml"

# The 保管期限 of a 案卷 under the scheme in force since 2006 (国家档案局令第8号《机关文件材料
# 归档范围和文书档案保管期限规定》): 永久, 定期30年, 定期10年. "长期"/"短期" belong to the
# scheme it replaced and are refused.
RETENTIONS: tuple[str, ...] = ("永久", "定期30年", "定期10年")
_RETENTION_ALIASES: Mapping[str, str] = {"30年": "定期30年", "10年": "定期10年"}

# The records of internal deliberation that go into the 副卷 when an agency keeps one: drafts,
# 法制审核, 专家论证, 集体讨论, the head's approval and the internal approval chain (审批表).
SECONDARY_KINDS: frozenset[str] = frozenset(
    {
        "decision_draft",
        "legal_review",
        "expert_argument",
        "collective_discussion",
        "head_approval",
        "internal_approval",
    }
)


def retention_label(value: str) -> str:
    """The 保管期限 as printed: one of :data:`RETENTIONS` (30年 → 定期30年); ValueError else."""
    value = value.strip()
    value = _RETENTION_ALIASES.get(value, value)
    if value not in RETENTIONS:
        raise ValueError(f"保管期限应为：{'、'.join(RETENTIONS)}（“{value}”不是现行的保管期限）")
    return value


@dataclass(frozen=True)
class ArchiveProfile:
    """How an agency files its 案卷 (data/archive_profiles.toml)."""

    fonds: str = ""  # 全宗号
    catalog: str = ""  # 目录号
    secondary_volume: bool = False  # 副卷 for internal deliberation

    def reference(self, volume_number: str) -> str:
        """档号: 全宗号-目录号-案卷号 (DA/T 13-2022), parts left out when not configured."""
        return "-".join(p for p in (self.fonds, self.catalog, volume_number) if p)


def archive_profile(agency: str, override_dir: Path | None = None) -> ArchiveProfile:
    import tomllib

    path = ARCHIVE_PROFILES
    if override_dir is not None and (override_dir / ARCHIVE_PROFILES.name).is_file():
        path = override_dir / ARCHIVE_PROFILES.name
    data = tomllib.loads(path.read_text(encoding="utf-8")).get(agency, {})
    return ArchiveProfile(
        fonds=str(data.get("fonds", "")),
        catalog=str(data.get("catalog", "")),
        secondary_volume=bool(data.get("secondary_volume", False)),
    )


def package_path(sha256: str, filename: str) -> str:
    """Where a media file lies in the case's archive package (lawtrail.archive's layout:
    data/media/<sha256>.<ext>), printed in the 备考表 as the pointer to it."""
    suffix = PurePosixPath(filename).suffix.lower() if filename else ""
    if not suffix or len(suffix) > 8 or not suffix[1:].isalnum():
        suffix = ".bin"
    return f"data/media/{sha256}{suffix}"
