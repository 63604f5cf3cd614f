package org.netvis.plugins.attacks;

import java.util.List;
import org.netvis.engine.spi.Param;

/** Parameters of the attacks; budgets on [0, 1] pixels, fractions such as 8/255 accepted. */
public final class AttackParameters {
  private AttackParameters() {}

  /** The perturbation's norm. */
  public enum Norm { LINF, L2 }

  /** FGSM (torchattacks' defaults). */
  public record Fgsm(
      @Param(description = "the L-inf budget on [0, 1] pixels (8/255 style fractions accepted)", defaultValue = "8/255",
          min = 0, max = 1) double epsilon,
      @Param(description = "the class to push the images into (targeted); -1 = untargeted, away from the true class",
          defaultValue = "-1", min = -1, classId = true) int target,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int batchSize) {}

  /** PGD, L-inf or L2 (torchattacks' PGD and PGDL2). */
  public record Pgd(
      @Param(description = "linf or l2", defaultValue = "linf") Norm norm,
      @Param(description = "the budget on [0, 1] pixels: L-inf radius, or L2 radius", defaultValue = "8/255", min = 0,
          max = 1000) double epsilon,
      @Param(description = "the step (alpha): L-inf per step, or L2 length of the normalized step", defaultValue = "2/255",
          min = 0, exclusiveMin = true, max = 1000) double stepSize,
      @Param(description = "gradient steps", defaultValue = "10", min = 1, max = 100000) int steps,
      @Param(description = "start from a uniform point of the ball (L2: a random direction at a uniform fraction of the"
          + " radius), drawn per image from the step's seed", defaultValue = "false") boolean randomStart,
      @Param(description = "the class to push the images into (targeted); -1 = untargeted", defaultValue = "-1", min = -1,
          classId = true) int target,
      @Param(description = "stop each image once it succeeds (torchattacks does not stop)", defaultValue = "false")
      boolean earlyStop,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int batchSize) {

    public Pgd {
      if (norm == Norm.LINF && epsilon <= 1 && stepSize > epsilon && steps > 1) {
        throw new IllegalArgumentException("step_size: " + stepSize + " is larger than epsilon " + epsilon
            + "; every L-inf step would be clipped back to the ball's surface (expected at most epsilon)");
      }
      if (norm == Norm.LINF && epsilon > 1) {
        throw new IllegalArgumentException("epsilon: " + epsilon + " is more than the whole [0, 1] pixel range"
            + " (expected at most 1 for linf)");
      }
    }
  }

  /** MI-FGSM (torchattacks' MIFGSM): PGD's L-inf steps on a momentum of normalized gradients. */
  public record MiFgsm(
      @Param(description = "the L-inf budget on [0, 1] pixels", defaultValue = "8/255", min = 0, max = 1) double epsilon,
      @Param(description = "the L-inf step (alpha)", defaultValue = "2/255", min = 0, exclusiveMin = true, max = 1)
      double stepSize,
      @Param(description = "gradient steps", defaultValue = "10", min = 1, max = 100000) int steps,
      @Param(description = "the momentum's decay factor (mu)", defaultValue = "1.0", min = 0, max = 1000) double decay,
      @Param(description = "the class to push the images into (targeted); -1 = untargeted", defaultValue = "-1", min = -1,
          classId = true) int target,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int batchSize) {

    public MiFgsm {
      if (stepSize > epsilon && steps > 1) {
        throw new IllegalArgumentException("step_size: " + stepSize + " is larger than epsilon " + epsilon
            + "; every step would be clipped back to the ball's surface (expected at most epsilon)");
      }
    }
  }

  /** APGD (Croce and Hein 2020; torchattacks' APGD, AutoAttack's first attack), untargeted. */
  public record Apgd(
      @Param(description = "linf or l2", defaultValue = "linf") Norm norm,
      @Param(description = "the budget on [0, 1] pixels: L-inf radius, or L2 radius", defaultValue = "8/255", min = 0,
          exclusiveMin = true, max = 1000) double epsilon,
      @Param(description = "iterations per restart (torchattacks' default; AutoAttack runs 100)", defaultValue = "10",
          min = 1, max = 100000) int steps,
      @Param(description = "random starts; each after the first attacks only the images not yet fooled",
          defaultValue = "1", min = 1, max = 1000) int restarts,
      @Param(description = "the loss ascended: ce (cross-entropy) or dlr (Croce and Hein's difference of logits ratio,"
          + " unchanged by the logits' scale)", defaultValue = "ce") Loss loss,
      @Param(description = "at each checkpoint an image's step size halves where fewer than this fraction of the"
          + " steps since the last one raised its loss", defaultValue = "0.75", min = 0, max = 1) double rho,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int batchSize) {

    /** The loss APGD ascends. */
    public enum Loss { CE, DLR }

    public Apgd {
      if (norm == Norm.LINF && epsilon > 1) {
        throw new IllegalArgumentException("epsilon: " + epsilon + " is more than the whole [0, 1] pixel range"
            + " (expected at most 1 for linf)");
      }
    }
  }

