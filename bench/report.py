#!/usr/bin/env python3
"""Markdown table from bench/run.sh's output directory: median records/s and
bytes/s over the repetitions, their spread, and each contender's ratio to the
peer (libfixbuf) and to the baseline of the same benchmark family, all from the
same run. `--list-passes DIR` prints the IPFIX benchmark names (for callgrind)."""
import json
import os
import statistics
import sys

RECORDS_PER_PASS = 4096


def load(out):
    runs = {}
    context = None
    for f in ("ipfix_encode.json", "ipfix_decode.json", "trace_nodes.json", "exporter_events.json"):
        p = os.path.join(out, f)
        if not os.path.exists(p):
            continue
        d = json.load(open(p))
        context = context or d["context"]
        for b in d["benchmarks"]:
            name = b.get("run_name", b["name"])
            agg = b.get("aggregate_name")
            if agg not in (None, "median", "mean", "stddev"):
                continue
            r = runs.setdefault(name, {})
            r[agg or "single"] = b
    return runs, context


def fmt(x, unit=""):
    for s, k in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= k:
            return f"{x / k:.3g} {s}{unit}"
    return f"{x:.3g} {unit}"


def main():
    if sys.argv[1] == "--list-passes":
        runs, _ = load(sys.argv[2])
        print("\n".join(n for n in runs if n.startswith(("BM_encode_", "BM_decode_", "BM_export_"))))
        return
    out = sys.argv[1]
    runs, ctx = load(out)
    fam = {}
    for name, r in runs.items():
        f, _, who = name.partition("/")
        fam.setdefault(f, {})[who] = r

    def med(r, key):
        b = r.get("median") or r.get("single")
        return b[key]

    if ctx:
        print(f"Run {ctx.get('date', '')} on {ctx.get('host_name', '')}: {ctx.get('num_cpus')} CPUs at "
              f"{ctx.get('mhz_per_cpu')} MHz, load average {ctx.get('load_avg')}.\n")
    print("Medians of the repetitions (CPU time). Ratios compare contenders of the same family in the same run.\n")
    print("| benchmark | records/s | bytes/s | spread | / libfixbuf | / baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for f in sorted(fam):
        who = fam[f]
        peer = who.get("libfixbuf")
        base = who.get("baseline") or who.get("layout")
        for w in sorted(who, key=lambda k: (k not in ("ours", "runtime_values"), k)):
            r = who[w]
            ips = med(r, "items_per_second")
            bps = med(r, "bytes_per_second")
            spread = ""
            if "mean" in r and "stddev" in r and r["mean"]["items_per_second"]:
                spread = f"{100 * r['stddev']['items_per_second'] / r['mean']['items_per_second']:.0f}%"
            rp = f"{ips / med(peer, 'items_per_second'):.2f}x" if peer else ""
            rb = f"{ips / med(base, 'items_per_second'):.2f}" if base else ""
            print(f"| {f}/{w} | {fmt(ips)} | {fmt(bps, 'B')} | {spread} | {rp} | {rb} |")
    if any(f.startswith("BM_trace") for f in fam):
        print("\nFor BM_trace_*, the last column is the ratio to node_layout (compile-time offsets).")

    p = os.path.join(out, "parse.txt")
    if os.path.exists(p):
        t = [float(x) for x in open(p).read().split() if x.strip()]
        if t:
            print(f"\n`#include <ioam/ipfix.hpp>` with g++ -std=c++20 -fsyntax-only, {len(t)} runs: "
                  f"min {min(t):.2f} s, median {statistics.median(t):.2f} s, max {max(t):.2f} s.")
    p = os.path.join(out, "callgrind.txt")
    if os.path.exists(p) and os.path.getsize(p):
        rows = [l.split() for l in open(p) if l.strip()]
        ipr = {n: int(ir) / (int(k) * RECORDS_PER_PASS) for n, ir, k in rows}
        print("\nInstructions per record (callgrind, 10 passes of 4096 records, the pass only):\n")
        print("| benchmark | instructions/record | libfixbuf / this | this / baseline |")
        print("|---|---:|---:|---:|")
        for n in sorted(ipr):
            f = n.partition("/")[0]
            peer = ipr.get(f + "/libfixbuf")
            base = ipr.get(f + "/baseline")
            if peer and base:
                print(f"| {n} | {ipr[n]:.0f} | {peer / ipr[n]:.1f}x | {ipr[n] / base:.2f} |")
            elif base:
                print(f"| {n} | {ipr[n]:.0f} | | {ipr[n] / base:.2f} |")
            else:
                print(f"| {n} | {ipr[n]:.0f} | | |")
        print("\n(BM_export_*: per event, not per record.)")
    for name in ("replay.txt", "size.txt"):
        p = os.path.join(out, name)
        if os.path.exists(p) and os.path.getsize(p):
            print("\n" + open(p).read().strip())


if __name__ == "__main__":
    main()
