package org.netvis.engine.spi;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes one parameter of a technique: a component of its parameter record. Its name in
 * experiment files is the component name in snake_case ({@code learningRate} is
 * {@code learning_rate}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Param {
  /** What the parameter means, shown by {@code netvis plugins}. */
  String description();

  /** The default as YAML text ("100", "1.0e-3", "[76, 78]"); empty means the parameter is required. */
  String defaultValue() default "";

  /** Smallest allowed value (numbers, and each element of number lists). */
  double min() default Double.NEGATIVE_INFINITY;

  /** Largest allowed value: bounds absurd settings such as 10^9 iterations. */
  double max() default Double.POSITIVE_INFINITY;

  /** True when the value must be strictly greater than {@link #min}. */
  boolean exclusiveMin() default false;

  /** True when the value (or each element) is a class index of the model. */
  boolean classId() default false;
}
