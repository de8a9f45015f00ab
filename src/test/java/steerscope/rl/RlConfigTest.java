package steerscope.rl;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.rl.optim.LrSchedule;
import steerscope.util.UserError;

/** The paper preset is the paper's public code's recipe, field by field. */
class RlConfigTest {

    @Test
    void paperPresetMatchesThePapersCode() {
        RlConfig v = RlConfig.paper(RlConfig.Params.VECTORS), f = RlConfig.paper(RlConfig.Params.FULL);
        assertEquals(RlConfig.Algo.RLOO, v.algo());
        assertFalse(v.scaleByStd());
        assertEquals(RlConfig.LossAgg.TOKEN, v.lossAgg());          // summed over tokens, divided by the step's generated tokens
        assertEquals(16, v.group());
        assertEquals(16, v.promptsPerStep());
        assertEquals(1.0, v.temperature());
        assertEquals(1, v.innerEpochs());              // no ratio, no clipping
        assertEquals(0.0, v.klBeta());
        assertEquals(2.0, v.maxGradNorm());
        assertEquals(LrSchedule.Kind.CONSTANT, v.schedule());
        assertEquals(0.03, v.warmupRatio());
        assertEquals(-1.0, v.negReward());
        assertTrue(v.boxedOnly());
        assertEquals(1e-3, v.lr());
        assertEquals(1e-6, f.lr());
    }

    @Test
    void warmupIsThreePercentOfTheStepsRoundedUpUnlessStepsAreGiven() {
        assertEquals(3, RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(100).build().effectiveWarmupSteps());
        assertEquals(1, RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(30).build().effectiveWarmupSteps());
        assertEquals(0, RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(0).build().effectiveWarmupSteps());
        assertEquals(7, RlConfig.paper(RlConfig.Params.VECTORS).toBuilder().steps(30).warmupSteps(7).warmupRatio(0.0).build().effectiveWarmupSteps());
    }

    @Test
    void badRewardAndWarmupAreClearErrors() {
        RlConfig p = RlConfig.paper(RlConfig.Params.VECTORS);
        UserError e = assertThrows(UserError.class, () -> p.toBuilder().negReward(1.0).build());
        assertTrue(e.getMessage().contains("--neg-reward"), e.getMessage());
        assertThrows(UserError.class, () -> p.toBuilder().warmupRatio(1.5).build());
        UserError algo = assertThrows(UserError.class, () -> RlConfig.Algo.parse("ppo"));
        assertEquals("--algo must be grpo or rloo, got 'ppo'", algo.getMessage());
    }

    /** config.json keeps its format: enums as the lowercase words of the flags, so runs written before still resume. */
    @Test
    void configJsonKeepsItsFormat(@TempDir Path dir) throws Exception {
        RlConfig c = RlConfig.paper(RlConfig.Params.FULL).toBuilder().algo(RlConfig.Algo.GRPO).lossAgg(RlConfig.LossAgg.DRGRPO)
                .schedule(LrSchedule.Kind.COSINE).build();
        JsonNode tree = Json.MAPPER.readTree(c.toJson());
        assertEquals("full", tree.get("params").asText());
        assertEquals("grpo", tree.get("algo").asText());
        assertEquals("drgrpo", tree.get("lossAgg").asText());
        assertEquals("cosine", tree.get("schedule").asText());
        // a config.json as the string-typed config wrote it
        String old = c.toJson().replace("\"grpo\"", "\"rloo\"");
        Path file = dir.resolve("config.json");
        Files.writeString(file, old);
        RlConfig read = RlConfig.fromJson(file);
        assertEquals(RlConfig.Algo.RLOO, read.algo());
        assertEquals(old, read.toJson());
        Files.writeString(file, old.replace("\"drgrpo\"", "\"mean\""));
        UserError bad = assertThrows(UserError.class, () -> RlConfig.fromJson(file));
        assertTrue(bad.getMessage().contains("--loss-agg must be token, sequence or drgrpo, got 'mean'"), bad.getMessage());
    }

    @Test
    void lossAggregationNormalisers() {
        assertEquals(30.0, RlConfig.LossAgg.TOKEN.normalizer(30, 4, 16));
        assertEquals(4.0, RlConfig.LossAgg.SEQUENCE.normalizer(30, 4, 16));
        assertEquals(64.0, RlConfig.LossAgg.DRGRPO.normalizer(30, 4, 16));
        assertEquals(0.25f, RlConfig.LossAgg.SEQUENCE.tokenWeight(4));
        assertEquals(1f, RlConfig.LossAgg.TOKEN.tokenWeight(4));
    }
}