  /** The Square attack (torchattacks' Square, AutoAttack's black-box attack), L-inf or L2. */
  public record Square(
      @Param(description = "linf or l2", defaultValue = "linf") Norm norm,
      @Param(description = "the budget on [0, 1] pixels: L-inf radius, or L2 radius", defaultValue = "8/255", min = 0,
          exclusiveMin = true, max = 1000) double epsilon,
      @Param(description = "the most queries of the model's scores per image and restart (torchattacks' n_queries)",
          defaultValue = "5000", min = 1, max = 1000000) int queries,
      @Param(description = "the square's first area as a fraction of the image's; the paper's schedule halves it"
          + " as the queries go", defaultValue = "0.8", min = 0, exclusiveMin = true, max = 1) double pInit,
      @Param(description = "margin (the label's logit less the largest other one; targeted, the largest other one"
          + " less the target's) or ce (the label's cross-entropy, raised; targeted, the target's, lowered)",
          defaultValue = "margin") Loss loss,
      @Param(description = "searches; each after the first continues on the images not yet fooled",
          defaultValue = "1", min = 1, max = 1000) int restarts,
      @Param(description = "the class to push the images into (targeted); -1 = untargeted", defaultValue = "-1", min = -1,
          classId = true) int target,
      @Param(description = "images per forward pass", defaultValue = "32", min = 1, max = 4096) int batchSize) {

    /** The loss the search lowers. */
    public enum Loss { MARGIN, CE }

    public Square {
      if (norm == Norm.LINF && epsilon > 1) {
        throw new IllegalArgumentException("epsilon: " + epsilon + " is more than the whole [0, 1] pixel range"
            + " (expected at most 1 for linf)");
      }
    }
  }

  /** DeepFool (torchattacks' DeepFool), untargeted, L2. */
  public record DeepFool(
      @Param(description = "the most linearization steps per image", defaultValue = "50", min = 1, max = 100000)
      int steps,
      @Param(description = "each step goes (1 + overshoot) times the way to the nearest linearized boundary",
          defaultValue = "0.02", min = 0, max = 100) double overshoot,
      @Param(description = "the classes whose boundaries each step considers: the image's label and the candidates"
          + " most likely other classes at the start (the DeepFool paper's code and Foolbox take 10); 0 = every class,"
          + " as torchattacks does (a gradient per class and step)", defaultValue = "10", min = 0, max = 1000000)
      int candidates,
      @Param(description = "images per gradient call (an image's classes count one each)", defaultValue = "32", min = 1,
          max = 4096) int batchSize) {}

  /** The Carlini-Wagner L2 attack (torchattacks' CW). */
  public record Cw(
      @Param(description = "the weight of the margin term against the squared L2 distance", defaultValue = "1.0",
          min = 0, exclusiveMin = true, max = 1e10) double c,
      @Param(description = "the confidence: the margin counts until the target leads by kappa", defaultValue = "0",
          min = 0, max = 1e6) double kappa,
      @Param(description = "Adam steps", defaultValue = "50", min = 1, max = 100000) int steps,
      @Param(description = "Adam's learning rate", defaultValue = "0.01", min = 0, exclusiveMin = true, max = 100)
      double lr,
      @Param(description = "the class to push the images into (targeted); -1 = untargeted", defaultValue = "-1", min = -1,
          classId = true) int target,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int batchSize) {}

  /** Accuracy against a list of budgets. */
  public record Curve(
      @Param(description = "the attack: fgsm, pgd (L-inf, step_fraction * epsilon per step), apgd (L-inf,"
          + " cross-entropy, one start) or square (L-inf, margin loss, one search of at most `queries`)",
          defaultValue = "fgsm") Kind attack,
      @Param(description = "L-inf budgets on [0, 1] pixels", defaultValue = "[0, 0.25/255, 0.5/255, 1/255, 2/255]",
          min = 0, max = 1) List<Double> epsilons,
      @Param(description = "PGD's or APGD's steps", defaultValue = "10", min = 1, max = 100000) int steps,
      @Param(description = "PGD step as a fraction of epsilon", defaultValue = "0.25", min = 0, exclusiveMin = true,
          max = 1) double stepFraction,
      @Param(description = "the Square attack's most queries per image", defaultValue = "1000", min = 1, max = 1000000)
      int queries,
      @Param(description = "images per gradient call", defaultValue = "32", min = 1, max = 4096) int batchSize) {

    /** The attack a curve runs. */
    public enum Kind { FGSM, PGD, APGD, SQUARE }
  }
}
