"""Bench: `normalize_image` against the naive Pillow pipeline, each run in a fresh process.

`python -m tests.bench.bench_normalize` generates phone-like JPEGs (12 MP and 48 MP, EXIF orientation 6,
photo-like content so their sizes are realistic) and a ~3 MB compliant JPEG, then times, in a new interpreter per
run, ours and the naive `open → exif_transpose → convert("RGB") → LANCZOS resize → save` to the same output size
with the same ICC handling and encoder settings. Each child reports, for the work alone (imports excluded), its
wall time, its CPU time and its peak RSS (VmHWM). The work is single-threaded, so on an idle machine wall and CPU
time agree; on a busy one the CPU time still shows the work each variant does. The medians go to the `normalize`
section of bench/results.json, with the PSNR of our output against the naive one (the full-resolution LANCZOS
reference) to show the speed costs no visible quality. `bars_met` says whether the issue's bars hold: 48 MP at
least 3x faster with at most half the peak memory, 12 MP no slower, and the pass-through under 20 ms.
"""

from __future__ import annotations

import io
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from skin_analysis.imaging.policy import plan_size
from skin_analysis.quality import Quality
from tests.bench.results import record
from tests.unit.imaging.corpus import exif_bytes, jpeg_with_all_metadata, photo

RUNS = 7
PHONE_SIZES = {"12mp": (4032, 3024), "48mp": (8064, 6048)}
PASSTHROUGH_SIZE = (2560, 1920)
PASSTHROUGH_TARGET_BYTES = 3_000_000
PHONE_JPEG_QUALITY = 92
# The acceptance bars: `bars_met` in the results says whether this run met all of them.
BAR_SPEEDUP_48MP = 3.0
BAR_PEAK_RATIO_48MP = 0.5
BAR_SPEEDUP_12MP = 1.0
BAR_PASSTHROUGH_MS = 20.0

# Run in the child: the timed work for each variant. Both encode with our settings, so only the pipeline differs.
_CHILD = """
import io, json, sys, time
from pathlib import Path
from PIL import Image, ImageCms, ImageOps
import PIL.TiffImagePlugin  # imported by the first getexif() of either variant: import cost, excluded
from skin_analysis.imaging import normalize_image
from skin_analysis.imaging.encode import QUALITY_LADDER, SUBSAMPLING_444
from skin_analysis.quality import Quality

variant, path, width, height, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data = open(path, "rb").read()

def naive():
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    icc = image.info.get("icc_profile")
    if icc:
        image = ImageCms.profileToProfile(image, io.BytesIO(icc), ImageCms.createProfile("sRGB"), outputMode="RGB")
    image = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY_LADDER[0], subsampling=SUBSAMPLING_444)
    return image.size, out.getvalue()

def ours():
    result = normalize_image(data, Quality.HD)
    return result.size, result.data

work = {"naive": naive, "ours": ours}[variant]
Image.preinit()  # Pillow imports its common plugins on first open: import cost, excluded like the imports above
started, cpu_started = time.perf_counter(), time.process_time()
size, output = work()
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
assert size == (width, height), size
Path(out_path).write_bytes(output)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so a child would report the bench's own peak.
status = Path("/proc/self/status").read_text()
peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
print(json.dumps({"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "peak_mb": peak_kb / 1024}))
"""


def output_path(path: Path, variant: str) -> Path:
    """Where the child running `variant` on `path` leaves its output JPEG (each run overwrites the last)."""
    return path.with_name(f"{path.stem}.{variant}.jpg")


def run_child(variant: str, path: Path, size: tuple[int, int]) -> dict[str, float]:
    """Run one variant on one file in a fresh interpreter; its wall time (ms) and peak RSS (MB)."""
    out = output_path(path, variant)
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, variant, str(path), str(size[0]), str(size[1]), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(completed.stdout)
    return figures


