"""Which ONNX Runtime CPU kernels use all intra-op threads: each op alone on tensors of a batch-32
SqueezeNet/ResNet size, from ONNX Runtime's profiler, with the share of its time outside parallel
sections (the main thread's time in Run, Distribution and Wait, as bench's ProfileVjp counts it).
Needs Python's onnxruntime. Usage: python3 kernels.py [threads]   (default: all cores)"""
import json, os, sys, tempfile
import numpy as np
import onnxruntime as ort
from onnx import TensorProto as T, helper as h

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
RUNS = 8
F, I = T.FLOAT, T.INT64
N, C, H, W = 32, 64, 56, 56
rng = np.random.default_rng(0)


def const(name, values, dtype=F, shape=None):
    values = np.asarray(values)
    return h.make_tensor(name, dtype, list(values.shape) if shape is None else shape, values.ravel().tolist())


def build(nodes, inputs, inits, out_type=F):
    graph = h.make_graph(nodes, 'kernel', [h.make_tensor_value_info(k, t, None) for k, t in inputs],
                         [h.make_tensor_value_info('y', out_type, None)], initializer=inits)
    return h.make_model(graph, opset_imports=[h.make_opsetid('', 17)], ir_version=8).SerializeToString()


def profile(label, nodes, feeds, inits=(), out_type=F):
    inputs = [(k, I if v.dtype == np.int64 else F) for k, v in feeds.items()]
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tempfile.gettempdir(), 'kernels')
    session = ort.InferenceSession(build(nodes, inputs, list(inits), out_type), so, providers=['CPUExecutionProvider'])
    for _ in range(RUNS):
        session.run(None, feeds)
    path = session.end_profiling()
    events = json.load(open(path))
    os.remove(path)
    total = parallel = 0
    for e in events:
        if e.get('cat') == 'Node' and e['name'].endswith('_kernel_time'):
            total += e['dur']
            main = e['args'].get('thread_scheduling_stats', {}).get('main_thread', {})
            parallel += sum(main.get(k, 0) for k in ('Run', 'Distribution', 'DistributionEnqueue', 'Wait', 'WaitRevoke'))
    print('%-44s %8.2f ms  outside parallel sections %5.1f%%' % (label, total / RUNS / 1000,
                                                                 100 * (1 - parallel / max(total, 1))), flush=True)


x = rng.standard_normal((N, C, H, W), dtype=np.float32)
print('onnxruntime %s, %d threads, tensors [%d, %d, %d, %d]' % (ort.__version__, THREADS, N, C, H, W))
profile('Mul', [h.make_node('Mul', ['x', 'x'], ['y'])], {'x': x})
profile('HardSigmoid', [h.make_node('HardSigmoid', ['x'], ['y'], alpha=1.0, beta=1.0)], {'x': x})
profile('Equal', [h.make_node('Equal', ['x', 'x'], ['y'])], {'x': x}, out_type=T.BOOL)
profile('Where', [h.make_node('Equal', ['x', 'x'], ['b']), h.make_node('Where', ['b', 'x', 'x'], ['y'])], {'x': x})
profile('Cast int64 -> float', [h.make_node('Cast', ['i'], ['y'], to=F)], {'i': rng.integers(0, 9, x.shape)})
profile('Sub int64', [h.make_node('Sub', ['i', 'i'], ['y'])], {'i': rng.integers(0, 9, x.shape)}, out_type=I)
profile('Pad one row', [h.make_node('Pad', ['x', 'p'], ['y'])], {'x': x}, [const('p', [0, 0, 1, 0, 0, 0, 0, 0], I)])
profile('Slice steps 2', [h.make_node('Slice', ['x', 's', 'e', 'a', 'st'], ['y'])], {'x': x},
        [const('s', [0, 0], I), const('e', [H, W], I), const('a', [2, 3], I), const('st', [2, 2], I)])
