package steerscope.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.model.Generator;
import steerscope.model.Sampler;
import steerscope.tokenizer.ChatTemplate;
import steerscope.tokenizer.StreamDecoder;
import steerscope.util.UserError;

@Command(name = "generate", description = "Generate a continuation of a prompt, streamed as it is produced.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Option(names = "--prompt", required = true) String prompt;
    @Option(names = "--chat", description = "Wrap the prompt as a user message with the model's chat template.") boolean chat;
    @Option(names = "--system", description = "System prompt (with --chat).") String system;
    @Option(names = "--max-new-tokens", description = "Default: 128, or what the model's context leaves after the prompt.") Integer maxNewTokens;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).") float temperature;
    @Option(names = "--top-p", defaultValue = "1.0") float topP;
    @Option(names = "--top-k", defaultValue = "0", description = "0 = no top-k filter.") int topK;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--stop", description = "Stop string (repeatable).") List<String> stops;
    @Option(names = "--truncate-prompt", description = "Keep only the prompt's last tokens when it would not fit the context (default: error).") boolean truncate;
    @Mixin SteeringOptions steeringOptions;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        try (ModelFiles m = ModelFiles.open(model)) {
            String text = prompt;
            if (chat) {
                List<ChatTemplate.Message> msgs = system == null ? List.of(new ChatTemplate.Message("user", prompt))
                        : List.of(new ChatTemplate.Message("system", system), new ChatTemplate.Message("user", prompt));
                text = m.requireChat().render(msgs, true);
            }
            int[] ids = m.tokenizer.encode(text, !chat);
            if (ids.length == 0) throw new UserError("--prompt gives no tokens");
            Generator gen = new Generator(m.model.transformer, m.tokenizer::decode);
            StreamDecoder stream = m.tokenizer.streamDecoder();
            // with --truncate-prompt the prompt may give up to half the context to the default budget
            int context = m.model.config.maxPositionEmbeddings();
            int newTokens = PromptOptions.maxNewTokens(maxNewTokens, 128, context,
                    truncate ? Math.min(ids.length, context / 2) : ids.length);
            Generator.Options opt = new Generator.Options(newTokens, new Sampler(temperature, topP, topK),
                    stops == null ? List.of() : stops, true, truncate);
            gen.generate(List.of(new Generator.Request(ids, seed)), opt, steeringOptions.resolve(m.model.config), (row, tok) -> {
                if (m.model.config.isEos(tok)) return;
                System.out.print(stream.push(tok));
                System.out.flush();
            });
            System.out.println(stream.flush());
        }
        return 0;
    }
}
