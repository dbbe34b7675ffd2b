#!/usr/bin/env bash
# Turns the JSON of scripts/bench-jmh.sh into the markdown tables of docs/benchmarks.md.
#   scripts/bench-jmh-table.sh [benchmarks/target/results.json]
set -euo pipefail
exec python3 - "${1:-benchmarks/target/results.json}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
R = {}
for b in d:
    name = b["benchmark"].split(".")[-2:]
    p = b.get("params", {})
    raw = [x for fork in b["primaryMetric"]["rawData"] for x in fork]
    R[(tuple(name), tuple(sorted(p.items())))] = (b["primaryMetric"]["score"], min(raw), max(raw))
def get(cls, m, **kw):
    key = ((cls, m), tuple(sorted((k, str(v)) for k, v in kw.items())))
    return R.get(key)
def fmt(v, div=1.0):
    if v is None: return "-"
    s, lo, hi = (x / div for x in v)
    f = lambda x: ("%.0f" % x) if x >= 100 else ("%.1f" % x) if x >= 10 else ("%.2f" % x)
    return "%s (%s–%s)" % (f(s), f(lo), f(hi))
print("Lookup, getattr through OverlayFs (µs/op: mean of the measured iterations, min–max in brackets)\n")
print("| lower layers | existing, top | existing, bottom | missing | whited-out, top | whited-out, bottom |")
print("|---|---|---|---|---|---|")
for n in (1, 8, 32, 128, 500):
    row = [fmt(get("LookupBench", "existing", layers=n, position="top"), 1000), fmt(get("LookupBench", "existing", layers=n, position="bottom"), 1000),
           fmt(get("LookupBench", "missing", layers=n, position="top"), 1000),
           fmt(get("LookupBench", "whitedOut", layers=n, position="top"), 1000), fmt(get("LookupBench", "whitedOut", layers=n, position="bottom"), 1000)]
    print("| %d | %s |" % (n, " | ".join(row)))
print("\nReaddir of one merged directory (ms/op)\n")
print("| lower layers | 100 entries (1-byte files) | 100 entries (empty files) | 10,000 entries (1-byte) | 10,000 entries (empty) |")
print("|---|---|---|---|---|")
for n in (1, 8, 32):
    row = [fmt(get("ReaddirBench", "readdir", layers=n, entries=e, fileBytes=b), 1000) for e in (100, 10000) for b in (1, 0)]
    print("| %d | %s |" % (n, " | ".join(row)))
print("\nCopy-up of one lower file vs plain copies on the same ext4 (ms/op)\n")
ms = ["stratafsAppend", "stratafsAppendNoFsync", "stratafsChmod", "filesCopy", "filesCopyFsync", "copyFileRange", "cpReflinkAuto"]
print("| size | " + " | ".join(ms) + " |")
print("|---|" + "---|" * len(ms))
for s, lab in ((4096, "4 KiB"), (1048576, "1 MiB"), (67108864, "64 MiB"), (268435456, "256 MiB")):
    print("| %s | %s |" % (lab, " | ".join(fmt(get("CopyUpBench", m, size=s), 1000) for m in ms)))
for cls, title in (("SyscallFloorBench", "Syscall floor (µs/op)"), ("FuseAdapterBench", "FUSE adapter per call, no kernel (µs/op)"),
                   ("ReplyChannelBench", "FUSE reply channel per reply, no kernel (µs/op)")):
    fa = [(k[0][1] + "".join(" %s=%s" % kv for kv in k[1]), v) for k, v in R.items() if k[0][0] == cls]
    if fa:
        print("\n%s\n" % title)
        print("| benchmark | µs/op |")
        print("|---|---|")
        for m, v in sorted(fa):
            print("| %s | %s |" % (m, fmt(v, 1000)))
PY
