"""Rows whose answer changed between two check.py outputs: + now right, - now wrong, !! now a wrong mask, ~ other.

    python3 tools/blind/compare.py OLD_OUT NEW_OUT
"""
import json, sys
from pathlib import Path
old, new = Path(sys.argv[1]), Path(sys.argv[2])
for f in sorted(new.glob('*.jsonl')):
    if not (old / f.name).exists(): continue
    o = {json.loads(l)['id']: json.loads(l) for l in open(old / f.name)}
    for l in open(f):
        r = json.loads(l); p = o.get(r['id'])
        if p and (p['status'], sorted(p['targets'])) != (r['status'], sorted(r['targets'])):
            mark = '+' if r['correct'] and not p['correct'] else '-' if p['correct'] and not r['correct'] else '~'
            if r['wrong_mask'] and not p['wrong_mask']: mark = '!!'
            print(mark, r['id'], repr(r['prompt'][:90]), p['status'], p['targets'][:3], '->', r['status'], r['targets'][:3], r['confidence'])
