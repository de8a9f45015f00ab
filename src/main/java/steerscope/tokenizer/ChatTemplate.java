package steerscope.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jinjava.javax.el.CompositeELResolver;
import steerscope.io.Json;
import steerscope.util.UserError;

/**
 * A Hugging Face chat template (from tokenizer_config.json) rendered with Jinjava the way transformers'
 * apply_chat_template renders it with Jinja2: trim_blocks and lstrip_blocks on, {@code messages},
 * {@code add_generation_prompt}, {@code bos_token}/{@code eos_token}, {@code raise_exception(msg)}, no tools.
 *
 * <p>Templates are data from a model repository, so rendering is sandboxed: no includes/imports (the
 * resource locator refuses everything), bounded output, and a limit on the render thread's CPU time checked
 * before every node.
 */
public final class ChatTemplate {
    /** One turn of a chat: role is "system", "user" or "assistant". */
    public record Message(String role, String content) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
        }
    }

    private static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(5);
    private static final long MAX_OUTPUT = 4L << 20;

    private final String source; // where the template came from, for error messages
    private final String template;
    private final String bosToken, eosToken;
    private final Duration timeLimit;

    public ChatTemplate(String template, String bosToken, String eosToken, String source) {
        this(JinjaCompat.rewrite(template), bosToken, eosToken, source, DEFAULT_TIME_LIMIT);
    }

    private ChatTemplate(String rewritten, String bosToken, String eosToken, String source, Duration timeLimit) {
        this.template = rewritten;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.source = source;
        this.timeLimit = timeLimit;
    }

    /** The same template with another render time limit (default 5 s). */
    public ChatTemplate withTimeLimit(Duration limit) {
        return new ChatTemplate(template, bosToken, eosToken, source, limit);
    }

    /** Reads chat_template, bos_token and eos_token from a tokenizer_config.json. */
    public static ChatTemplate load(Path tokenizerConfigJson) {
        JsonNode root = Json.read(tokenizerConfigJson);
        JsonNode t = root.get("chat_template");
        String template = null;
        if (t != null && t.isTextual()) {
            template = t.asText();
        } else if (t != null && t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) template = named.path("template").asText(null);
            }
            if (template == null) throw UserError.inFile(tokenizerConfigJson, "chat_template: a list without a template named \"default\"");
        }
        if (template == null) throw UserError.inFile(tokenizerConfigJson, "chat_template: missing; expected the model's Jinja chat template");
        return new ChatTemplate(template, token(root.get("bos_token")), token(root.get("eos_token")), tokenizerConfigJson.toString());
    }

    /** A special token given as "text" or {"content": "text", ...}; null when absent. */
    private static String token(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        return n.path("content").isTextual() ? n.get("content").asText() : null;
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(eosToken);
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** @param extra more template variables, e.g. Qwen3's {@code enable_thinking} */
    public String render(List<Message> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> context = new HashMap<>(extra);
        context.put("messages", messages.stream().map(m -> {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            return map;
        }).toList());
        context.put("add_generation_prompt", addGenerationPrompt);
        if (bosToken != null) context.put("bos_token", bosToken);
        if (eosToken != null) context.put("eos_token", eosToken);

        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "chat-template");
            th.setDaemon(true);
            return th;
        });
        try {
            Future<RenderResult> result = worker.submit(() -> jinjava(timeLimit.toNanos()).renderForResult(template, context));
            // the limit is the render thread's CPU time, so a loaded machine does not fail a template that is merely
            // slow to get a core; the wall-clock wait is only a backstop for a thread that never gets one
            RenderResult r = result.get(WALL_CLOCK_FACTOR * timeLimit.toMillis() + 30_000, TimeUnit.MILLISECONDS);
            List<TemplateError> fatal = r.getErrors().stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
            if (!fatal.isEmpty()) throw fail(describe(fatal.getFirst(), timeLimit));
            return r.getOutput();
        } catch (TimeoutException e) {
            throw fail("chat_template used more than " + timeLimit.toMillis() / 1000.0 + " s of CPU time to render");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw fail(cause instanceof TemplateTimeout ? "chat_template used more than " + timeLimit.toMillis() / 1000.0 + " s of CPU time to render"
                    : "chat_template failed to render: " + cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail("interrupted while rendering chat_template");
        } finally {
            worker.shutdownNow();
        }
    }

    private static final int MAX_MESSAGE = 400;

    /** One line: Jinjava's messages quote the template (with its line breaks), which can be long. */
    private UserError fail(String message) {
        String line = message.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r");
        if (line.length() > MAX_MESSAGE) line = line.substring(0, MAX_MESSAGE) + "...";
        return new UserError(source + ": " + line);
    }

    private static String describe(TemplateError e, Duration timeLimit) {
        String msg = e.getMessage();
        // raise_exception(msg) surfaces as a wrapped exception; keep the template's own words
        if (e.getException() != null) {
            for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateRaised raised) return "chat_template raised: " + raised.getMessage();
                if (t instanceof TemplateTimeout) return "chat_template used more than " + timeLimit.toMillis() / 1000.0 + " s of CPU time to render";
            }
        }
        if (msg != null && msg.contains(TemplateRaised.MARK)) {
            return "chat_template raised: " + msg.substring(msg.indexOf(TemplateRaised.MARK) + TemplateRaised.MARK.length());
        }
        return "chat_template failed to render (line " + e.getLineno() + "): " + msg;
    }

    private static final int WALL_CLOCK_FACTOR = 10;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** A renderer that stops once the calling thread has used {@code cpuBudgetNanos} of CPU time from now. */
    private static Jinjava jinjava(long cpuBudgetNanos) {
        long deadline = THREADS.getCurrentThreadCpuTime() + cpuBudgetNanos;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withNestedInterpretationEnabled(false) // message text is data, never template code
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withMaxOutputSize(MAX_OUTPUT)
                .withMaxStringLength(MAX_OUTPUT)
                .withMaxRenderDepth(10)
                .withRangeLimit(10_000)
                .withMaxListSize(100_000)
                .withMaxMapSize(100_000)
                .withNodePreProcessor((node, interpreter) -> {
                    if (THREADS.getCurrentThreadCpuTime() > deadline || Thread.currentThread().isInterrupted()) throw new TemplateTimeout();
                })
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("chat templates may not include or import other files (" + name + ")");
        });
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        return jinjava;
    }

    /** The template's raise_exception(msg): HF templates use it to reject malformed conversations. */
    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    private static final class TemplateRaised extends RuntimeException {
        static final String MARK = "chat_template raised: ";

        TemplateRaised(String message) {
            super(message);
        }

        @Override
        public String toString() {
            return MARK + getMessage();
        }
    }

    private static final class TemplateTimeout extends RuntimeException {
        TemplateTimeout() {
            super("render time limit exceeded");
        }
    }
}
