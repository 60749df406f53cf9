#!/bin/sh
# faultline's own cost over the non-propagating flagship variant
# (scenarios/hung-dependency.toml --variant non-propagating, 100 ms sampling,
# about 1,000 target threads at peak), RUNS times. Per run it prints:
#   cpu      faultline's own CPU (every thread of the faultline process, not
#            its children) over the process's wall time, as % of one core,
#            and split by thread: loop (the event loop, the main thread),
#            sampler and census (the "fl-reads" threads, in that order),
#            other
#   lag      loop_lag_ms p50/p99/max over the run's samples (nearest rank,
#            as the report's "harness cost" section)
#   start    requests.start_lag_ms p99 and max
#   sample   sample_ms median and max (wall time of one sample's reads)
#   floor    the same measure as loop_lag_ms taken by tools/bench/timer_floor.c
#            beside the run: a bare C thread at SCHED_RR 1 sleeping to 10 ms
#            deadlines, worst lateness per 100 ms; what this machine gives
#            a thread that does nothing else (needs cc; skipped without)
# Before the runs it prints what a null system call costs on this machine
# (tools/bench/syscall_cost.c): faultline's CPU is mostly kernel time (the
# cpu line splits user and system), so that price scales it.
# and the load average and the host's TCP socket count before each run (the
# inet_diag walk grows with every socket on the host, anyone's). Then the
# range of each figure over the runs, and the goals of issue 8.
# Usage: tools/bench/flagship.sh [BUILD_DIR] [RUNS]
# Goals (issue 8): CPU at most 10 % of one core; loop_lag_ms p99 at most 1 ms.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
runs=${2:-3}
dir=$(mktemp -d /tmp/faultline-flagship-XXXXXX)
trap 'rm -rf "$dir"' EXIT
export PATH="$build/bin:$PATH"
floor=""
if command -v cc >/dev/null 2>&1 && cc -O2 -o "$dir/timer_floor" "$here/tools/bench/timer_floor.c"; then
  floor=$dir/timer_floor
fi
if command -v cc >/dev/null 2>&1 && cc -O2 -o "$dir/syscall_cost" "$here/tools/bench/syscall_cost.c"; then
  echo "this machine: $("$dir/syscall_cost")"
fi
python3 - "$build/bin/faultline" "$here/scenarios/hung-dependency.toml" "$dir" "$runs" "$floor" <<'PY'
import json, math, os, subprocess, sys, time

faultline, scenario, out, runs, floor = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
hz = os.sysconf("SC_CLK_TCK")


def rank(values, p):  # nearest rank, as reports/harness_cost.cc
    v = sorted(x for x in values if x is not None and math.isfinite(x))
    if not v:
        return float("nan")
    return v[max(0, min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1))]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def tcp_sockets():
    text = subprocess.run(["ss", "-s"], capture_output=True, text=True).stdout
    for line in text.splitlines():
        if line.startswith("TCP:"):
            return line.split("(")[0].split()[1]
    return "?"


