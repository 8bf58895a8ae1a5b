#!/usr/bin/env python3
"""weft benchmark driver (python3, standard library only).

Builds every kernel in bench/kernels/ for each engine into bench/out/, runs
them, checks that every engine computes the same checksum, and prints a
markdown table of times relative to native code.

Engines
  native       the kernel's C source, clang -O2, linked with harness/native_main.c
  wasm2c       the kernel's .wasm -> wasm2c -> clang -O2 + wabt's wasm-rt runtime
  node         node harness/run.mjs KERNEL.wasm N   (V8: Liftoff + TurboFan)
  wasm-interp  wabt's interpreter; 1.0.32 has no way to pass arguments, so it
               runs a copy of the .wasm with one extra export `main` that calls
               run(N) (wasm2wat -> add the wrapper -> wat2wasm); `run` itself
               is unchanged
  weft         `weft run --tier interp --invoke run KERNEL.wasm N` (the
               interpreter; `auto`, the default tier, would use the cache)
  weft-compiled  `weft run --tier compiled --invoke run KERNEL.wasm N` (the
               LLVM tier; `weft` loads it from weft-llvm.so next to itself)

Every engine except native runs the very same .wasm file (the wasm-interp copy
only adds the wrapper). Every kernel exports `long long run(int n)`, whose cost
is linear in n and whose result is a checksum.

Timing: the slope method
  Each (engine, kernel) is timed as a whole process (time.perf_counter around
  subprocess.run; nothing subtracted) at two sizes, n_lo = s*N/4 and
  n_hi = s*N*5/4, where N is the kernel's reference size (native takes about
  0.3 s at N) and s the engine's scale (1 for native/wasm2c/node, smaller for
  interpreters so they do not take minutes). Each size is run --repeat times
  and the best time is kept. The reported time is the cost of N units of work:

      t(N) = (best(n_hi) - best(n_lo)) / (n_hi - n_lo) * N

  The constant part of a run -- process start, reading and compiling the
  module (weft and node compile the module inside the timed process),
  instantiation, the kernel's own fixed setup -- appears in both measurements
  and cancels, so engines timed at different n compare on cost per unit of
  work. The raw process times are kept in bench/out/results.json.

Checksums
  Every timed run's output is compared with native's output at the same n,
  and every engine also runs each kernel at one common n (N/100, the "check"
  run). Any mismatch, crash or unparsable output is a loud error and the
  script exits non-zero.

Examples
  python3 bench/run.py                                  # everything
  python3 bench/run.py --engines native,node,wasm2c --kernels fib,sort
  python3 bench/run.py --quick                          # CI smoke: tiny n
  python3 bench/run.py --markdown bench/results/latest.md
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
KERNELS_DIR = BENCH / "kernels"
HARNESS = BENCH / "harness"

# Reference size N per kernel: native code (clang -O2, x86-64) takes about
# 0.3 s for N units. What one unit is, is said at the top of each kernel.
KERNELS = {
    "fib": 7000,
    "hash": 10000,
    "nbody": 4000000,
    "mandel": 1000,
    "matmul": 16000,
    "sieve": 3500,
    "sort": 1500,
    "indirect": 50000,
    "div64": 240000,
}
UNIT = {
    "fib": "one recursive fib(20..23) (i32 calls)",
    "hash": "FNV-1a + xorshift-multiply hash over a 16 KiB buffer (i64/i32 ALU, loads)",
    "nbody": "one step of a 5-body simulation (f64, sqrt)",
    "mandel": "one 64x64 Mandelbrot frame, <=128 iterations per point (f64)",
    "matmul": "one 48x48 f64 matrix multiply (loads/stores)",
    "sieve": "one sieve of Eratosthenes up to ~65536 (byte stores)",
    "sort": "sort 4096 pseudo-random i32, alternating quicksort/heapsort",
    "indirect": "1024 call_indirect through a 16-entry function table",
    "div64": "256 x (u64 div+rem, s64 div+rem)",
}

ALL_ENGINES = ["native", "wasm2c", "node", "wasm-interp", "weft", "weft-compiled"]
# Fraction of N each engine runs (interpreters are 10-100x slower).
DEFAULT_SCALE = {
    "native": 1.0,
    "wasm2c": 1.0,
    "node": 1.0,
    "wasm-interp": 1.0 / 32,
    "weft": 1.0 / 8,
    "weft-compiled": 1.0,  # compiled code: near native speed
}
QUICK_DIVISOR = 100  # --quick runs N/100 (and the same scales)

MASK64 = (1 << 64) - 1
CFLAGS_COMMON = ["-O2", "-fno-builtin", "-fno-math-errno", "-Wall", "-Wextra"]
WASM_LDFLAGS = [
    "--target=wasm32",
    "-nostdlib",
    "-Wl,--no-entry",
    "-Wl,--export=run",
    "-Wl,-z,stack-size=1048576",
]


class BenchError(Exception):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_cmd(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise BenchError(
            f"command failed ({r.returncode}): {shlex.join(cmd)}\n{r.stdout}{r.stderr}"
        )
    return r


# ---------------------------------------------------------------- wasm checks


def read_leb_u32(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def wasm_sections(data: bytes) -> dict[int, bytes]:
    if data[:8] != b"\0asm\1\0\0\0":
        raise BenchError("not a wasm binary")
    pos, out = 8, {}
    while pos < len(data):
        sid = data[pos]
        size, pos = read_leb_u32(data, pos + 1)
        if sid != 0:
            out[sid] = data[pos : pos + size]
        pos += size
    return out


def check_kernel_wasm(path: Path) -> None:
    """A kernel module must have no imports and export `run`."""
    sections = wasm_sections(path.read_bytes())
    if 2 in sections:
        count, _ = read_leb_u32(sections[2], 0)
        if count:
            raise BenchError(f"{path.name}: has {count} import(s); kernels must be freestanding")
    exports = sections.get(7, b"")
    if b"\x03run\x00" not in exports:
        raise BenchError(f"{path.name}: does not export function `run`")


# ---------------------------------------------------------------------- build


def find_wasm2c_runtime() -> tuple[Path, Path]:
    """Returns (dir with wasm-rt-impl.c, dir with wasm-rt.h)."""
    impl_dirs = [Path("/usr/share/wabt/wasm2c"), Path("/usr/src/wasm2c")]
    try:
        files = run_cmd(["dpkg", "-L", "wabt"]).stdout.split()
        impl_dirs += [Path(f).parent for f in files if f.endswith("/wasm-rt-impl.c")]
    except (BenchError, FileNotFoundError):
        pass
    for d in impl_dirs:
        if (d / "wasm-rt-impl.c").exists():
            for h in (d, Path("/usr/include")):
                if (h / "wasm-rt.h").exists():
                    return d, h
    raise BenchError("wasm2c runtime (wasm-rt-impl.c / wasm-rt.h) not found")


class Builder:
    def __init__(self, out: Path, cc: str):
        self.out = out
        self.cc = cc

    def _stale(self, target: Path, deps: list[Path]) -> bool:
        if not target.exists():
            return True
        t = target.stat().st_mtime
        return any(d.stat().st_mtime > t for d in deps)

    def deps(self, kernel: str) -> list[Path]:
        return [KERNELS_DIR / f"{kernel}.c", KERNELS_DIR / "common.h", Path(__file__)]

    def wasm(self, kernel: str) -> Path:
        target = self.out / "wasm" / f"{kernel}.wasm"
        if self._stale(target, self.deps(kernel)):
            target.parent.mkdir(parents=True, exist_ok=True)
            run_cmd([self.cc, *CFLAGS_COMMON, *WASM_LDFLAGS,
                     str(KERNELS_DIR / f"{kernel}.c"), "-o", str(target)])
        check_kernel_wasm(target)
        return target

    def native(self, kernel: str) -> Path:
        target = self.out / "native" / kernel
        deps = self.deps(kernel) + [HARNESS / "native_main.c"]
        if self._stale(target, deps):
            target.parent.mkdir(parents=True, exist_ok=True)
            run_cmd([self.cc, *CFLAGS_COMMON, str(KERNELS_DIR / f"{kernel}.c"),
                     str(HARNESS / "native_main.c"), "-o", str(target)])
        return target

    def wasm2c(self, kernel: str) -> Path:
        wasm = self.wasm(kernel)
        d = self.out / "wasm2c" / kernel
        target = d / kernel
        if self._stale(target, [wasm, HARNESS / "wasm2c_main.c"]):
            d.mkdir(parents=True, exist_ok=True)
            impl_dir, inc_dir = find_wasm2c_runtime()
            run_cmd(["wasm2c", "-n", "kernel", str(wasm), "-o", str(d / "kernel.c")])
            run_cmd([self.cc, "-O2", "-I", str(d), "-I", str(impl_dir), "-I", str(inc_dir),
                     str(d / "kernel.c"), str(impl_dir / "wasm-rt-impl.c"),
                     str(HARNESS / "wasm2c_main.c"), "-lm", "-o", str(target)])
        return target

    def interp_wrapper(self, kernel: str, n: int) -> Path:
        """The kernel with run's export replaced by `main() -> run(n)`."""
        wasm = self.wasm(kernel)
        d = self.out / "wasm-interp"
        target = d / f"{kernel}_n{n}.wasm"
        if self._stale(target, [wasm]):
            d.mkdir(parents=True, exist_ok=True)
            wat = run_cmd(["wasm2wat", str(wasm)]).stdout
            export = re.search(r'\(export "run" \(func (\$?[\w.]+)\)\)', wat)
            if not export:
                raise BenchError(f"{kernel}: cannot find run's export in wasm2wat output")
            func = export.group(1)
            wat = wat.replace(export.group(0), "")
            end = wat.rstrip().rfind(")")
            wat = (wat[:end] + f'\n  (func (export "main") (result i64)\n'
                   f"    (call {func} (i32.const {n}))))\n")
            wat_path = d / f"{kernel}_n{n}.wat"
            wat_path.write_text(wat)
            run_cmd(["wat2wasm", str(wat_path), "-o", str(target)])
        return target


