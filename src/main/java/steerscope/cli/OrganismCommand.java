package steerscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import steerscope.organism.OrganismConfig;
import steerscope.organism.OrganismEval;
import steerscope.organism.OrganismTrainer;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

@Command(name = "organism", description = "Pretrain the model organism (a tiny Qwen2 on synthetic arithmetic) and save it in Hugging Face format.")
final class OrganismCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--quick", description = "The quick organism (fewer steps).") boolean quick;
    @Option(names = "--seed", description = "Seed of the corpus, tokenizer, init and batch order (default: the config's).") Long seed;
    @Option(names = "--config", paramLabel = "FILE.json", description = "A full organism configuration (as in organism.json's config).") Path config;
    @Option(names = "--overwrite", description = "Replace --out (and everything in it) even if it is not an earlier organism.") boolean overwrite;
    @Option(names = "--from", paramLabel = "DIR", description = "Continue pretraining this organism (its weights and tokenizer) on the corpus of "
            + "its config with the --set changes (e.g. styles.direct=0.1 steps=300): a sibling with the same shapes, for experiment transfer.") Path from;
    @Option(names = "--set", paramLabel = "FIELD=VALUE", description = "Override one field of the configuration (repeatable), e.g. steps=1500.") List<String> overrides;

    @Override
    public Integer call() throws Exception {
        if (from != null && from.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw UserError.inFile(out, "--out is the --from organism itself; write the sibling to another directory");
        }
        if (from != null && (quick || config != null)) throw new UserError("organism --from takes its parent's config; --quick and --config do not apply");
        OrganismConfig cfg = quick ? OrganismConfig.quick() : OrganismConfig.defaults();
        if (from != null) cfg = OrganismTrainer.siblingConfig(from, List.of());
        if (config != null) {
            if (!Files.isRegularFile(config)) throw UserError.inFile(config, "file not found");
            cfg = OrganismConfig.fromJson(Files.readString(config));
        }
        List<String> changes = new ArrayList<>(overrides == null ? List.of() : overrides);
        if (seed != null) changes.add("seed=" + seed);
        cfg = from != null ? OrganismTrainer.siblingConfig(from, changes) : cfg.with(changes);
        OutputPath.checkDir(out, "organism", dir -> Files.isRegularFile(dir.resolve("organism.json")), overwrite);
        Interrupts.onInterrupt(() -> "nothing was saved in " + out + "; run the same command again");
        OrganismTrainer.Result r = OrganismTrainer.train(cfg, from, out, System.err::println);
        OrganismEval.Report e = r.eval();
        System.out.println(e.summary());
        System.out.printf("saved %s (%,d parameters, %.0f s, %.0f tokens/s); config key %s%n", r.dir(), r.train().parameters(),
                r.train().seconds(), r.train().tokensPerSecond(), cfg.key());
        return 0;
    }
}
