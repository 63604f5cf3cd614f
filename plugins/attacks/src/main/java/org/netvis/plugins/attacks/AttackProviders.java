package org.netvis.plugins.attacks;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers fgsm, pgd and robustness-curve. */
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