# -------------------------------------------------------------------- engines


def parse_plain(stdout: str) -> int:
    lines = [l.strip() for l in stdout.splitlines() if l.strip()]
    if not lines:
        raise ValueError("no output")
    last = lines[-1]
    m = re.fullmatch(r"(?:i64[:=]\s*)?(-?\d+)", last)
    if not m:
        raise ValueError(f"unparsable result line {last!r}")
    return int(m.group(1)) & MASK64


def parse_wasm_interp(stdout: str) -> int:
    m = re.search(r"main\(\) => i64:(-?\d+)", stdout)
    if not m:
        raise ValueError("no `main() => i64:N` line")
    return int(m.group(1)) & MASK64


class Engine:
    def __init__(self, name: str, args: argparse.Namespace, builder: Builder):
        self.name = name
        self.args = args
        self.builder = builder

    def available(self) -> str | None:
        """None if usable, else the reason it is not."""
        need = {"native": [self.args.cc], "wasm2c": ["wasm2c", self.args.cc],
                "node": ["node"], "wasm-interp": ["wasm-interp", "wasm2wat", "wat2wasm"],
                "weft": [], "weft-compiled": []}[self.name]
        for tool in need:
            if not shutil.which(tool):
                return f"`{tool}` not found"
        if self.name in ("weft", "weft-compiled"):
            if not os.access(self.args.weft, os.X_OK):
                return f"weft binary {self.args.weft} not found (build it or pass --weft)"
        if self.name == "wasm2c":
            try:
                find_wasm2c_runtime()
            except BenchError as e:
                return str(e)
        return None

    def prepare(self, kernel: str) -> None:
        if self.name == "native":
            self.builder.native(kernel)
        elif self.name == "wasm2c":
            self.builder.wasm2c(kernel)
        else:
            self.builder.wasm(kernel)

    def command(self, kernel: str, n: int) -> list[str]:
        b = self.builder
        if self.name == "native":
            return [str(b.native(kernel)), str(n)]
        if self.name == "wasm2c":
            return [str(b.wasm2c(kernel)), str(n)]
        if self.name == "node":
            return ["node", str(HARNESS / "run.mjs"), str(b.wasm(kernel)), str(n)]
        if self.name == "wasm-interp":
            return ["wasm-interp", str(b.interp_wrapper(kernel, n)), "--run-all-exports"]
        if self.name == "weft":
            return [str(self.args.weft), "run", "--tier", "interp", "--invoke", "run",
                    str(b.wasm(kernel)), str(n)]
        if self.name == "weft-compiled":
            return [str(self.args.weft), "run", "--tier", "compiled", "--invoke", "run",
                    str(b.wasm(kernel)), str(n)]
        raise AssertionError(self.name)

    def run(self, kernel: str, n: int) -> tuple[float, int]:
        """Runs once; returns (wall seconds, checksum)."""
        cmd = self.command(kernel, n)  # builds outside the timed region
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.args.timeout)
        elapsed = time.perf_counter() - t0
        if r.returncode != 0:
            raise BenchError(f"{self.name} {kernel} n={n}: exit {r.returncode}\n"
                             f"$ {shlex.join(cmd)}\n{r.stdout}{r.stderr}")
        try:
            value = (parse_wasm_interp if self.name == "wasm-interp" else parse_plain)(r.stdout)
        except ValueError as e:
            raise BenchError(f"{self.name} {kernel} n={n}: {e}\n$ {shlex.join(cmd)}\n"
                             f"stdout: {r.stdout!r}\nstderr: {r.stderr!r}")
        return elapsed, value


