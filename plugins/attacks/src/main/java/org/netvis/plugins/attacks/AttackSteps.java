package org.netvis.plugins.attacks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.netvis.engine.image.LinePlot;
import org.netvis.engine.image.Pixels;
import org.netvis.engine.input.InputBatch;
import org.netvis.engine.spi.StepContext;
import org.netvis.engine.spi.StepResult;
import org.netvis.engine.spi.Technique;
import org.netvis.engine.tensor.ClassScores;
import org.netvis.engine.tensor.Tensor;

/** The fgsm, pgd, mifgsm, apgd, square, cw, deepfool and robustness-curve steps. */
public final class AttackSteps {
  private AttackSteps() {}

  static long[] labels(InputBatch in, int target) {
    long[] out = in.labels().clone();
    if (target >= 0) {
      Arrays.fill(out, target);
    }
    return out;
  }

  /** Runs an attack on one batch; {@code firstIndex} is the batch's first image within the step. */
  interface Batched {
    Tensor run(PixelSpaceModel model, Tensor pixels, long[] labels, int firstIndex);
  }

  static Tensor inBatches(PixelSpaceModel model, Tensor pixels, long[] labels, int batchSize, Batched attack) {
    int n = (int) pixels.dim(0);
    List<Tensor> parts = new ArrayList<>();
    for (int start = 0; start < n; start += batchSize) {
      int end = Math.min(n, start + batchSize);
      parts.add(attack.run(model, pixels.slice(start, end), Arrays.copyOfRange(labels, start, end), start));
    }
    return parts.isEmpty() ? pixels : parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
  }

  /**
   * Runs an attack over the step's images in batches on [0, 1] pixels and writes its report; {@code
   * values} holds the attack's settings, to which the time and the report's figures are added.
   */
  private static StepResult attack(StepContext ctx, int batchSize, int target, String title,
      Map<String, Object> values, Batched attack) throws java.io.IOException {
    InputBatch in = ctx.inputs();
    PixelSpaceModel model = new PixelSpaceModel(ctx.engine(), ctx.model().preprocessing());
    Tensor x = Pixels.toUnitPixels(in.images(), ctx.model().preprocessing());
    long start = System.nanoTime();
    Tensor adv = inBatches(model, x, labels(in, target), batchSize, attack);
    values.put("target", target >= 0 ? ctx.model().className(target) : "untargeted");
    values.put("seconds", (System.nanoTime() - start) / 1e9);
    values.putAll(AttackReport.write(ctx.outputDir(), title, ctx.model(), model, x, adv, in.labels(), target,
        in.names()));
    return StepResult.of(values);
  }

  private static Map<String, Object> budget(double epsilon) {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("epsilon", epsilon);
    values.put("epsilon_255", epsilon * 255);
    return values;
  }

