package org.netvis.engine.graph;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019) as Captum's LRP computes
 * it, by the gradient: a layer with input a and output z = f(a) passes relevance R back as
 * <pre>  R_a = a * (J_f^T (R / (z + epsilon * sign(z)))),  sign(0) = 1,</pre>
 * the epsilon rule, where J_f^T is the layer's gradient rule; gamma and alpha1_beta0 compute z and
 * J_f with changed weights (Captum's GammaRule and Alpha1_Beta0_Rule), identity passes R unchanged,
 * and z^B takes the input's bounds into z and R (see {@link LrpRules.Rule}).
 * The graph seeds the target with 1; the caller scales by the target's score, as Captum does.
 * <ul>
 *   <li>Layers, each with its rule ({@link LrpRules}): Conv, ConvTranspose, Gemm and MatMul with constant
 *       weights, BatchNormalization, the pools, ReduceSum and ReduceMean, Resize, and the linear element-wise
 *       nodes: Add, Sub, Sum, Mean and Neg, Mul by and Div by a constant. A bias added by its own Add is a
 *       layer of its own, which absorbs its share as the bias inside a Conv does; a residual Add shares R
 *       between its inputs in proportion to their values. Captum, whose rules sit on modules, lets autograd
 *       pass R to both summands whole (a functional add is no module).
 *   <li>Element-wise activations pass R unchanged (Captum: ReLU and Tanh; here also the other
 *       one-input activations such as Clip's ReLU6, Sigmoid and GELU).
 *   <li>Nodes that only move, copy or join values (Reshape, Transpose, Concat, Slice, Pad, Gather, ...)
 *       pass R by their gradient, as autograd does in Captum.
 * </ul>
 * Any other node on the relevance path (Softmax, LayerNormalization, a product of two image-dependent
 * tensors, LRN) is refused by name: no LRP rule is defined for it here. For a network of Relus and
 * these layers, epsilon near 0 gives the input times the gradient (Ancona et al. 2018), which the
 * tests check; larger epsilon, gamma and alpha1_beta0 give LRP's own maps.
 */
final class LrpGradients {
  private LrpGradients() {}

  /** Layers with weights, which gamma and alpha1_beta0 change. */
  private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization");

  private static final Set<String> LAYERS = LrpRules.LAYER_OPERATORS;

  private static final Set<String> ACTIVATIONS = Set.of("Relu", "LeakyRelu", "PRelu", "Clip", "Tanh", "Sigmoid",
      "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Gelu", "Softplus", "Softsign", "Mish", "ThresholdedRelu");

  private static final Set<String> ROUTES = Set.of("Identity", "Dropout", "Cast", "Reshape", "Flatten", "Squeeze",
      "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Pad", "Gather", "Tile", "Expand", "DepthToSpace",
      "SpaceToDepth");

  /** The LRP rule of an operator whose gradient rule is {@code plain} (null where it has none). */
  static NodeGradient forOp(String opType, NodeGradient plain) {
    if (plain == null) {
      return null;
    }
    if (LAYERS.contains(opType)) {
      return (node, dy, ctx) -> layer(node, dy, ctx, plain);
    }
    if (ACTIVATIONS.contains(opType)) {
      return LrpGradients::passThrough;
    }
    if (ROUTES.contains(opType)) {
      return plain;
    }
    return (node, dy, ctx) -> {
      throw ctx.fail(node, "LRP has no rule for " + opType + " on the relevance path (layers: "
          + new TreeSet<>(LAYERS) + "; activations, which pass relevance unchanged: " + new TreeSet<>(ACTIVATIONS)
          + "; nodes that move values: " + new TreeSet<>(ROUTES) + ")");
    };
  }

  private static void passThrough(NodeProto node, List<String> dy, BackwardContext ctx) {
    String x = node.getInput(0);
    for (int i = 1; i < node.getInputCount(); i++) {
      if (ctx.isActive(node.getInput(i))) {
        throw ctx.fail(node, "input '" + node.getInput(i) + "' depends on the image; LRP passes relevance through an"
            + " activation of one image-dependent input");
      }
    }
    ctx.accumulate(x, dy.get(0));
  }

  private static void layer(NodeProto node, List<String> dy, BackwardContext ctx, NodeGradient plain) {
    String op = node.getOpType();
    List<String> active = node.getInputList().stream().filter(ctx::isActive).toList();
    if ((op.equals("Mul") || WEIGHTED.contains(op)) && active.size() > 1
        || op.equals("Div") && ctx.isActive(node.getInput(1))) {
      throw ctx.fail(node, "inputs " + active + " all depend on the image; LRP takes a " + op + " as a layer with"
          + " constant weights (expected one image-dependent input" + (op.equals("Div") ? ", the numerator)" : ")"));
    }
    LrpRules.Rule rule = ctx.lrpRules().ruleFor(node.getName());
    if (rule.kind() == LrpRules.Kind.IDENTITY) {
      String x = active.get(0);
      if (active.size() != 1 || !Arrays.equals(ctx.shape(x), ctx.shape(node.getOutput(0)))) {
        throw ctx.fail(node, "the identity rule passes relevance to one input of the output's shape; the node reads "
            + active + " and writes " + BackwardContext.describe(ctx.shape(node.getOutput(0))));
      }
      ctx.accumulate(x, dy.get(0));
      return;
    }
    if (rule.kind() == LrpRules.Kind.ZB) {
      bounded(node, dy, ctx, plain, rule);
      return;
    }
    NodeEmitter e = ctx.emit();
    Map<String, TensorProto> changed = new HashMap<>();
    NodeProto computed = rule.changesWeights() && WEIGHTED.contains(op) ? withChangedWeights(node, rule, ctx, changed)
        : node;
    String z = node.getOutput(0);
    if (computed != node) {
      z = e.fresh(op + "_lrp_z");
      e.add(computed.toBuilder().setName(e.fresh(node.getName() + "_lrp")).clearOutput().addOutput(z).build());
    }
    List<String> grads = new ArrayList<>(dy);
    grads.set(0, perOutput(e, dy.get(0), z, rule.epsilon()));
    plain.backward(computed, grads, new Relevance(ctx, changed, null));
  }

  /**
   * The z^B rule: z = (w x + b) - w+ l - w- h, and the relevance x w^T s - l w+^T s - h w-^T s, each
   * term the layer's gradient rule with its weights, times x, -l or -h. l and h are the input's bounds
   * per channel, as constants of one image's shape; the Convs that read only them are constants that
   * ONNX Runtime folds when it loads the graph.
   */
  private static void bounded(NodeProto node, List<String> dy, BackwardContext ctx, NodeGradient plain,
      LrpRules.Rule rule) {
    String op = node.getOpType();
    String x = node.getInput(0);
    long[] xs = ctx.shape(x);
    LrpRules.InputBounds bounds = ctx.lrpRules().inputBounds();
    if (!op.equals("Conv") || ctx.producer(x) != null || xs.length < 3 || xs[1] != bounds.low().size()) {
      throw ctx.fail(node, "the zb rule takes a Conv reading the model input of " + bounds.low().size()
          + " channels (a first layer); this node reads '" + x + "' of shape " + BackwardContext.describe(xs));
    }
    NodeEmitter e = ctx.emit();
    TensorProto w = ctx.requireConstant(node, node.getInput(1), "weights");
    float[] values = TensorProtos.toFloats(w);
    float[] positive = new float[values.length];
    float[] negative = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      positive[i] = Math.max(values[i], 0f);
      negative[i] = Math.min(values[i], 0f);
    }
    long[] one = xs.clone();
    one[0] = 1;
    int perChannel = (int) (Arrays.stream(one).reduce(1, (a, b) -> a * b) / xs[1]);
    List<String> terms = new ArrayList<>();
    List<String> factors = new ArrayList<>();
    List<NodeProto> layers = new ArrayList<>();
    Map<String, TensorProto> changed = new HashMap<>();
    layers.add(node);
    factors.add(null);
    for (int side = 0; side < 2; side++) {
      List<Double> bound = side == 0 ? bounds.low() : bounds.high();
      float[] filled = new float[perChannel * bound.size()];
      float[] negated = new float[filled.length];
      for (int k = 0; k < filled.length; k++) {
        filled[k] = bound.get(k / perChannel).floatValue();
        negated[k] = -filled[k];
      }
      TensorProto weights = TensorProtos.floats("", TensorProtos.shape(w), side == 0 ? positive : negative);
      String weightsName = e.constant(side == 0 ? "lrp_zb_positive_weights" : "lrp_zb_negative_weights", weights);
      changed.put(weightsName, weights);
      // w+ l (w- h): the node with the bound for its input and the weights' part, without bias.
      String out = e.fresh(op + "_lrp_zb");
      e.add(node.toBuilder().clearInput().addInput(e.floats("lrp_zb_bound", one, filled)).addInput(weightsName)
          .setName(e.fresh(node.getName() + "_lrp_zb")).clearOutput().addOutput(out).build());
      terms.add(out);
      layers.add(node.toBuilder().setInput(1, weightsName).build());
      factors.add(e.floats("lrp_zb_negated_bound", one, negated));
    }
    String z = e.op("Sub", List.of(e.op("Sub", List.of(node.getOutput(0), terms.get(0))), terms.get(1)));
    List<String> grads = new ArrayList<>(dy);
    grads.set(0, perOutput(e, dy.get(0), z, rule.epsilon()));
    for (int i = 0; i < layers.size(); i++) {
      plain.backward(layers.get(i), grads, new Relevance(ctx, changed, factors.get(i)));
    }
  }

  /**
   * R / (z + epsilon sign(z)), sign(0) = 1; for epsilon 0 (LRP-0) R / z, and 0 where z = 0: an output
   * of 0 passes no relevance (a max pool's window of zeros after a Relu, where R is 0 too).
   */
  private static String perOutput(NodeEmitter e, String relevance, String z, double epsilon) {
    if (epsilon == 0) {
      return e.op("Where", List.of(e.op("Equal", List.of(z, e.scalar(0f))), e.scalar(0f),
          e.op("Div", List.of(relevance, z))));
    }
    String negative = e.op("Less", List.of(z, e.scalar(0f)));
    String stabilized = e.op("Where", List.of(negative, e.op("Sub", List.of(z, e.scalar((float) epsilon))),
        e.op("Add", List.of(z, e.scalar((float) epsilon)))));
    return e.op("Div", List.of(relevance, stabilized));
  }

  /**
   * The node reading weights (and bias) changed by the rule, each a new constant in {@code changed};
   * Gemm's and MatMul's weights are their constant operand, BatchNormalization's its scale.
   */
  private static NodeProto withChangedWeights(NodeProto node, LrpRules.Rule rule, BackwardContext ctx,
      Map<String, TensorProto> changed) {
    String op = node.getOpType();
    int weights = 1;
    if (op.equals("Gemm") || op.equals("MatMul")) {
      weights = ctx.isActive(node.getInput(0)) ? 1 : 0;
    }
    int bias = op.equals("MatMul") ? -1 : 2;
    NodeProto.Builder b = node.toBuilder();
    NodeEmitter e = ctx.emit();
    TensorProto w = ctx.requireConstant(node, node.getInput(weights), "weights");
    float[] values = TensorProtos.toFloats(w);
    for (int i = 0; i < values.length; i++) {
      values[i] = rule.changed(values[i]);
    }
    TensorProto changedWeights = TensorProtos.floats("", TensorProtos.shape(w), values);
    String name = e.constant("lrp_" + rule.kind().name().toLowerCase(java.util.Locale.ROOT) + "_weights",
        changedWeights);
    changed.put(name, changedWeights);
    b.setInput(weights, name);
    String biasName = BackwardContext.input(node, bias);
    if (rule.zeroBias() && biasName != null) {
      long[] shape = ctx.shape(biasName);
      int count = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
      TensorProto zeros = TensorProtos.floats("", shape, new float[count]);
      String zeroName = e.constant("lrp_zero_bias", zeros);
      changed.put(zeroName, zeros);
      b.setInput(bias, zeroName);
    }
    return b.build();
  }

  /**
   * The context a layer's gradient rule runs in: what it sends to an input, the gradient at that
   * input, goes on as relevance, that gradient times the input's values. A rule may send it to a
   * tensor holding the same values in another arrangement (a Concat's parts, a Transpose's input):
   * the product is element-wise, so it holds there too. Changed weights read as constants.
   */
  private static final class Relevance implements BackwardContext {
    private final BackwardContext inner;
    private final Map<String, TensorProto> changed;
    private final String factor;

    /** @param factor what the gradient is multiplied by instead of the input's values (z^B's bounds), or null */
    Relevance(BackwardContext inner, Map<String, TensorProto> changed, String factor) {
      this.inner = inner;
      this.changed = changed;
      this.factor = factor;
    }

    @Override
    public void accumulate(String tensor, String gradient) {
      if (inner.isActive(tensor)) {
        inner.accumulate(tensor, inner.emit().mul(gradient, factor != null ? factor : tensor));
      }
    }

    @Override
    public void accumulatePart(String tensor, String gradient, int axis, long start, long length) {
      throw new IllegalStateException("an LRP layer's rule sent part of the gradient of '" + tensor + "'");
    }

    @Override
    public void accumulateStrided(String tensor, String gradient, long[] starts, long[] steps, long[] counts,
        Supplier<String> full) {
      throw new IllegalStateException("an LRP layer's rule sent part of the gradient of '" + tensor + "'");
    }

    @Override
    public TensorProto constant(String tensor) {
      TensorProto c = changed.get(tensor);
      return c != null ? c : inner.constant(tensor);
    }

    @Override
    public long[] shape(String tensor) {
      TensorProto c = changed.get(tensor);
      return c != null ? TensorProtos.shape(c) : inner.shape(tensor);
    }

    @Override
    public boolean isActive(String tensor) {
      return !changed.containsKey(tensor) && inner.isActive(tensor);
    }

    @Override
    public NodeEmitter emit() {
      return inner.emit();
    }

    @Override
    public VjpSpec.Backward backward() {
      return inner.backward();
    }

    @Override
    public LrpRules lrpRules() {
      return inner.lrpRules();
    }

    @Override
    public boolean batchRows(String tensor) {
      return inner.batchRows(tensor);
    }

    @Override
    public boolean isBoolean(String tensor) {
      return !changed.containsKey(tensor) && inner.isBoolean(tensor);
    }

    @Override
    public TensorProto derived(String kind, TensorProto source, java.util.function.UnaryOperator<TensorProto> derive) {
      return inner.derived(kind, source, derive);
    }

    @Override
    public boolean inDataFile(TensorProto constant) {
      return !changed.containsValue(constant) && inner.inDataFile(constant);
    }

    @Override
    public NodeProto producer(String tensor) {
      return inner.producer(tensor);
    }

    @Override
    public int readers(String tensor) {
      return inner.readers(tensor);
    }

    @Override
    public void premasked(String reluOutput) {
      inner.premasked(reluOutput);
    }

    @Override
    public boolean isPremasked(String reluOutput) {
      return inner.isPremasked(reluOutput);
    }

    @Override
    public void recomputed(NodeProto node) {
      inner.recomputed(node);
    }

    @Override
    public void declareShape(String tensor, long[] shape) {
      inner.declareShape(tensor, shape);
    }

    @Override
    public void zeroGradient(String tensor) {
      inner.zeroGradient(tensor);
    }
  }
}