# ---------------------------------------------------------------- measurement


def sizes(kernel: str, engine: str, args) -> tuple[int, int, int]:
    """(N, n_lo, n_hi) for this engine; n_hi - n_lo == round(s*N) units."""
    n_ref = KERNELS[kernel] // (QUICK_DIVISOR if args.quick else 1)
    units = max(4, round(n_ref * args.scale[engine]))
    n_lo = max(1, units // 4)
    return n_ref, n_lo, n_lo + units


class Checker:
    """Native's checksum at every n is the reference for every engine."""

    def __init__(self, native: Engine):
        self.native = native
        self.ref: dict[tuple[str, int], int] = {}
        self.errors: list[str] = []
        self.bad: set[tuple[str, str]] = set()  # (engine, kernel) that mismatched

    def reference(self, kernel: str, n: int) -> int:
        if (kernel, n) not in self.ref:
            self.ref[(kernel, n)] = self.native.run(kernel, n)[1]
        return self.ref[(kernel, n)]

    def check(self, engine: str, kernel: str, n: int, value: int) -> None:
        if engine == "native":
            self.ref.setdefault((kernel, n), value)
        want = self.reference(kernel, n)
        if value != want:
            msg = (f"CHECKSUM MISMATCH: {engine} {kernel} n={n}: got {value}, "
                   f"native says {want}")
            log("!" * 72 + "\n" + msg + "\n" + "!" * 72)
            self.errors.append(msg)
            self.bad.add((engine, kernel))


def geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}×" if x < 10 else f"{x:.1f}×" if x < 100 else f"{x:.0f}×"


