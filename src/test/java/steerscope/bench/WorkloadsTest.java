package steerscope.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.model.KVCache;
import steerscope.model.Model;
import steerscope.model.TokenBatch;
import steerscope.model.Transformer;

/** The decode workload gives one prefilled prompt to every row, and each row then decodes as that prompt alone would. */
class WorkloadsTest {
    @Test
    void aPromptGivenToEveryRowDecodesInEachRowAsItDoesAlone(@TempDir Path dir) {
        try (Model model = Model.load(BenchModels.ensure(dir, BenchModelsTest.TINY, 7))) {
            Transformer tf = model.transformer;
            int T = 6, B = 3, V = model.config.vocabSize();
            int[] prompt = {5, 17, 42, 8, 99, 3};
            KVCache one = new KVCache(model.config, 1, T + 1);
            tf.extend(one, TokenBatch.of(1, T, prompt, Workloads.allValid(T), new int[] {T}), null, null);
            KVCache rows = one.keepRows(new int[B]);
            float[] alone = tf.logits(tf.extend(one, TokenBatch.of(1, 1, new int[] {21}, Workloads.allValid(1), new int[] {T}), null, null));
            int[] lengths = new int[B];
            Arrays.fill(lengths, T);
            float[] each = tf.logits(tf.extend(rows, TokenBatch.of(B, 1, new int[] {21, 21, 21}, Workloads.allValid(B), lengths), null, null));
            for (int b = 0; b < B; b++) assertArrayEquals(alone, Arrays.copyOfRange(each, b * V, (b + 1) * V), "row " + b);
        }
    }

    @Test
    void decodeTimesEveryRepeatOfEveryRow(@TempDir Path dir) {
        try (Model model = Model.load(BenchModels.ensure(dir, BenchModelsTest.TINY, 7))) {
            Workloads.Timing t = Workloads.decode(model, 4, 10, 3, 1, new Workloads.Plan(0, 2, 60));
            assertEquals(2, t.times().size(), "two timed repeats");
            assertEquals(12, t.tokens(), "4 rows x 3 steps per repeat");
        }
    }
}
