package org.netvis.plugins.attacks;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers fgsm, pgd, mifgsm, apgd, square, cw, deepfool and robustness-curve. */
public final class AttackProviders {
  private AttackProviders() {}

  /** FGSM. */
  public static final class Fgsm extends DeclaredTechniqueProvider<AttackParameters.Fgsm> {
    public Fgsm() {
      super("fgsm",
          "FGSM (Goodfellow et al. 2015): one signed-gradient step of the cross-entropy on [0, 1] pixels, as"
              + " torchattacks",
          AttackParameters.Fgsm.class, AttackSteps.Fgsm.class);
    }
  }

  /** PGD. */
  public static final class Pgd extends DeclaredTechniqueProvider<AttackParameters.Pgd> {
    public Pgd() {
      super("pgd",
          "PGD (Madry et al. 2018), L-inf or L2, on [0, 1] pixels, as torchattacks' PGD and PGDL2",
          AttackParameters.Pgd.class, AttackSteps.Pgd.class);
    }
  }

  /** MI-FGSM. */
  public static final class MiFgsm extends DeclaredTechniqueProvider<AttackParameters.MiFgsm> {
    public MiFgsm() {
      super("mifgsm",
          "MI-FGSM (Dong et al. 2018): L-inf steps along the sign of a momentum of normalized gradients, on [0, 1]"
              + " pixels, as torchattacks' MIFGSM",
          AttackParameters.MiFgsm.class, AttackSteps.MiFgsm.class);
    }
  }

  /** APGD. */
  public static final class ApgdProvider extends DeclaredTechniqueProvider<AttackParameters.Apgd> {
    public ApgdProvider() {
      super("apgd",
          "APGD (Croce and Hein 2020): AutoAttack's step-size-free PGD with momentum and checkpoints that halve the"
              + " step, on the cross-entropy or DLR loss, on [0, 1] pixels, as torchattacks' APGD",
          AttackParameters.Apgd.class, AttackSteps.ApgdStep.class);
    }
  }

  /** Square. */
  public static final class SquareProvider extends DeclaredTechniqueProvider<AttackParameters.Square> {
    public SquareProvider() {
      super("square",
          "Square attack (Andriushchenko et al. 2020): L-inf random search over squares that reads only the model's"
              + " scores, on [0, 1] pixels, as torchattacks' Square",
          AttackParameters.Square.class, AttackSteps.SquareStep.class);
    }
  }

  /** Carlini-Wagner L2. */
  public static final class Cw extends DeclaredTechniqueProvider<AttackParameters.Cw> {
    public Cw() {
      super("cw",
          "Carlini-Wagner L2 (Carlini and Wagner 2017): Adam on the tanh-space image minimizing the squared L2"
              + " distance plus c times the logit margin, on [0, 1] pixels, as torchattacks' CW",
          AttackParameters.Cw.class, AttackSteps.Cw.class);
    }
  }

  /** DeepFool. */
  public static final class DeepFool extends DeclaredTechniqueProvider<AttackParameters.DeepFool> {
    public DeepFool() {
      super("deepfool",
          "DeepFool (Moosavi-Dezfooli et al. 2016): steps to the nearest boundary of the model linearized at the image"
              + " until its prediction changes, on [0, 1] pixels, as torchattacks' DeepFool",
          AttackParameters.DeepFool.class, AttackSteps.DeepFoolStep.class);
    }
  }

  /** Robustness curve. */
  public static final class Curve extends DeclaredTechniqueProvider<AttackParameters.Curve> {
    public Curve() {
      super("robustness-curve",
          "Robustness curve: accuracy under an attack at each budget, and each image's smallest flipping budget",
          AttackParameters.Curve.class, AttackSteps.Curve.class);
    }
  }
}
