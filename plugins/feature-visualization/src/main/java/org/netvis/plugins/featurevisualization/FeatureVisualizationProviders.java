package org.netvis.plugins.featurevisualization;

import org.netvis.engine.spi.Technique;
import org.netvis.engine.spi.TechniqueProvider;

/** Registers feature-visualization, feature-grid and deep-dream. */
public final class FeatureVisualizationProviders {
  private FeatureVisualizationProviders() {}

  public static final class Visualization implements TechniqueProvider {
    @Override
    public String id() {
      return "feature-visualization";
    }

    @Override
    public String description() {
      return "Feature visualization (Olah et al. 2017, Lucid): images maximizing channels, neurons, layers, classes or"
          + " directions, Fourier-parameterized and decorrelated, under random transforms, with Adam";
    }

    @Override
    public Class<? extends Record> parameters() {
      return FeatureVisualizationParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return FeatureVisualization.class;
    }

    @Override
    public boolean needsInputs() {
      return false;
    }
  }

  public static final class Grid implements TechniqueProvider {
    @Override
    public String id() {
      return "feature-grid";
    }

    @Override
    public String description() {
      return "Feature grid: the first N channels of a layer visualized as one figure (Lucid's layer overview)";
    }

    @Override
    public Class<? extends Record> parameters() {
      return FeatureGridParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return FeatureGrid.class;
    }

    @Override
    public boolean needsInputs() {
      return false;
    }
  }

  public static final class Dream implements TechniqueProvider {
    @Override
    public String id() {
      return "deep-dream";
    }

    @Override
    public String description() {
      return "DeepDream (Mordvintsev et al. 2015): from the input images, ascend a layer's mean of squares with"
          + " normalized steps over octaves, with jitter";
    }

    @Override
    public Class<? extends Record> parameters() {
      return DeepDreamParameters.class;
    }

    @Override
    public Class<? extends Technique<?>> technique() {
      return DeepDream.class;
    }
  }
}