def fmt_time(s: float | None) -> str:
    if s is None:
        return "–"
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1000:.2f} ms"


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(cmd: list[str]) -> str:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unavailable"

    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "src", "CMakeLists.txt"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        commit, dirty = "unknown", ""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "clang": version(["clang-19", "--version"]),
        "node": version(["node", "--version"]),
        "wabt": version(["wasm-interp", "--version"]),
        "git_commit": commit,
        "src_dirty": bool(dirty),
    }


def render(results: dict, engines: list[str], kernels: list[str],
           bad: set[tuple[str, str]]) -> tuple[str, str]:
    others = [e for e in engines if e != "native"]
    speedup = "weft" in engines and "wasm-interp" in engines
    head = ["kernel", "native t(N)"] + [f"{e} ×native" for e in others]
    if speedup:
        head.append("weft speedup over wasm-interp")
    rows, per_engine, speedups = [], {e: [] for e in others}, []
    for k in kernels:
        base = results[k]["native"]["t_ref"]
        row = [k, fmt_time(base)]
        for e in others:
            t = results[k].get(e, {}).get("t_ref")
            ratio = t / base if t and base else None
            if (e, k) in bad:
                ratio = None
                row.append("**WRONG CHECKSUM**")
            else:
                row.append(fmt_ratio(ratio))
            per_engine[e].append(ratio)
        if speedup:
            w, i = results[k]["weft"]["t_ref"], results[k]["wasm-interp"]["t_ref"]
            s = i / w if w and i and ("weft", k) not in bad else None
            speedups.append(s)
            row.append(fmt_ratio(s))
        rows.append(row)
    gm = ["**geomean**", ""] + [f"**{fmt_ratio(geomean(per_engine[e]))}**" for e in others]
    if speedup:
        gm.append(f"**{fmt_ratio(geomean(speedups))}**")
    rows.append(gm)

    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    table = "\n".join(lines)

    # Second table: per-unit cost and the sizes each engine ran.
    detail = ["| kernel | engine | n_lo | n_hi | best t(n_lo) | best t(n_hi) | µs per unit |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for k in kernels:
        for e in engines:
            r = results[k].get(e)
            if not r:
                continue
            per_unit = r["t_ref"] / r["n_ref"] * 1e6 if r["t_ref"] else None
            detail.append(f"| {k} | {e} | {r['n_lo']} | {r['n_hi']} | {fmt_time(r['t_lo'])} | "
                          f"{fmt_time(r['t_hi'])} | "
                          f"{'–' if per_unit is None else f'{per_unit:.3g}'} |")
    return table, "\n".join(detail)


def markdown_report(table: str, detail: str, args, info: dict, skipped: dict,
                    engines: list[str], kernels: list[str], inst: dict,
                    errors: list[str]) -> str:
    cmd = shlex.join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# weft benchmark results",
        "",
        f"Generated {when} at commit `{info['git_commit']}`"
        + (" (the working tree had uncommitted changes in src/)"
           if info["src_dirty"] and ("weft" in engines or "weft-compiled" in engines)
           and Path(args.weft).is_relative_to(ROOT) else "")
        + " by:",
        "",
        "```",
        f"python3 {cmd}",
        "```",
        "",
        "Machine: " + f"{info['nproc']} cores, {info['cpu']}, {info['os']}"
        + (f", load average {info['load_avg'][0]:.2f} at start" if info["load_avg"] else "")
        + ".",
        f"Tools: {info['clang']}; node {info['node']}; wabt {info['wabt']}.",
        "",
        *[line for note in args.note for line in (note, "")],
        "Each cell is the engine's time for the same work as native's t(N), as a ratio to "
        "native (lower is better). Times come from the slope between two process-level "
        f"measurements (best of {args.repeat} each), so process start, module compilation "
        "and instantiation cancel out; see bench/run.py. Every result was checked against "
        "native's checksum at the same n.",
        "",
        table,
        "",
    ]
    if "weft" in engines or "weft-compiled" in engines:
        out += [f"weft binary: `{args.weft}`.", ""]
        out += ["weft is timed as the whole `weft run --invoke run KERNEL.wasm N` process, "
                "which includes reading, validating and compiling the module; the slope "
                "removes that constant.", ""]
    if "weft-compiled" in engines:
        out += ["weft-compiled is the same process with `--tier compiled` (LLVM: the module "
                "is translated, optimized at O2 and JIT-compiled inside the timed process); "
                "the slope removes that constant too.", ""]
    if errors:
        out += ["**CHECKSUM MISMATCHES -- these results are invalid:**", ""]
        out += [f"- {m}" for m in errors] + [""]
    if args.quick:
        out += ["**--quick run: sizes are tiny, the times are not meaningful.**", ""]
    for e, why in skipped.items():
        out.append(f"Engine `{e}` skipped: {why}.")
    if skipped:
        out.append("")
    if inst:
        out += ["Instantiation (bench/instantiate/): a module with a 1 MiB active data "
                "segment and an empty exported function, compiled once; then per round a "
                "new instance (weft: a new Store + Instantiate) and one call. Mean over "
                f"{inst['iters']} rounds after a warm-up, timed inside the process.", "",
                "| engine | µs per instance |", "|---|---:|"]
        out += [f"| {e} | {v} |" for e, v in inst["results"].items()]
        out.append("")
    out += ["Kernels (bench/kernels/; N = the reference size, one unit of n is):", ""]
    out += [f"- `{k}` (N={KERNELS[k]}): {UNIT[k]}" for k in kernels]
    out += ["", "<details><summary>Raw measurements</summary>", "", detail, "", "</details>", ""]
    return "\n".join(out)


