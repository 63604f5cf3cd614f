package org.netvis.plugins.featurevisualization;

import org.netvis.engine.spi.DeclaredTechniqueProvider;

/** Registers feature-visualization, feature-grid and deep-dream. */
public final class FeatureVisualizationProviders {
  private FeatureVisualizationProviders() {}

  public static final class Visualization extends DeclaredTechniqueProvider<FeatureVisualizationParameters> {
    public Visualization() {
      super("feature-visualization",
          "Feature visualization (Olah et al. 2017, Lucid): images maximizing channels, neurons, layers, classes or"
              + " directions, Fourier-parameterized and decorrelated, under random transforms, with Adam",
          FeatureVisualizationParameters.class, FeatureVisualization.class);
    }

    @Override
    public boolean needsInputs() {
      return false;
    }
  }

  public static final class Grid extends DeclaredTechniqueProvider<FeatureGridParameters> {
    public Grid() {
      super("feature-grid",
          "Feature grid: the first N channels of a layer visualized as one figure (Lucid's layer overview)",
          FeatureGridParameters.class, FeatureGrid.class);
    }

    @Override
    public boolean needsInputs() {
      return false;
    }
  }

  public static final class Dream extends DeclaredTechniqueProvider<DeepDreamParameters> {
    public Dream() {
      super("deep-dream",
          "DeepDream (Mordvintsev et al. 2015): from the input images, ascend a layer's mean of squares with"
              + " normalized steps over octaves, with jitter",
          DeepDreamParameters.class, DeepDream.class);
    }
  }
}
