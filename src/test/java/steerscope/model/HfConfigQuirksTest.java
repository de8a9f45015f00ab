package steerscope.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.util.UserError;

/**
 * The published quirks of the Hugging Face configs steerscope reads: Llama 3's RoPE bands, Qwen2's q/k/v bias that
 * no config key states, and sliding windows (Mistral's on when set, Qwen2's only with use_sliding_window).
 */
class HfConfigQuirksTest {
    @TempDir
    Path tmp;

    /**
     * Llama-3.1-8B's published config.json (rope_theta 500000, head_dim 128, factor 8, low_freq_factor 1,
     * high_freq_factor 4, original_max_position_embeddings 8192), as transformers' {@code _compute_llama3_parameters}
     * defines the bands: wavelengths under 8192/4 keep their frequency, those over 8192/1 are divided by 8, the ones
     * between are interpolated. The frequencies are read back from the rotation itself (the angle of position 1).
     */
    @Test
    void llama31BandsAreKeptInterpolatedAndDivided() throws IOException {
        Files.writeString(tmp.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
                 "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "vocab_size": 128256, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
                 "max_position_embeddings": 131072, "tie_word_embeddings": false, "hidden_act": "silu",
                 "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16"}
                """);
        ModelConfig c = ModelConfig.load(tmp);
        assertEquals(128, c.headDim());
        Rope rope = new Rope(c);
        int half = 64, high = 0, medium = 0, low = 0;
        for (int i = 0; i < half; i++) {
            float[] x = new float[2 * half];
            x[i] = 1f; // (1, 0) in the plane of elements i and i + 64, turned by position 1's angle
            rope.rotate(x, 0, 1, 1, false);
            double f = Math.atan2(x[i + half], x[i]);
            double f0 = 1.0 / Math.pow(500000.0, 2.0 * i / 128), wavelen = 2 * Math.PI / f0;
            if (wavelen < 8192 / 4.0) {
                high++;
                assertEquals(f0, f, 1e-5 * f0, "high-frequency band keeps frequency " + i);
            } else if (wavelen > 8192 / 1.0) {
                low++;
                assertEquals(f0 / 8, f, 1e-5 * f0 / 8, "low-frequency band divides frequency " + i + " by 8");
            } else {
                medium++;
                double smooth = (8192 / wavelen - 1.0) / (4.0 - 1.0);
                assertEquals((1 - smooth) * f0 / 8 + smooth * f0, f, 1e-5 * f0, "medium band interpolates frequency " + i);
                assertTrue(f > f0 / 8 && f < f0, "frequency " + i + " lies between its scaled and unscaled values");
            }
        }
        // for these numbers the bands are frequencies 0-28, 29-34 and 35-63
        assertEquals(29, high);
        assertEquals(6, medium);
        assertEquals(29, low);
    }

    private ModelConfig load(String arch, String extra) throws IOException {
        Files.writeString(tmp.resolve("config.json"), """
                {"architectures": ["%s"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "max_position_embeddings": 32768 %s}
                """.formatted(arch, extra));
        return ModelConfig.load(tmp);
    }

    /** Qwen2Attention has q/k/v bias with no config key; Llama follows attention_bias (default false); Mistral has none. */
    @Test
    void qwen2HasQkvBiasWithoutAConfigKey() throws IOException {
        assertTrue(load("Qwen2ForCausalLM", "").attentionBias());
        assertFalse(load("LlamaForCausalLM", "").attentionBias());
        assertTrue(load("LlamaForCausalLM", ", \"attention_bias\": true").attentionBias());
        assertFalse(load("MistralForCausalLM", "").attentionBias());
    }

    /** A sliding window that is on caps the context (no window is implemented; inside it attention is the same). */
    @Test
    void aSlidingWindowThatIsOnCapsTheContext() throws IOException {
        assertEquals(4096, load("MistralForCausalLM", ", \"sliding_window\": 4096").maxPositionEmbeddings(), "Mistral-7B-v0.1");
        assertEquals(32768, load("MistralForCausalLM", ", \"sliding_window\": null").maxPositionEmbeddings(), "Mistral v0.2 and later");
        assertEquals(4096, load("MistralForCausalLM", "").maxPositionEmbeddings(), "no key: MistralConfig's default window");
        assertEquals(32768, load("Qwen2ForCausalLM", ", \"use_sliding_window\": false, \"sliding_window\": 4096").maxPositionEmbeddings());
        assertEquals(4096, load("Qwen2ForCausalLM", ", \"use_sliding_window\": true, \"sliding_window\": 4096").maxPositionEmbeddings());
        assertEquals(32768, load("LlamaForCausalLM", ", \"sliding_window\": 4096").maxPositionEmbeddings(), "Llama has no window");
        UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
                () -> load("MistralForCausalLM", ", \"sliding_window\": \"big\""));
        assertTrue(e.getMessage().contains("sliding_window"), e.getMessage());
    }
}