def medians(variants: tuple[str, ...], path: Path, size: tuple[int, int]) -> dict[str, dict[str, float]]:
    """Median wall time, CPU time and peak RSS of each variant over RUNS fresh processes each.

    The variants take turns, so a load change on the machine during the bench hits both alike.
    """
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    for _ in range(RUNS):
        for variant in variants:
            runs[variant].append(run_child(variant, path, size))
    return {
        variant: {key: round(statistics.median(r[key] for r in results), 1) for key in ("ms", "cpu_ms", "peak_mb")}
        for variant, results in runs.items()
    }


def psnr_db(first: Path, second: Path) -> float:
    """Peak signal-to-noise ratio between two decoded JPEGs of one size: above 40 dB the eye sees no difference."""
    with Image.open(first) as a, Image.open(second) as b:
        difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    mse = statistics.fmean(rms**2 for rms in ImageStat.Stat(difference).rms)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def phone_jpeg(size: tuple[int, int]) -> bytes:
    """A phone-like JPEG: stored landscape with EXIF orientation 6, as phones store portrait shots."""
    buffer = io.BytesIO()
    photo(size).save(buffer, "JPEG", quality=PHONE_JPEG_QUALITY, exif=exif_bytes(6, gps=True))
    return buffer.getvalue()


def compliant_jpeg() -> bytes:
    """A compliant JPEG of about 3 MB (upright, sRGB, 2560 px, HD-sized) carrying EXIF, GPS, XMP and IPTC."""
    image = photo(PASSTHROUGH_SIZE)
    data = b""
    for quality in range(80, 101):
        data = jpeg_with_all_metadata(image, jpeg_quality=quality)
        if len(data) >= PASSTHROUGH_TARGET_BYTES:
            break
    return data


def main() -> None:
    """Generate the inputs, run every variant RUNS times in fresh processes, print and record the medians."""
    figures: dict[str, float | int | bool] = {"runs": RUNS}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in PHONE_SIZES.items():
            path = Path(tmp) / f"phone_{label}.jpg"
            path.write_bytes(phone_jpeg(size))
            target = plan_size(size[1], size[0], Quality.HD)  # upright: orientation 6 swaps the sides
            measured = medians(("ours", "naive"), path, target)
            ours, naive = measured["ours"], measured["naive"]
            figures |= {
                f"input_mb_{label}": round(path.stat().st_size / 1e6, 2),
                f"ours_ms_{label}": ours["ms"],
                f"naive_ms_{label}": naive["ms"],
                f"ours_cpu_ms_{label}": ours["cpu_ms"],
                f"naive_cpu_ms_{label}": naive["cpu_ms"],
                f"ours_peak_mb_{label}": ours["peak_mb"],
                f"naive_peak_mb_{label}": naive["peak_mb"],
                f"speedup_{label}": round(naive["ms"] / ours["ms"], 2),
                f"cpu_speedup_{label}": round(naive["cpu_ms"] / ours["cpu_ms"], 2),
                f"peak_mb_ratio_{label}": round(ours["peak_mb"] / naive["peak_mb"], 3),
                f"psnr_vs_naive_db_{label}": round(psnr_db(output_path(path, "ours"), output_path(path, "naive")), 1),
            }
            print(label, ours, naive, flush=True)
        path = Path(tmp) / "compliant.jpg"
        path.write_bytes(compliant_jpeg())
        with Image.open(path) as image:
            passthrough = medians(("ours",), path, image.size)["ours"]
        figures |= {
            "passthrough_input_mb": round(path.stat().st_size / 1e6, 2),
            "passthrough_ms": passthrough["ms"],
            "passthrough_peak_mb": passthrough["peak_mb"],
        }
    figures["bars_met"] = (
        figures["speedup_48mp"] >= BAR_SPEEDUP_48MP
        and figures["peak_mb_ratio_48mp"] <= BAR_PEAK_RATIO_48MP
        and figures["speedup_12mp"] >= BAR_SPEEDUP_12MP
        and figures["passthrough_ms"] < BAR_PASSTHROUGH_MS
    )
    print(json.dumps(figures, indent=2))
    record("normalize", figures)


if __name__ == "__main__":
    main()
