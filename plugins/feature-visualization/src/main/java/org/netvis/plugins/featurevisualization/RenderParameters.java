package org.netvis.plugins.featurevisualization;

import java.util.List;

/** The render settings feature-visualization and feature-grid share, as their parameter records name them. */
interface RenderParameters {
  ImageParameterization.Basis parameterization();

  boolean decorrelate();

  double decayPower();

  TransformSet transforms();

  Optimizer.Kind optimizer();

  double learningRate();

  int steps();

  List<Integer> snapshots();

  int imageSize();

  /** Which transforms run at each step. */
  enum TransformSet { STANDARD, NONE }

  default Renderer.Settings settings() {
    return new Renderer.Settings(parameterization(), decorrelate(), decayPower(),
        transforms() == TransformSet.STANDARD ? Transforms.standard() : Transforms.NONE, optimizer(), learningRate(),
        steps(), snapshots(), imageSize());
  }
}
