"""The HTML of `baochain explain` in a real browser: headless Chromium (Debian's `chromium`, which
`.ci/run` installs) lays out health.bao's document; we read back its DOM and screenshots.

Skipped, with the reason, only when Chromium is not installed."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl.syntax import ast
from dsl.cli.explain import explain
from dsl.explain.phrases import phrases_for
from dsl.pipeline import Compilation

ROOT = Path(__file__).resolve().parents[3]
HEALTH = ROOT / "contracts" / "health.bao"


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does this)",
)


def _browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.svgs = 0
        self.title = ""
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
        if tag in ("h1", "h2", "title") and self._in is None:
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            text = "".join(self._text).strip()
            if tag == "title":
                self.title = self.title or text  # the page's own, in <head>: the first
            else:
                self.headings.append((tag, text))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("explain-browser")
    pages = {}
    for lang in ("en", "zh"):
        page = folder / f"health.{lang}.html"
        result = CliRunner().invoke(explain, [str(HEALTH), "--lang", lang, "-o", str(page)])
        assert result.exit_code == 0, result.output
        pages[lang] = page
    pages["profile"] = folder / "profile"
    return pages


def _lifecycles() -> int:
    return sum(isinstance(d, ast.LifecycleDecl) for d in Compilation.from_file(HEALTH).tree.decls)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_browser_dom_has_the_headings_and_one_svg_per_lifecycle(rendered, lang: str):
    run = _browse(rendered[lang], rendered["profile"], "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    dom = _Dom()
    dom.feed(run.stdout)
    p = phrases_for(lang)
    title = Compilation.from_file(HEALTH).tree.name.name
    assert dom.headings[0] == ("h1", title)
    h2 = [text for tag, text in dom.headings if tag == "h2"]
    for key in ("parties", "records", "enums", "state", "events", "lifecycles", "actions", "views"):
        assert p(key) in h2, key
    assert dom.svgs == _lifecycles() >= 1


def _png_size_and_ink(png: bytes) -> tuple[int, int, float]:
    """Width, height and the share of non-white pixels of an 8-bit RGB(A) PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    inked = 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        inked += sum(1 for x in range(0, stride, channels) if min(line[x:x + 3]) < 200)
        prev = line
    return width, height, inked / (width * height)


# Headless Chromium will not make its window narrower than 500 px, so a phone is a 390 px wide
# frame holding the page: inside it the page sees a 390 px viewport and its media queries apply.
PHONE = 390


def _phone_frame(folder: Path, page: Path, height: int) -> Path:
    frame = folder / "phone.html"
    frame.write_text(
        "<!DOCTYPE html><html><head><style>body{margin:0} iframe{border:0;width:%dpx;height:%dpx}</style>"
        "</head><body><iframe src=\"%s\"></iframe></body></html>" % (PHONE, height, page.name),
        encoding="utf-8")
    return frame


def test_browser_screenshot_on_a_desktop(rendered, tmp_path: Path):
    shot = tmp_path / "desktop.png"
    run = _browse(rendered["en"], rendered["profile"], "--window-size=1280,1600", f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    w, h, ink = _png_size_and_ink(shot.read_bytes())
    assert (w, h) == (1280, 1600)
    assert 0.01 < ink < 0.5  # text on a white page: neither blank nor a solid block


def test_browser_screenshot_on_a_phone(rendered, tmp_path: Path):
    page = tmp_path / "health.html"
    page.write_bytes(rendered["en"].read_bytes())
    shot = tmp_path / "phone.png"
    run = _browse(_phone_frame(tmp_path, page, 1600), rendered["profile"], "--allow-file-access-from-files",
                  "--window-size=500,1600", f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    w, h, ink = _png_size_and_ink(shot.read_bytes())
    assert (w, h) == (500, 1600)
    assert 0.01 < ink < 0.5


def test_document_fits_a_phone_screen_without_sideways_scrolling(rendered, tmp_path: Path):
    # A copy of the page that reports its laid-out width to the frame's title (the page itself has
    # no script); wide tables scroll inside their own box and do not count.
    probe = tmp_path / "probe.html"
    probe.write_text(rendered["zh"].read_text(encoding="utf-8").replace(
        "</body>", "<script>parent.document.title = 'width=' + document.documentElement.scrollWidth"
                   " + '/' + window.innerWidth;</script></body>"), encoding="utf-8")
    run = _browse(_phone_frame(tmp_path, probe, 800), rendered["profile"], "--allow-file-access-from-files",
                  "--window-size=500,800", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    dom = _Dom()
    dom.feed(run.stdout)
    assert dom.title.startswith("width="), dom.title
    scroll_width, viewport = map(int, dom.title.removeprefix("width=").split("/"))
    assert viewport == PHONE
    assert scroll_width <= PHONE


def test_document_prints_to_pdf(rendered, tmp_path: Path):
    pdf = tmp_path / "health.pdf"
    run = _browse(rendered["en"], rendered["profile"], f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert run.returncode == 0, run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert pages >= 3  # the whole document, not a clipped first screen
