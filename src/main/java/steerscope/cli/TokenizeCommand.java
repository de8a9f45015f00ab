package steerscope.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import steerscope.io.Json;
import steerscope.tokenizer.Tokenizer;

@Command(name = "tokenize", description = "Token ids and pieces of a text.")
final class TokenizeCommand implements Callable<Integer> {
    @Mixin ModelOption modelOption;
    @Option(names = "--text", required = true) String text;
    @Option(names = "--add-special-tokens", description = "Apply the tokenizer's post-processor (e.g. Llama 3's BOS).") boolean special;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() {
        Path model = modelOption.dir();
        Tokenizer tok = Tokenizer.load(model.resolve("tokenizer.json"));
        int[] ids = tok.encode(text, special);
        if (json) {
            List<String> pieces = new ArrayList<>();
            for (int id : ids) pieces.add(tok.decode(new int[] {id}));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("ids", ids);
            out.put("pieces", pieces);
            System.out.println(Json.write(out));
        } else {
            for (int id : ids) System.out.printf("%8d  %s%n", id, Json.write(tok.decode(new int[] {id})));
            System.out.println(ids.length + " tokens");
        }
        return 0;
    }
}
