# On the device: refills the stripped fixtures' initializers (see strip.py), seeded by tensor name.
import json, os, sys, zlib
import numpy as np, onnx
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if not f.endswith('.onnx.stripped'):
        continue
    name = f[:-len('.stripped')]
    m = onnx.load(os.path.join(d, f))
    stats = json.load(open(os.path.join(d, name + '.stats.json')))
    for t in m.graph.initializer:
        s = stats.get(t.name)
        if s is None:
            continue
        rng = np.random.default_rng(zlib.crc32(t.name.encode()))
        a = rng.normal(s['mean'], s['std'] if s['std'] > 0 else 1e-3, s['dims']).clip(s['min'], s['max'])
        t.raw_data = a.astype(np.float32).tobytes()
    onnx.save(m, os.path.join(d, name))
    print('filled', name)
