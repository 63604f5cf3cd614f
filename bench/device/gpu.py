# On the device: the gradient graphs netvis derived there, run by Python's ONNX Runtime with the CUDA
# provider where it has one: node placement (verbose log on stderr), time per run, CUDA against CPU.
import glob, os, statistics, sys, time
import numpy as np
import onnxruntime as ort
root = sys.argv[1]
providers = ort.get_available_providers()
print('python onnxruntime', ort.__version__, providers)
force_cpu = os.environ.get('GPU_PY_CPU') == '1'
if 'CUDAExecutionProvider' not in providers and not force_cpu:
    print('no CUDAExecutionProvider in this onnxruntime: nothing to run on the GPU from Python')
    sys.exit(0)
main = ['CPUExecutionProvider'] if force_cpu else ['CUDAExecutionProvider', 'CPUExecutionProvider']

def feeds(session, batch, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for i in session.get_inputs():
        shape = [batch if not isinstance(d, int) else d for d in i.shape]
        out[i.name] = rng.standard_normal(shape).astype(np.float32)
    return out

QUIET = ort.RunOptions()
QUIET.log_severity_level = 3

def timed(session, feed, runs=20):
    for _ in range(3):
        session.run(None, feed, QUIET)
    times = []
    for _ in range(runs):
        t = time.perf_counter(); session.run(None, feed, QUIET); times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)

for vjp in sorted(glob.glob(os.path.join(root, '**', '*.vjp.onnx'), recursive=True)):
    forward = vjp.replace('.vjp.onnx', '.onnx')
    name = os.path.basename(forward)
    sessions = {}
    for kind, path in (('forward', forward), ('vjp', vjp)):
        so = ort.SessionOptions()
        so.log_severity_level = 0
        print('### %s %s' % (name, kind), file=sys.stderr, flush=True)
        sessions[kind] = ort.InferenceSession(path, so, providers=main)
        print('### end', file=sys.stderr, flush=True)
    row = []
    for batch in (1, 32):
        f = timed(sessions['forward'], feeds(sessions['forward'], batch, 0))
        v = timed(sessions['vjp'], feeds(sessions['vjp'], batch, 1))
        row.append('batch %d forward %.2f ms vjp %.2f ms (%.2fx)' % (batch, f, v, v / f))
    cpu = ort.InferenceSession(vjp, providers=['CPUExecutionProvider'])
    feed = feeds(cpu, 4, 2)
    a = sessions['vjp'].run(None, feed, QUIET)
    b = cpu.run(None, feed)
    err = max(float(np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-30)) for x, y in zip(a, b))
    print('%-40s %s; %s; %s against CPU: relative L2 %.2e' % (name, row[0], row[1], main[0], err), flush=True)
