"""What the engine's authors may see of a blind round: the score per kind and at most three failing rows per kind.

    python3 tools/blind/report.py OUT/blind_rN_ct.jsonl OUT/blind_rN_mr.jsonl
"""
import json, sys, collections
for f in sys.argv[1:]:
    rows = [json.loads(l) for l in open(f)]
    by = collections.defaultdict(list)
    for r in rows: by[r['style']].append(r)
    print('##', f.split('/')[-1])
    for s, rs in by.items():
        bad = [r for r in rs if not r['correct']]
        if not bad: continue
        print(f"{s}: {len(rs)-len(bad)}/{len(rs)}")
        for r in bad[:3]:
            print(f"   {'WRONG ' if r['wrong_mask'] else ''}{r['prompt'][:150]!r} expect={r['expect']} got={r['status']} {r['targets'][:4]} {r['confidence']}")
