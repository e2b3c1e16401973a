"""Copies OUT/raw, OUT/cmssw-capture and OUT/stdout to OUT/norm with volatile values masked."""
import json, os, re, sys, shutil
out, repo = sys.argv[1], sys.argv[2]
norm = os.path.join(out, "norm")
shutil.rmtree(norm, ignore_errors=True)
VOLATILE = re.compile(r"(At|pid|loadAverage|revision|Kb|Ms|Mib|MiB|Seconds|seconds|summary|summaries|statistics|results|median|p16|p84|ratio|low|high|mean|std|cv|min|max|throughput|warnings|drift|outliers|medianCi|mannWhitney|loadMs|hostname|kernel|cpuModel|graphSha256|sha256|area|config)$")
def mask(v, key=""):
    if isinstance(v, dict):
        return {k: ("<v>" if VOLATILE.search(k) and not isinstance(v[k], (dict, list)) else mask(x, k)) if not (VOLATILE.search(k) and k in ("summary","results","warnings","statistics","medianCi","mannWhitney","drift","outliers","summaries")) else "<masked>" for k, x in v.items()}
    if isinstance(v, list):
        return [mask(x, key) for x in v]
    if isinstance(v, float):
        return "<float>"
    if isinstance(v, str):
        return text(v)
    return v
def text(s):
    s = s.replace(out, "<OUT>").replace(repo, "<REPO>")
    s = re.sub(r"\d+\.\d+\.\d+\+[0-9a-f]{12}(-dirty)?", "<REV>", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<TIME>", s)
    s = re.sub(r"/(measure|cmsrun|collect)-[A-Za-z0-9]{6}", r"/\1-XXXXXX", s)
    return s
for src in ["raw", "cmssw-capture", "stdout"]:
    for root, dirs, files in os.walk(os.path.join(out, src)):
        if "/software" in root or "/raw/cmssw-sw" in root: continue
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, out)
            dst = os.path.join(norm, text(rel))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if f.endswith((".pdf", ".png", ".gz")):
                open(dst, "w").write(f"<binary {os.path.getsize(p) > 0}>\n"); continue
            data = open(p, "rb").read().decode("utf8", "replace")
            if f.endswith(".json"):
                try: data = json.dumps(mask(json.loads(data)), indent=1, sort_keys=False) + "\n"
                except Exception: data = text(data)
            elif f.endswith(".csv") and not f.startswith("memory"):
                lines = data.splitlines()
                meta = [text(l) for l in lines if l.startswith("#")]
                meta = [re.sub(r"^# (host|cpu|graph_sha256): .*", r"# \1: <v>", l) for l in meta]
                rows = [l.split(",")[0] for l in lines if l and not l.startswith("#")]
                from collections import Counter
                data = "\n".join(meta + [f"rows: {dict(Counter(rows))}"]) + "\n"
            elif f.endswith(".html"):
                data = f"<html {len(data) > 1000}>\n"
            else:
                data = text(data)
                if "stdout" in rel or f.startswith("memory") or (f.endswith(".txt") and "compare" in f):
                    data = re.sub(r"\b\d+\.\d+\b", "<float>", data)
                    data = re.sub(r"(?<=\s)[-+]?\d+(\.\d+)?(e[-+]?\d+)?(?=\s|$)", "<n>", data, flags=re.M)
                    data = re.sub(r"[ -]{2,}", " ", data)
                    data = "".join(l for l in data.splitlines(True) if not l.lstrip().startswith("warning:"))
            open(dst, "w").write(data)