  /** FGSM. */
  public static final class Fgsm implements Technique<AttackParameters.Fgsm> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.Fgsm p) throws Exception {
      boolean targeted = p.target() >= 0;
      return attack(ctx, p.batchSize(), p.target(), String.format("FGSM, epsilon %.4g (%.3g/255)", p.epsilon(),
          p.epsilon() * 255), budget(p.epsilon()), (m, b, l, first) -> Attacks.fgsm(m, b, l, targeted,
          (float) p.epsilon()));
    }
  }

  /** PGD. */
  public static final class Pgd implements Technique<AttackParameters.Pgd> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.Pgd p) throws Exception {
      boolean targeted = p.target() >= 0;
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("norm", p.norm().name().toLowerCase());
      values.putAll(budget(p.epsilon()));
      values.put("step_size", p.stepSize());
      values.put("steps", p.steps());
      return attack(ctx, p.batchSize(), p.target(), String.format("PGD %s, epsilon %.4g, %d steps of %.4g",
          p.norm().name(), p.epsilon(), p.steps(), p.stepSize()), values, (m, b, l, first) ->
          Attacks.pgd(m, b, l, targeted, p, ctx.seed(), i -> ctx.itemIndex(first + i), !p.earlyStop() ? null
              : (current, i) -> {
                Tensor logits = m.logits(current.slice(i, i + 1));
                return AttackReport.succeeded(ClassScores.argmax(logits, 0), l[i], p.target());
              }));
    }
  }

  /** MI-FGSM. */
  public static final class MiFgsm implements Technique<AttackParameters.MiFgsm> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.MiFgsm p) throws Exception {
      boolean targeted = p.target() >= 0;
      Map<String, Object> values = budget(p.epsilon());
      values.put("step_size", p.stepSize());
      values.put("steps", p.steps());
      values.put("decay", p.decay());
      return attack(ctx, p.batchSize(), p.target(), String.format("MI-FGSM, epsilon %.4g, %d steps of %.4g, decay %.3g",
          p.epsilon(), p.steps(), p.stepSize(), p.decay()), values,
          (m, b, l, first) -> Attacks.mifgsm(m, b, l, targeted, p));
    }
  }

  /** APGD. */
  public static final class ApgdStep implements Technique<AttackParameters.Apgd> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.Apgd p) throws Exception {
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("norm", p.norm().name().toLowerCase());
      values.putAll(budget(p.epsilon()));
      values.put("steps", p.steps());
      values.put("restarts", p.restarts());
      values.put("loss", p.loss().name().toLowerCase());
      values.put("rho", p.rho());
      return attack(ctx, p.batchSize(), -1, String.format("APGD-%s %s, epsilon %.4g, %d steps, %d restart%s",
          p.loss().name(), p.norm().name(), p.epsilon(), p.steps(), p.restarts(), p.restarts() == 1 ? "" : "s"), values,
          (m, b, l, first) -> Apgd.run(m, b, l, p, ctx.seed(), i -> ctx.itemIndex(first + i)));
    }
  }

  /** Square; each image's queries are reported beside the report's figures. */
  public static final class SquareStep implements Technique<AttackParameters.Square> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.Square p) throws Exception {
      boolean targeted = p.target() >= 0;
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("norm", p.norm().name().toLowerCase());
      values.putAll(budget(p.epsilon()));
      values.put("queries", p.queries());
      values.put("p_init", p.pInit());
      values.put("loss", p.loss().name().toLowerCase());
      values.put("restarts", p.restarts());
      List<Integer> taken = new ArrayList<>();
      values.put("queries_taken", taken); // filled as the attack runs
      return attack(ctx, p.batchSize(), p.target(), String.format("Square %s, epsilon %.4g, at most %d queries",
          p.norm().name(), p.epsilon(), p.queries()), values, (m, b, l, first) -> {
            Square.Result r = Square.run(m, b, l, targeted, p, ctx.seed(), i -> ctx.itemIndex(first + i));
            Arrays.stream(r.queries()).forEach(taken::add);
            return r.adversarial();
          });
    }
  }

  /** Carlini-Wagner L2. */
  public static final class Cw implements Technique<AttackParameters.Cw> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.Cw p) throws Exception {
      boolean targeted = p.target() >= 0;
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("c", p.c());
      values.put("kappa", p.kappa());
      values.put("steps", p.steps());
      values.put("lr", p.lr());
      return attack(ctx, p.batchSize(), p.target(), String.format("Carlini-Wagner L2, c %.3g, kappa %.3g, %d steps of"
          + " Adam at %.3g", p.c(), p.kappa(), p.steps(), p.lr()), values,
          (m, b, l, first) -> CarliniWagner.run(m, b, l, targeted, p));
    }
  }

  /** DeepFool; each image's steps are reported beside the report's figures. */
  public static final class DeepFoolStep implements Technique<AttackParameters.DeepFool> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.DeepFool p) throws Exception {
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("steps", p.steps());
      values.put("overshoot", p.overshoot());
      values.put("candidates", p.candidates() == 0 ? "all" : p.candidates());
      List<Integer> taken = new ArrayList<>();
      values.put("steps_taken", taken); // filled as the attack runs
      // Each image runs on its own; the batch only groups the gradient runs.
      return attack(ctx, Integer.MAX_VALUE, -1, String.format("DeepFool, overshoot %.3g, %s candidates",
          p.overshoot(), p.candidates() == 0 ? "all" : Integer.toString(p.candidates())), values, (m, b, l, first) -> {
            DeepFool.Result r = DeepFool.run(m, b, l, p);
            Arrays.stream(r.steps()).forEach(taken::add);
            return r.adversarial();
          });
    }
  }

  /** Accuracy against budgets, and each image's smallest budget that flips it. */
  public static final class Curve implements Technique<AttackParameters.Curve> {
    @Override
    public StepResult run(StepContext ctx, AttackParameters.Curve p) throws Exception {
      InputBatch in = ctx.inputs();
      int n = in.size();
      PixelSpaceModel model = new PixelSpaceModel(ctx.engine(), ctx.model().preprocessing());
      Tensor x = Pixels.toUnitPixels(in.images(), ctx.model().preprocessing());
      List<Double> eps = p.epsilons().stream().sorted().toList();
      double[] accuracy = new double[eps.size()];
      Double[] smallest = new Double[n];
      boolean[][] correct = new boolean[n][eps.size()];
      long start = System.nanoTime();
      for (int e = 0; e < eps.size(); e++) {
        double epsilon = eps.get(e);
        Tensor adv = epsilon == 0 ? x : inBatches(model, x, in.labels(), p.batchSize(), (m, b, l, first) ->
            switch (p.attack()) {
              case FGSM -> Attacks.fgsm(m, b, l, false, (float) epsilon);
              case PGD -> Attacks.pgd(m, b, l, false, new AttackParameters.Pgd(AttackParameters.Norm.LINF, epsilon,
                  Math.max(epsilon * p.stepFraction(), 1e-12), p.steps(), false, -1, false, p.batchSize()),
                  ctx.seed(), i -> ctx.itemIndex(first + i), null);
              case APGD -> Apgd.run(m, b, l, new AttackParameters.Apgd(AttackParameters.Norm.LINF, epsilon, p.steps(), 1,
                  AttackParameters.Apgd.Loss.CE, 0.75, p.batchSize()), ctx.seed(), i -> ctx.itemIndex(first + i));
              case SQUARE -> Square.run(m, b, l, false, new AttackParameters.Square(AttackParameters.Norm.LINF,
                  epsilon, p.queries(), 0.8,
                  AttackParameters.Square.Loss.MARGIN, 1, -1, p.batchSize()), ctx.seed(),
                  i -> ctx.itemIndex(first + i)).adversarial();
            });
        Tensor logits = model.logits(adv);
        accuracy[e] = AttackReport.accuracy(logits, in.labels());
        for (int i = 0; i < n; i++) {
          correct[i][e] = ClassScores.argmax(logits, i) == in.labels()[i];
          if (smallest[i] == null && !correct[i][e]) {
            smallest[i] = epsilon;
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      LinePlot plot = new LinePlot("epsilon index (see the table)", "accuracy", 1).add(p.attack().name().toLowerCase(),
          accuracy, false);
      new org.netvis.engine.image.Figure("Accuracy against " + p.attack().name() + " (L-inf, [0, 1] pixels)").row()
          .panel(plot.render(420, 320), "epsilons " + eps).write(ctx.outputDir().resolve("figure.png"));
      List<Map<String, Object>> rows = new ArrayList<>();
      for (int e = 0; e < eps.size(); e++) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epsilon", eps.get(e));
        r.put("epsilon_255", eps.get(e) * 255);
        r.put("accuracy", accuracy[e]);
        rows.add(r);
      }
      List<Map<String, Object>> images = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("image", in.names().get(i));
        r.put("label", in.labels()[i]);
        r.put("smallest_flipping_epsilon_255", smallest[i] == null ? null : smallest[i] * 255);
        // Whether the image is still classified correctly at each epsilon (in the curve's order):
        // the curve over any set of images is the mean of these.
        List<Boolean> still = new ArrayList<>();
        for (boolean c : correct[i]) {
          still.add(c);
        }
        r.put("correct", still);
        images.add(r);
      }
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("attack", p.attack().name().toLowerCase());
      values.put("seconds", seconds);
      values.put("curve", rows);
      values.put("images", images);
      return StepResult.of(values);
    }
  }
}
