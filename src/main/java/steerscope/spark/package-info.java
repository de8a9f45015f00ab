/**
 * {@code train}, {@code eval} and {@code analyze} on Apache Spark (docs/spark.md).
 *
 * <p>What crosses between the driver and the executors, one policy: plain data, shipped with Spark's default Java
 * serializer (no Kryo, no JSON text, no Jackson trees). Every such type is a record (or, for an accumulator that
 * Spark adds into, a final class) of primitives, arrays, Strings, enums and lists of those, and implements
 * {@link java.io.Serializable}. A value type of another package that already is plain data goes as it is:
 * {@code RlConfig}, {@code Evaluator.Options} and {@code ProblemResult}, {@code Analysis.Options},
 * {@code Measurements} with its parts, {@link steerscope.spark.ModelSpec}. What is a live object on the driver
 * goes as a wire record of this package, converted at the edge ({@code of(...)} and back):
 * {@link steerscope.spark.WireVectors} for steering vectors, {@code SparkEval.WireSteering} for a steering,
 * {@link steerscope.spark.WireProblem} for a problem (with its index in the whole set),
 * {@link steerscope.spark.GradientShard} for a step's contribution. Rewards are built on the executor from a
 * serializable {@link steerscope.spark.RewardFactory}; the model is never shipped: each executor memory-maps it
 * from {@code ModelSpec}'s directory once per JVM.
 */
package steerscope.spark;
