"""Benchmark: rendering the 专家工作证 PDF (第七条; SPEC §4) with ``printables.render_pdf``.

Renders ``permit.html`` (one card, front and back, photo and verification QR) once cold —
in a fresh process, so the 5 MB Chinese font collection is parsed — then ``--renders``
times warm, as a long-lived gunicorn worker would, and the 8-card A4 ``permit_sheet.html``
the same way. Each render has its own photo and token, as in real use.

Prints the cold time, the warm median (wall clock and CPU) and p90, the cold/warm ratio, and the PDF size; also
checks that the PDF embeds the Chinese font (``pdffonts``) and that its text holds the name
and permit number (``pdftotext``). Targets: warm median CPU time ≤ 250 ms per card (wall
time on a busy machine also counts other processes), card PDF ≤ 100 KB. Exit status 1 when a
target is missed. Run from the repository root::

    .venv/bin/python bench/permit_pdf_bench.py [--renders 20]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_WARM_MS = 250
MAX_BYTES = 100 * 1024


def photo(seed: int) -> bytes:
    """An 一寸 photo as the upload service stores it (sanitised JPEG)."""
    from PIL import Image, ImageDraw

    from app.services.images import sanitize_photo

    image = Image.new("RGB", (413, 579), (40 + seed % 150, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((124, 104, 289, 318), fill="#f1d3b8")
    draw.ellipse((50, 347, 363, 724), fill="#222222")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return sanitize_photo(out.getvalue())


def card(n: int) -> dict:
    return {
        "name": ["刘大地", "张卫国", "陈静", "欧阳明华"][n % 4],
        "photo": photo(n),
        "groups": [["冶金煤气", "金属冶炼", "有限空间"], ["化工"], ["机械", "电气"], ["烟花爆竹"]][n % 4],
        "permit_no": f"WJAQZJ-2026-{n:05d}",
        "valid_from": dt.date(2026, 1, 1),
        "valid_until": dt.date(2028, 12, 31),
        "verify_url": f"https://yjglj.wj.gov.cn/verify/{secrets.token_urlsafe(24)}",
    }


def timed(render, contexts) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each render."""
    wall, cpu = [], []
    for context in contexts:
        start, start_cpu = time.perf_counter(), time.process_time()
        render(context)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return sorted(wall), sorted(cpu)


def cold_ms() -> float:
    """The first render in a fresh interpreter (font parsing included)."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
        "import permit_pdf_bench as b; from printables import render_pdf\n"
        "ctx = {'permit': b.card(1)}\n"
        "t = time.perf_counter(); render_pdf('permit.html', ctx); print((time.perf_counter() - t) * 1000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def check_pdf(pdf: bytes, expect: list[str]) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        fonts = subprocess.run(["pdffonts", fh.name], capture_output=True, text=True).stdout
        text = subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True).stdout
    problems = []
    if "WenQuanYiMicroHei" not in fonts:
        problems.append("未嵌入中文字体")
    problems += [f"缺少“{e}”" for e in expect if e not in text.replace(" ", "")]
    return "；".join(problems) or "字体已嵌入，文字可提取"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()
    from printables import render_pdf

    cold = cold_ms()
    render_pdf("permit.html", {"permit": card(0)})  # warm this process
    cards = [card(n) for n in range(1, args.renders + 1)]
    warm, warm_cpu = timed(lambda c: render_pdf("permit.html", {"permit": c}), cards)
    single = render_pdf("permit.html", {"permit": cards[0]})
    sheets = [[card(100 + 8 * i + k) for k in range(8)] for i in range(max(3, args.renders // 4))]
    render_pdf("permit_sheet.html", {"permits": sheets[0]})
    sheet_ms, _ = timed(lambda s: render_pdf("permit_sheet.html", {"permits": s}), sheets)
    sheet = render_pdf("permit_sheet.html", {"permits": sheets[0]})

    median = statistics.median(warm)
    median_cpu = statistics.median(warm_cpu)
    p90 = warm[max(0, int(len(warm) * 0.9) - 1)]
    try:
        load = f"，机器负载 {__import__('os').getloadavg()[0]:.1f}"
    except OSError:
        load = ""
    print(f"专家工作证 PDF（printables.render_pdf('permit.html')，热渲染 {len(warm)} 次）")
    print(f"  冷启动首次渲染（新进程，含解析字体）：{cold:.0f} ms")
    print(f"  热渲染：中位数 {median:.0f} ms（CPU {median_cpu:.0f} ms{load}），p90 {p90:.0f} ms；"
          f"冷/热 = {cold / median:.1f}")
    single_check = check_pdf(single, [cards[0]["name"], cards[0]["permit_no"]])
    print(f"  单张证件 PDF 大小：{len(single) / 1024:.1f} KB（正反两面）；{single_check}")
    print(f"  A4 八证排版 permit_sheet.html：中位数 {statistics.median(sheet_ms):.0f} ms"
          f"（每证 {statistics.median(sheet_ms) / 8:.0f} ms），{len(sheet) / 1024:.1f} KB")
    # The target is on CPU time: on a shared 2-core machine the wall time also counts the
    # time other processes held the CPU, which is not the render's cost.
    ok = median_cpu <= MAX_WARM_MS and len(single) <= MAX_BYTES
    print(f"  目标：热渲染 CPU 时间 ≤ {MAX_WARM_MS} ms、大小 ≤ {MAX_BYTES // 1024} KB —— {'达标' if ok else '未达标'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
