package org.netvis.plugins.attacks;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers fgsm, pgd, mifgsm, apgd, square, cw, deepfool and robustness-curve. */
public final class AttackProviders {
  private AttackProviders() {}

  /** FGSM. */
  public static final class Fgsm implements TechniqueProvider {
    public String id() {
      return "fgsm";
    }

    public String description() {
      return "FGSM (Goodfellow et al. 2015): one signed-gradient step of the cross-entropy on [0, 1] pixels, as torchattacks";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.Fgsm.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.Fgsm.class;
    }
  }

  /** PGD. */
  public static final class Pgd implements TechniqueProvider {
    public String id() {
      return "pgd";
    }

    public String description() {
      return "PGD (Madry et al. 2018), L-inf or L2, on [0, 1] pixels, as torchattacks' PGD and PGDL2";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.Pgd.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.Pgd.class;
    }
  }

  /** MI-FGSM. */
  public static final class MiFgsm implements TechniqueProvider {
    public String id() {
      return "mifgsm";
    }

    public String description() {
      return "MI-FGSM (Dong et al. 2018): L-inf steps along the sign of a momentum of normalized gradients, on [0, 1]"
          + " pixels, as torchattacks' MIFGSM";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.MiFgsm.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.MiFgsm.class;
    }
  }

  /** APGD. */
  public static final class ApgdProvider implements TechniqueProvider {
    public String id() {
      return "apgd";
    }

    public String description() {
      return "APGD (Croce and Hein 2020): AutoAttack's step-size-free PGD with momentum and checkpoints that halve the"
          + " step, on the cross-entropy or DLR loss, on [0, 1] pixels, as torchattacks' APGD";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.Apgd.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.ApgdStep.class;
    }
  }

  /** Square. */
  public static final class SquareProvider implements TechniqueProvider {
    public String id() {
      return "square";
    }

    public String description() {
      return "Square attack (Andriushchenko et al. 2020): L-inf random search over squares that reads only the model's"
          + " scores, on [0, 1] pixels, as torchattacks' Square";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.Square.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.SquareStep.class;
    }
  }

  /** Carlini-Wagner L2. */
  public static final class Cw implements TechniqueProvider {
    public String id() {
      return "cw";
    }

    public String description() {
      return "Carlini-Wagner L2 (Carlini and Wagner 2017): Adam on the tanh-space image minimizing the squared L2"
          + " distance plus c times the logit margin, on [0, 1] pixels, as torchattacks' CW";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.Cw.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.Cw.class;
    }
  }

  /** DeepFool. */
  public static final class DeepFool implements TechniqueProvider {
    public String id() {
      return "deepfool";
    }

    public String description() {
      return "DeepFool (Moosavi-Dezfooli et al. 2016): steps to the nearest boundary of the model linearized at the"
          + " image until its prediction changes, on [0, 1] pixels, as torchattacks' DeepFool";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.DeepFool.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.DeepFoolStep.class;
    }
  }

  /** Robustness curve. */
  public static final class Curve implements TechniqueProvider {
    public String id() {
      return "robustness-curve";
    }

    public String description() {
      return "Robustness curve: accuracy under an attack at each budget, and each image's smallest flipping budget";
    }

    public Class<? extends Record> parameters() {
      return AttackParameters.Curve.class;
    }

    public Class<? extends Technique<?>> technique() {
      return AttackSteps.Curve.class;
    }
  }
}
