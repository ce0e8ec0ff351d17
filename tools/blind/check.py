"""Score suites through seer's reasoning on the shared CT and MR, in process, without computing masks (about 30 s
for every suite): write OUT/<suite>.jsonl and print accuracy, wrong masks, answers right at >= 0.9 and crashes.

Rows are the same as `cli.py bench ... --methods seer` gives (the same `Bench` and `understand`), which also computes
the masks, Dice and plots and is the command for reported figures. Usage (from the repository root):

    .venv/bin/python tools/blind/check.py OUT [SUITE.jsonl ...] [--dicom DICOM_FOLDER]

Without suites it runs every suite in apps/seer/lib/bench/suites/ (a `_mr` suffix or an `mr_` prefix means the MR).
"""
import argparse
import json
import time
from pathlib import Path

from images import REPO, bench_for
from lib.bench.run import load_suite
from lib.bench.metrics import is_correct, is_wrong_mask

ap = argparse.ArgumentParser(); ap.add_argument('out'); ap.add_argument('suites', nargs='*')
ap.add_argument('--dicom', help='DICOM folder to use as the CT image')
a = ap.parse_args()
SUITES = REPO / 'apps' / 'seer' / 'lib' / 'bench' / 'suites'
paths = [Path(s) for s in a.suites] or sorted(p for p in SUITES.glob('*.jsonl') if p.name != 'learning.jsonl')
def kind(p):
    n = p.stem
    return 'mr' if n.endswith('_mr') or n.startswith('mr_') else 'ct'
out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
benches = {}
def bench(k):
    if k not in benches:
        benches[k] = bench_for(k, a.dicom if k == 'ct' else None)
    return benches[k]
tot = {}
for p in paths:
    k = kind(p); b = bench(k); rows = load_suite(p); res = []
    for r in rows:
        t = time.perf_counter()
        try:
            s = b.pipeline.engine.understand(r['prompt'], b.evidence)
            st, tg, c = s.status, list(s.targets), s.confidence
        except Exception as e:
            st, tg, c = 'CRASH:' + type(e).__name__ + str(e)[:80], [], 0
        res.append({'id': r['id'], 'style': r['style'], 'prompt': r['prompt'], 'expect': r['expect'], 'status': st,
                    'targets': tg, 'confidence': c, 'correct': is_correct(r['expect'], st, tg),
                    'wrong_mask': is_wrong_mask(r['expect'], st, tg), 'ms': 1000 * (time.perf_counter() - t)})
    with open(out / (p.stem + '.jsonl'), 'w') as f:
        for r in res: f.write(json.dumps(r) + '\n')
    n = len(res); acc = sum(r['correct'] for r in res) / n; wm = sum(r['wrong_mask'] for r in res)
    hi = [r for r in res if r['status'] == 'ok' and r['confidence'] >= 0.9]
    crash = sum(r['status'].startswith('CRASH') for r in res)
    print(f"{p.stem:20s} {n:4d} acc {acc:6.1%} wrong {wm:3d} ({wm/n:5.1%}) >=0.9 {sum(r['correct'] for r in hi)}/{len(hi)} crash {crash}", flush=True)
    t0 = tot.setdefault(k, [0, 0, 0]); t0[0] += n; t0[1] += sum(r['correct'] for r in res); t0[2] += wm
for k, (n, c, w) in tot.items():
    print(f"TOTAL {k}: {n} rows, acc {c/n:.1%}, wrong {w}")