def one(run):
    load = open("/proc/loadavg").read().split()[:3]
    socks = tcp_sockets()
    dest = f"{out}/run{run}"
    t0 = time.monotonic()
    # 200 windows of 100 ms: over, and ending within, the ~23 s of the run
    beside = subprocess.Popen([floor, "200", "rr"], stdout=subprocess.PIPE, text=True) if floor else None
    p = subprocess.Popen([faultline, "run", scenario, "--variant", "non-propagating", "--out", dest, "-q"],
                         stdout=subprocess.DEVNULL, stderr=open(f"{out}/log{run}", "w"))
    total = user = 0.0
    threads = {}  # tid -> (name, cpu seconds) as last seen
    while p.poll() is None:
        stat = read(f"/proc/{p.pid}/stat")
        if stat:
            f = stat[stat.rfind(")") + 2:].split()
            user, total = int(f[11]) / hz, (int(f[11]) + int(f[12])) / hz
        try:
            tids = os.listdir(f"/proc/{p.pid}/task")
        except OSError:
            tids = []
        for tid in tids:
            name = read(f"/proc/{p.pid}/task/{tid}/comm")
            sched = read(f"/proc/{p.pid}/task/{tid}/schedstat")
            if name and sched:
                threads[tid] = (name.strip(), int(sched.split()[0]) / 1e9)
        time.sleep(0.05)
    wall = time.monotonic() - t0
    floor99 = float("nan")
    if beside:
        words = beside.communicate()[0].split()
        floor99 = float(words[words.index("p99") + 1]) if "p99" in words else float("nan")
    if p.returncode not in (0, 1):
        sys.exit(f"flagship.sh: faultline exited {p.returncode}; see {out}/log{run}")
    by_name = {}
    reads = 0
    for tid in sorted(threads, key=int):  # "fl-reads": the sampler's first, then the census's
        name, cpu = threads[tid]
        if name == "fl-reads":
            key = "sampler" if reads == 0 else "census"
            reads += 1
        else:
            key = "loop" if tid == str(p.pid) else "other"
        by_name[key] = by_name.get(key, 0) + cpu
    v = json.load(open(f"{dest}/results.json"))["variants"][0]
    samples = v["samples"]
    lag = [s.get("loop_lag_ms") for s in samples]
    smp = [s.get("sample_ms") for s in samples]
    start = v["requests"]["start_lag_ms"]
    return {
        "load": " ".join(load), "socks": socks, "wall": wall, "cpu": total, "user": user,
        "pct": 100 * total / wall, "split": by_name,
        "lag50": rank(lag, 50), "lag99": rank(lag, 99), "lagmax": rank(lag, 100),
        "start99": start["p99"], "startmax": start["max"],
        "smp50": rank(smp, 50), "smpmax": rank(smp, 100), "floor99": floor99,
    }


results = []
for r in range(1, runs + 1):
    x = one(r)
    results.append(x)
    split = ", ".join(f"{k} {100 * s / x['wall']:.1f}%" for k, s in sorted(x["split"].items()))
    print(f"run {r}: load {x['load']}, {x['socks']} TCP sockets on the host")
    print(f"  cpu    {x['cpu']:.2f} s over {x['wall']:.1f} s = {x['pct']:.1f}% of a core ({split})"
          f"; user {x['user']:.2f} s, system {x['cpu'] - x['user']:.2f} s")
    print(f"  lag    loop_lag_ms p50 {x['lag50']:.3f}  p99 {x['lag99']:.3f}  max {x['lagmax']:.3f}"
          f"  (floor beside it: p99 {x['floor99']:.3f})")
    print(f"  start  start_lag_ms p99 {x['start99']:.3f}  max {x['startmax']:.3f}")
    print(f"  sample sample_ms median {x['smp50']:.3f}  max {x['smpmax']:.3f}")
    sys.stdout.flush()


def span(key, fmt="{:.2f}"):
    v = [x[key] for x in results]
    return fmt.format(min(v)) + ".." + fmt.format(max(v)), max(v)


print(f"over {runs} runs:")
cpu, cpu_max = span("pct", "{:.1f}")
lag99, lag99_max = span("lag99", "{:.3f}")
for label, key in (("loop_lag p50 ms", "lag50"), ("loop_lag max ms", "lagmax"),
                   ("start_lag p99 ms", "start99"), ("sample_ms median", "smp50")):
    print(f"  {label:<18} {span(key, '{:.3f}')[0]}")
print(f"  faultline CPU      {cpu} % of a core (goal <= 10): {'met' if cpu_max <= 10 else 'NOT met'}")
print(f"  loop_lag p99 ms    {lag99} (goal <= 1): {'met' if lag99_max <= 1 else 'NOT met'}")
if floor:
    print(f"    (for reading: the floor, a bare SCHED_RR thread beside each run: p99 {span('floor99', '{:.3f}')[0]})")
PY
