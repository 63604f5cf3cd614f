# Here: writes each fixture with its large float initializers emptied, and their statistics, so that
# fill.py can refill them with random values of the same scale on the device (timing does not depend
# on the values; the weights would not fit the 64 MiB transfer).
import json, os, sys
import numpy as np, onnx
from onnx import numpy_helper
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for f in sorted(os.listdir(src)):
    if not f.endswith('.onnx'):
        continue
    m = onnx.load(os.path.join(src, f))
    stats = {}
    for t in m.graph.initializer:
        if t.data_type != onnx.TensorProto.FLOAT:
            continue
        a = numpy_helper.to_array(t)
        if a.size < 1024:
            continue
        stats[t.name] = dict(dims=list(a.shape), mean=float(a.mean()), std=float(a.std()),
                             min=float(a.min()), max=float(a.max()))
        t.ClearField('raw_data'); t.ClearField('float_data')
    onnx.save(m, os.path.join(dst, f + '.stripped'))
    json.dump(stats, open(os.path.join(dst, f + '.stats.json'), 'w'))
    print(f, len(stats), 'tensors stripped')
