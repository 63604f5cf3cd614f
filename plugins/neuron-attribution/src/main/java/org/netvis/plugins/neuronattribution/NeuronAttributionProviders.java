package org.netvis.plugins.neuronattribution;

import java.util.List;
import org.netvis.engine.attribution.Baseline;
import org.netvis.engine.attribution.BaselineDistribution;
import org.netvis.engine.attribution.Neuron;
import org.netvis.engine.graph.VjpSpec;
import org.netvis.engine.spi.Attribution;
import org.netvis.engine.spi.AttributionContext;
import org.netvis.engine.spi.AttributionProvider;
import org.netvis.engine.spi.DeclaredAttributionProvider;

/**
 * Registers Captum's neuron attribution methods: each attributes one hidden unit's value, not a class
 * score, to the input's pixels ({@link Neuron}), and the images' labels play no part; except neuron
 * conductance, which attributes the share of the target's score that flows through the unit.
 */
public final class NeuronAttributionProviders {
  private NeuronAttributionProviders() {}

  /** A neuron gradient method with one backward rule. */
  private abstract static class GradientMethod implements AttributionProvider {
    private final VjpSpec.Backward backward;

    GradientMethod(VjpSpec.Backward backward) {
      this.backward = backward;
    }

    @Override
    public Class<? extends Record> parameters() {
      return NeuronParameters.class;
    }

    @Override
    public Attribution create(AttributionContext context, Record parameters) {
      NeuronParameters p = (NeuronParameters) parameters;
      return new NeuronGradient(context.engine(), Neuron.resolve(context, p.layer(), p.neuron()), backward,
          context.engine().gradientCallSize(p.internalBatchSize()));
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }

  /** Registers neuron gradient. */
  public static final class GradientProvider extends GradientMethod {
    public GradientProvider() {
      super(VjpSpec.Backward.GRADIENT);
    }

    @Override
    public String id() {
      return "neuron-gradient";
    }

    @Override
    public String description() {
      return "Neuron gradient (Captum's NeuronGradient): the gradient of one hidden unit's value with respect to the"
          + " input";
    }
  }

  /** Registers neuron guided backpropagation. */
  public static final class GuidedBackpropProvider extends GradientMethod {
    public GuidedBackpropProvider() {
      super(VjpSpec.Backward.GUIDED);
    }

    @Override
    public String id() {
      return "neuron-guided-backprop";
    }

    @Override
    public String description() {
      return "Neuron guided backpropagation (Captum's NeuronGuidedBackprop): a hidden unit's gradient with positive"
          + " gradients passed only where the ReLU's input was positive";
    }
  }

  /** Registers the neuron deconvnet. */
  public static final class DeconvnetProvider extends GradientMethod {
    public DeconvnetProvider() {
      super(VjpSpec.Backward.DECONVNET);
    }

    @Override
    public String id() {
      return "neuron-deconvnet";
    }

    @Override
    public String description() {
      return "Neuron deconvnet (Captum's NeuronDeconvolution): a hidden unit's gradient with only positive gradients"
          + " passed back through each ReLU";
    }
  }

  /** Registers neuron integrated gradients. */
  public static final class IntegratedGradientsProvider extends DeclaredAttributionProvider<NeuronPathParameters> {
    public IntegratedGradientsProvider() {
      super("neuron-integrated-gradients",
          "Neuron integrated gradients (Captum's NeuronIntegratedGradients): integrated gradients of one hidden unit's"
              + " value; reports the convergence delta",
          NeuronPathParameters.class,
          (context, p) ->
              new NeuronIntegratedGradients(context, Neuron.resolve(context, p.layer(), p.neuron()), p));
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }

  /** Registers neuron conductance. */
  public static final class ConductanceProvider extends DeclaredAttributionProvider<NeuronConductanceParameters> {
    public ConductanceProvider() {
      super("neuron-conductance",
          "Neuron conductance (Captum's NeuronConductance): the part of the target score's change along the path from"
              + " the baseline that flows through one hidden unit, per input feature",
          NeuronConductanceParameters.class,
          (context, p) -> new NeuronConductance(context, Neuron.resolve(context, p.layer(), p.neuron()), p));
    }
  }

  /** Registers neuron DeepLIFT. */
  public static final class DeepLiftProvider extends DeclaredAttributionProvider<NeuronDeepLiftParameters> {
    public DeepLiftProvider() {
      super("neuron-deeplift",
          "Neuron DeepLIFT (Captum's NeuronDeepLift, rescale rule): one hidden unit's change from the baseline"
              + " attributed to the input; reports the convergence delta",
          NeuronDeepLiftParameters.class, (context, p) -> {
            Baseline baseline = Baseline.of("baseline", p.baseline(), p.blurSigma(), context);
            return new NeuronDeepLift(context, Neuron.resolve(context, p.layer(), p.neuron()),
                inputs -> List.of(baseline.ofImages(inputs, context)), p.internalBatchSize());
          });
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }

  /** Registers neuron DeepLIFT SHAP. */
  public static final class DeepLiftShapProvider extends DeclaredAttributionProvider<NeuronDeepLiftShapParameters> {
    public DeepLiftShapProvider() {
      super("neuron-deeplift-shap",
          "Neuron DeepLIFT SHAP (Captum's NeuronDeepLiftShap): neuron DeepLIFT averaged over a distribution of"
              + " baselines; reports the convergence delta against the unit's mean value there",
          NeuronDeepLiftShapParameters.class, (context, p) -> {
            BaselineDistribution distribution = BaselineDistribution.of(p.baselines(), p.blurSigma(), context);
            return new NeuronDeepLift(context, Neuron.resolve(context, p.layer(), p.neuron()),
                inputs -> distribution.forEachImage(inputs, context), p.internalBatchSize());
          });
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }

  /** Registers neuron GradientSHAP. */
  public static final class GradientShapProvider extends DeclaredAttributionProvider<NeuronGradientShapParameters> {
    public GradientShapProvider() {
      super("neuron-gradient-shap",
          "Neuron GradientSHAP (Captum's NeuronGradientShap): GradientSHAP of one hidden unit's value, over random"
              + " baselines and points between them and the input; reports the convergence delta",
          NeuronGradientShapParameters.class,
          (context, p) -> new NeuronGradientShap(context, Neuron.resolve(context, p.layer(), p.neuron()), p));
    }

    @Override
    public boolean explainsTargets() {
      return false;
    }
  }
}