def run_instantiate(args, out: Path, engines: list[str]) -> dict:
    """The instantiation benchmark: node and, if built, the weft hook."""
    iters = 100 if args.quick else 2000
    d = out / "instantiate"
    d.mkdir(parents=True, exist_ok=True)
    module = d / "module.wasm"
    gen = BENCH / "instantiate" / "gen_module.py"
    if not module.exists() or module.stat().st_mtime < gen.stat().st_mtime:
        run_cmd([sys.executable, str(gen), str(module)])
    res: dict[str, str] = {}
    runners = {
        "node": ["node", str(BENCH / "instantiate" / "instantiate.mjs")],
        "weft": [args.weft_instantiate],
    }
    for e, cmd in runners.items():
        if e not in engines:
            continue
        if e == "weft" and not os.access(args.weft_instantiate, os.X_OK):
            res[e] = f"not built ({os.path.relpath(args.weft_instantiate, ROOT)})"
            log(f"   instantiate {e}: {res[e]}")
            continue
        r = run_cmd(cmd + [str(module), str(iters)], timeout=args.timeout)
        m = re.search(r"us_per_instance=([\d.]+)", r.stdout)
        if not m:
            raise BenchError(f"instantiate {e}: no us_per_instance in {r.stdout!r}")
        res[e] = m.group(1)
        log(f"   instantiate {e}: {res[e]} µs per instance")
    return {"iters": iters, "results": res}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the module docstring for the method.")
    p.add_argument("--engines", default=None,
                   help=f"comma-separated subset of {','.join(ALL_ENGINES)} "
                        "(native always runs: it is the reference)")
    p.add_argument("--kernels", default=",".join(KERNELS),
                   help=f"comma-separated subset of {','.join(KERNELS)}")
    p.add_argument("--weft", default=str(ROOT / "build" / "weft"), help="weft binary")
    p.add_argument("--repeat", type=int, default=3, help="runs per size; best is kept")
    p.add_argument("--quick", action="store_true",
                   help=f"tiny sizes (N/{QUICK_DIVISOR}), for a CI smoke test")
    p.add_argument("--scale", action="append", default=[], metavar="ENGINE=F",
                   help="fraction of N an engine runs (default: 1, interpreters 1/32)")
    p.add_argument("--markdown", metavar="FILE", help="also write the report here")
    p.add_argument("--out", default=str(BENCH / "out"), help="build/output directory")
    p.add_argument("--weft-instantiate", metavar="PATH",
                   default=str(ROOT / "build" / "bench" / "weft_bench_instantiate"),
                   help="the weft_bench_instantiate binary (target in bench/CMakeLists.txt)")
    p.add_argument("--no-instantiate", action="store_true",
                   help="skip the instantiation benchmark")
    p.add_argument("--note", action="append", default=[],
                   help="a line to add to the markdown report (e.g. how weft was built)")
    p.add_argument("--cc", default="clang-19")
    p.add_argument("--timeout", type=float, default=900, help="seconds per process")
    args = p.parse_args()

    args.weft = os.path.abspath(args.weft)
    args.weft_instantiate = os.path.abspath(args.weft_instantiate)
    scale = dict(DEFAULT_SCALE)
    for item in args.scale:
        name, _, value = item.partition("=")
        if name not in scale:
            p.error(f"--scale: unknown engine {name!r}")
        num, _, den = value.partition("/")  # "0.05" or "1/32"
        try:
            scale[name] = float(num) / (float(den) if den else 1.0)
        except ValueError:
            p.error(f"--scale: bad value {value!r}")
    args.scale = scale
    if args.repeat < 1:
        p.error("--repeat must be >= 1")

    explicit = args.engines is not None
    requested = [e.strip() for e in (args.engines or ",".join(ALL_ENGINES)).split(",")
                 if e.strip()]
    for e in requested:
        if e not in ALL_ENGINES:
            p.error(f"unknown engine {e!r}")
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    for k in kernels:
        if k not in KERNELS:
            p.error(f"unknown kernel {k!r}")

    out = Path(args.out)
    builder = Builder(out, args.cc)
    engines = ["native"] + [e for e in ALL_ENGINES if e in requested and e != "native"]
    skipped: dict[str, str] = {}
    objs: dict[str, Engine] = {}
    for e in engines:
        eng = Engine(e, args, builder)
        why = eng.available()
        if why:
            if explicit or e == "native":
                log(f"ERROR: engine {e} requested but unavailable: {why}")
                return 1
            log(f"WARNING: skipping engine {e}: {why}")
            skipped[e] = why
            continue
        objs[e] = eng
    engines = [e for e in engines if e in objs]

    info = machine_info()
    checker = Checker(objs["native"])
    results: dict = {k: {} for k in kernels}
    try:
        log("== build")
        for k in kernels:
            for e in engines:
                objs[e].prepare(k)

        log("== checksums at a common n")
        for k in kernels:
            n_check = max(1, KERNELS[k] // 100)
            if args.quick:
                n_check = max(1, n_check // 10)
            for e in engines:
                _, value = objs[e].run(k, n_check)
                checker.check(e, k, n_check, value)
            log(f"   {k:9} n={n_check}: {checker.reference(k, n_check)}")

        log("== timing")
        for k in kernels:
            for e in engines:
                n_ref, n_lo, n_hi = sizes(k, e, args)
                best = {n_lo: math.inf, n_hi: math.inf}
                raw = {n_lo: [], n_hi: []}
                for _ in range(args.repeat):
                    for n in (n_lo, n_hi):
                        t, value = objs[e].run(k, n)
                        checker.check(e, k, n, value)
                        raw[n].append(t)
                        best[n] = min(best[n], t)
                slope = (best[n_hi] - best[n_lo]) / (n_hi - n_lo)
                t_ref = slope * n_ref if slope > 0 else None
                if t_ref is None:
                    log(f"WARNING: {e} {k}: t(n_hi) <= t(n_lo); sizes too small to time")
                results[k][e] = {"n_ref": n_ref, "n_lo": n_lo, "n_hi": n_hi,
                                 "t_lo": best[n_lo], "t_hi": best[n_hi],
                                 "raw_lo": raw[n_lo], "raw_hi": raw[n_hi],
                                 "t_ref": t_ref}
                log(f"   {k:9} {e:12} n={n_lo}/{n_hi}: {best[n_lo]:.3f}s / {best[n_hi]:.3f}s"
                    f" -> t(N={n_ref}) = {fmt_time(t_ref)}")
        inst = {}
        if not args.no_instantiate and ("node" in engines or "weft" in engines):
            log("== instantiation")
            inst = run_instantiate(args, out, engines)
    except BenchError as err:
        log("ERROR: " + str(err))
        return 1
    except subprocess.TimeoutExpired as err:
        log(f"ERROR: timed out after {err.timeout}s: {shlex.join(err.cmd)}")
        return 1

    table, detail = render(results, engines, kernels, checker.bad)
    print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(
        {"argv": sys.argv, "machine": info, "skipped": skipped, "results": results,
         "instantiate": inst,
         "checksums": {f"{k}@{n}": v for (k, n), v in checker.ref.items()},
         "errors": checker.errors}, indent=1))
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(
            markdown_report(table, detail, args, info, skipped, engines, kernels, inst,
                            checker.errors))
        log(f"wrote {args.markdown}")
    if checker.errors:
        log(f"FAILED: {len(checker.errors)} checksum mismatch(es):")
        for m in checker.errors:
            log("  " + m)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