profile('Concat axis 3', [h.make_node('Concat', ['x', 'x'], ['y'], axis=3)], {'x': x})
profile('DepthToSpace', [h.make_node('DepthToSpace', ['x'], ['y'], blocksize=2, mode='CRD')], {'x': x})
profile('Transpose 6-D (interleave)', [h.make_node('Reshape', ['x', 's'], ['r']),
                                       h.make_node('Transpose', ['r'], ['y'], perm=[0, 1, 3, 2, 5, 4])], {'x': x},
        [const('s', [N, C, 2, H // 2, 2, W // 2], I)])
profile('Gather along W', [h.make_node('Gather', ['x', 'g'], ['y'], axis=3)], {'x': x}, [const('g', np.arange(2 * W) // 2, I)])
profile('Resize nearest x2', [h.make_node('Resize', ['x', '', 's'], ['y'], mode='nearest')], {'x': x}, [const('s', [1., 1, 2, 2])])
profile('MaxPool 3x3/2', [h.make_node('MaxPool', ['x'], ['y'], kernel_shape=[3, 3], strides=[2, 2])], {'x': x})
profile('MaxPool 3x3/2 with Indices', [h.make_node('MaxPool', ['x'], ['y', 'i'], kernel_shape=[3, 3], strides=[2, 2])], {'x': x})
rows, plane = N * C, H * W
z = np.zeros((rows, 1), np.float32)
profile('zeros: Expand of a column', [h.make_node('Expand', ['z', 's'], ['y'])], {'z': z}, [const('s', [rows, plane], I)])
profile('zeros: column times a row of ones', [h.make_node('Mul', ['z', 'o'], ['y'])], {'z': z}, [const('o', np.ones((1, plane)))])
planes = np.tile(np.arange(plane), (rows, 1))
profile('ScatterElements add [N*C, H*W]', [h.make_node('ScatterElements', ['d', 'i', 'd'], ['y'], axis=1, reduction='add')],
        {'d': x.reshape(rows, plane), 'i': planes})
profile('GatherElements [N*C, H*W]', [h.make_node('GatherElements', ['d', 'i'], ['y'], axis=1)],
        {'d': x.reshape(rows, plane), 'i': planes})
# A 3x3/2 Conv's adjoint (64 -> 128 channels, 56 -> 28): ConvTranspose against its four output phases
# as stride-1 Convs with 1x1, 1x2, 2x1, 2x2 sub-kernels, interleaved by Unsqueeze, Concat and Reshape.
Co, Ho = 128, H // 2
dy = rng.standard_normal((N, Co, Ho, Ho), dtype=np.float32)
w = rng.standard_normal((Co, C, 3, 3), dtype=np.float32)
profile('ConvTranspose 3x3/2 (adjoint)', [h.make_node('ConvTranspose', ['dy', 'w'], ['y'], strides=[2, 2], pads=[1, 1, 0, 0])],
        {'dy': dy}, [const('w', w)])
phases = {(0, 0): ([1], [1], [0, 0, 0, 0]), (0, 1): ([1], [2, 0], [0, 0, 0, 1]),
          (1, 0): ([2, 0], [1], [0, 0, 1, 0]), (1, 1): ([2, 0], [2, 0], [0, 0, 1, 1])}
nodes, inits = [], [const('last', [-1], I), const('a3', [3], I), const('sw', [N, C, Ho, H], I), const('sh', [N, C, H, W], I)]
for (r0, r1), (kr, kc, pads) in phases.items():
    sub = np.ascontiguousarray(w[:, :, kr][:, :, :, kc].transpose(1, 0, 2, 3))
    inits.append(const('w%d%d' % (r0, r1), sub))
    nodes.append(h.make_node('Conv', ['dy', 'w%d%d' % (r0, r1)], ['p%d%d' % (r0, r1)], pads=pads))
for r0 in (0, 1):
    nodes += [h.make_node('Unsqueeze', ['p%d%d' % (r0, r1), 'last'], ['u%d%d' % (r0, r1)]) for r1 in (0, 1)]
    nodes += [h.make_node('Concat', ['u%d0' % r0, 'u%d1' % r0], ['c%d' % r0], axis=-1),
              h.make_node('Reshape', ['c%d' % r0, 'sw'], ['row%d' % r0]),
              h.make_node('Unsqueeze', ['row%d' % r0, 'a3'], ['v%d' % r0])]
nodes += [h.make_node('Concat', ['v0', 'v1'], ['cc'], axis=3), h.make_node('Reshape', ['cc', 'sh'], ['y'])]
profile('the same as 4 phase Convs + Concat interleave', nodes, {'dy': dy}, inits)
a = ort.InferenceSession(build([h.make_node('ConvTranspose', ['dy', 'w'], ['y'], strides=[2, 2], pads=[1, 1, 0, 0])],
                               [('dy', F)], [const('w', w)])).run(None, {'dy': dy})[0]
b = ort.InferenceSession(build(nodes, [('dy', F)], inits)).run(None, {'dy': dy})[0]
print('phases against ConvTranspose: max relative difference %.1e' % (np.abs(a - b).max() / np.abs(a).max()))
